"""Exercise checks: hints that name a mistake without giving the answer away.

The check cell after an exercise has two parts. The visible part, which a student runs, tests the form of
the answer (type, rank) and recognises typical mistakes: it raises ExerciseCheckError with a hint that
names the mistake, never the expected value, and on success says only that no known mistake was found.
Known wrong answers are stored as fingerprints (short digests), so reading the check reveals neither the
answer nor the wrong values. The wrong values are written once, in the chapter's table
tests/exercises/NN_name.py; `python -m coursetools exercises fingerprints tests/exercises/NN_name.py` prints the
dictionaries a check holds. The graded part, between ### BEGIN HIDDEN TESTS and ### END HIDDEN TESTS,
computes the reference and asserts; nbgrader strips it from what students receive and runs it when it
grades.
"""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = [
    "ExerciseCheckError",
    "fingerprint",
    "hint",
    "hint_if_known",
    "expect_type",
    "expect_shape_form",
    "passed",
]


class ExerciseCheckError(AssertionError):
    """An exercise's answer is not right yet; the message names the mistake and what to reconsider."""


def _canonical(value, decimals: int) -> str:
    """Return a text form of an answer that equal answers share (tuple or list, int or float, array or list)."""
    if hasattr(value, "as_list"):  # a TensorShape
        value = value.as_list()
    if hasattr(value, "numpy"):  # a tensor
        value = value.numpy()
    if value is None or isinstance(value, (bool, np.bool_)):
        return repr(value if value is None else bool(value))
    if isinstance(value, str):
        return "str:" + " ".join(value.lower().split())
    if isinstance(value, (tuple, list)) and any(item is None for item in value):
        return "shape:" + ",".join("None" if item is None else _canonical(item, decimals) for item in value)
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return "repr:" + repr(value)
    rounded = np.round(array, decimals) + 0.0  # + 0.0 turns -0.0 into 0.0
    body = ",".join(f"{x:.{decimals}f}" for x in rounded.ravel())
    return f"array{array.shape}:{body}"


def fingerprint(value, decimals: int = 3) -> str:
    """Return a 12-character digest of an answer, equal for answers that agree to ``decimals`` places.

    ``(None, 14, 14, 8)`` and ``[None, 14, 14, 8]`` share a fingerprint, and so do ``392`` and ``392.0``
    or an array and the nested list of its values. Used to recognise known wrong answers without writing
    them in a check.
    """
    return hashlib.sha256(_canonical(value, decimals).encode()).hexdigest()[:12]


def hint(what: str, message: str) -> None:
    """Raise :class:`ExerciseCheckError` with ``message``, a hint about ``what`` (the answer's name)."""
    raise ExerciseCheckError(f"{what}: {message}")


def hint_if_known(what: str, value, known_mistakes: dict[str, str], decimals: int = 3) -> None:
    """Raise a hint if ``value`` is a known wrong answer.

    ``known_mistakes`` maps the :func:`fingerprint` of each typical wrong answer to a hint that names the
    mistake (``"counts the weights but not the biases"``).
    """
    message = known_mistakes.get(fingerprint(value, decimals))
    if message is not None:
        hint(what, message)


def expect_type(what: str, value, kinds, description: str) -> None:
    """Raise a hint unless ``value`` is an instance of ``kinds``; ``description`` says what is wanted."""
    if isinstance(value, (bool, np.bool_)) and not (kinds is bool or (isinstance(kinds, tuple) and bool in kinds)):
        hint(what, f"expected {description}, got a bool")
    if not isinstance(value, kinds):
        hint(what, f"expected {description}, got {type(value).__name__}")


def expect_shape_form(what: str, value, rank: int) -> tuple:
    """Return ``value`` as a shape tuple, or raise a hint unless it is a shape of ``rank`` entries.

    A shape here is a tuple or list whose first entry may be ``None`` (the batch) and whose other entries
    are positive whole numbers. Only the form is checked, never the sizes.
    """
    if hasattr(value, "as_list"):
        value = value.as_list()
    if not isinstance(value, (tuple, list)):
        hint(what, f"expected a shape: a tuple such as (None, height, width, channels), got {type(value).__name__}")
    if len(value) != rank:
        hint(what, f"expected a shape with {rank} entries, got {len(value)}")
    for index, item in enumerate(value):
        if item is None and index == 0:
            continue
        if isinstance(item, (bool, np.bool_)) or not isinstance(item, (int, np.integer)) or item < 1:
            hint(what, f"entry {index} is {item!r}, but sizes are positive whole numbers")
    if rank > 1 and value[0] is not None:
        hint(what, "the first entry is the batch size, which Keras leaves open: write None")
    return tuple(value)


def passed(what: str) -> None:
    """Print that the visible check found no known mistake in ``what`` (it does not say the value)."""
    print(f"{what}: no known mistake found. The graded tests check the value when your work is collected.")
