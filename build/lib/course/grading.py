"""Graded answers: what a hidden test records and asserts.

A hidden test hands its answer and its reference to grade_equal, grade_close or grade_member. Each turns
both into plain values (built-in types only: an int subclass becomes the int it holds, an array or a
tensor the nested list of its numbers), compares them without calling any method of the answer, and
asserts. When classroom/grade.py grades, the kernel also appends each answer to the file that
COURSE_GRADING_RECORD names, and the grader compares it in its own process with the reference recorded by
a run of the untouched source notebook: what a submission changes in its kernel (this module's functions,
NumPy, the answer's class, the exercise's data) changes at most its own recorded answer.
"""

from __future__ import annotations

import json
import os

import numpy as np

__all__ = ["GRADING_RECORD_ENV_VAR", "plain", "plain_match", "grade_equal", "grade_close", "grade_member"]

GRADING_RECORD_ENV_VAR = "COURSE_GRADING_RECORD"


def plain(value, _depth: int = 0):
    """Return ``value`` as built-in values only: None, bool, int, float, str, lists, and tagged dicts.

    Tuples, lists, arrays and tensors become lists (``(None, 9)`` and ``[None, 9]`` are the same plain
    value), NumPy scalars and subclasses of int, float and str the built-in value they hold, a dict
    ``{"dict": [[key, value], ...]}`` and a set ``{"set": [...]}`` (both sorted); anything else
    ``{"unsupported": type name}``, which matches no reference.
    """
    if _depth > 32:
        return {"unsupported": "nesting deeper than 32 levels"}
    if value is None:
        return None
    if isinstance(value, bool):
        return bool.__bool__(value)
    if isinstance(value, int):
        return int.__int__(value)
    if isinstance(value, float):
        return float.__float__(value)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, np.generic):
        return plain(np.asarray(value).item(), _depth + 1)
    if isinstance(value, (tuple, list)):
        items = tuple.__iter__(value) if isinstance(value, tuple) else list.__iter__(value)
        return [plain(item, _depth + 1) for item in items]
    if isinstance(value, dict):
        pairs = [[plain(k, _depth + 1), plain(v, _depth + 1)] for k, v in dict.items(value)]
        return {"dict": sorted(pairs, key=lambda pair: json.dumps(pair[0], sort_keys=True))}
    if isinstance(value, (set, frozenset)):
        return {"set": sorted((plain(item, _depth + 1) for item in value), key=lambda v: json.dumps(v, sort_keys=True))}
    if hasattr(value, "as_list"):  # a TensorShape
        return plain(value.as_list(), _depth + 1)
    if isinstance(value, np.ndarray) or hasattr(value, "__array__") or hasattr(value, "numpy"):
        array = np.asarray(value.numpy() if hasattr(value, "numpy") else value)
        if array.dtype.kind not in "biuf":
            return {"unsupported": f"array of dtype {array.dtype}"}
        return plain(np.ndarray.tolist(array), _depth + 1)
    return {"unsupported": type(value).__name__}


def _number(value) -> bool:
    return type(value) in (int, float)


def plain_match(answer, reference, kind: str = "equal", atol: float = 0.0, rtol: float = 0.0) -> bool:
    """Return whether two plain values agree: ``equal`` (numbers by value, bool apart from numbers),
    ``close`` (numbers within ``atol + rtol * |reference|``), or ``member`` (``reference`` is a list of
    allowed values, each compared as ``equal``)."""
    if kind == "member":
        return type(reference) is list and any(plain_match(answer, option) for option in reference)
    if _number(answer) and _number(reference):
        if kind == "close":
            return abs(answer - reference) <= atol + rtol * abs(reference)
        return answer == reference
    if type(answer) is not type(reference):
        return False
    if type(answer) is list:
        return len(answer) == len(reference) and all(
            plain_match(a, r, kind, atol, rtol) for a, r in zip(answer, reference)
        )
    if type(answer) is dict:
        return list(answer) == list(reference) and all(
            plain_match(answer[k], reference[k], kind, atol, rtol) for k in answer
        )
    return answer == reference  # None, bool, str: built-in types with built-in equality


def _grade(kind, key, answer, reference, message, atol=0.0, rtol=0.0, withheld=False) -> None:
    try:
        answer = plain(answer)
    except Exception as error:  # an answer whose conversion fails is a wrong answer, not a broken test
        answer = {"unsupported": f"{type(error).__name__} while reading the answer"}
    entry = {
        "key": str(key),
        "kind": kind,
        "answer": answer,
        "reference": None if withheld else plain(reference),
        "atol": float(atol),
        "rtol": float(rtol),
        "message": str(message),
    }
    record = os.environ.get(GRADING_RECORD_ENV_VAR)
    if record:
        with open(record, "a") as handle:
            handle.write(json.dumps(entry) + "\n")
    if withheld:  # the grader left the reference out of the student's kernel: it judges the record alone
        return
    if not plain_match(entry["answer"], entry["reference"], kind, entry["atol"], entry["rtol"]):
        raise AssertionError(message)


def grade_equal(key: str, answer, reference, message: str, *, withheld: bool = False) -> None:
    """Assert (in a hidden test) that ``answer`` equals ``reference`` as plain values; ``message`` says what
    to reconsider. ``key`` names the answer, unique within the notebook (repeat it in a loop). Compute the
    reference in the call itself: classroom/grade.py replaces that argument by None (``withheld=True``) in the
    student's kernel."""
    _grade("equal", key, answer, reference, message, withheld=withheld)


def grade_close(key: str, answer, reference, message: str, *, atol: float = 1e-6, rtol: float = 0.0,
                withheld: bool = False) -> None:  # fmt: skip
    """Assert (in a hidden test) that ``answer`` has the shape of ``reference`` and each number lies within
    ``atol + rtol * |reference|`` of it."""
    _grade("close", key, answer, reference, message, atol, rtol, withheld)


def grade_member(key: str, answer, allowed, message: str, *, withheld: bool = False) -> None:
    """Assert (in a hidden test) that ``answer`` equals one of ``allowed``, a list of every right answer."""
    _grade("member", key, answer, None if withheld else list(allowed), message, withheld=withheld)
