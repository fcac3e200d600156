"""Helpers shared by the chapters of *Convolutional Autoencoders*.

What a student should learn stays in the notebooks. This module holds what would distract from it:

* ``load_mnist``: MNIST exactly as ``tf.keras.datasets.mnist.load_data()`` returns it, or from a local
  ``mnist.npz`` (argument or the ``MNIST_NPZ`` environment variable) verified against known hashes;
* figure helpers that draw grids of numbers and mosaics of digits;
* ``check_*`` functions used by the exercise check cells, which fail with a message that says what is wrong.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path

import numpy as np

__all__ = [
    "MNIST_ENV_VAR",
    "MNIST_SHA256",
    "MNISTDataError",
    "load_mnist",
    "draw_number_grid",
    "show_digits",
    "ExerciseCheckError",
    "check_equal",
    "check_shape",
    "check_close",
    "check_true",
]

# --------------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------------

MNIST_ENV_VAR = "MNIST_NPZ"
MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"

# Layout of Keras' mnist.npz: key -> (shape, dtype).
MNIST_LAYOUT = {
    "x_train": ((60000, 28, 28), np.uint8),
    "y_train": ((60000,), np.uint8),
    "x_test": ((10000, 28, 28), np.uint8),
    "y_test": ((10000,), np.uint8),
}

# SHA-256 of each array's raw bytes (np.ascontiguousarray(a).tobytes()): these identify the MNIST
# arrays whatever the zip packaging of the file that holds them.
MNIST_SHA256 = {
    "x_train": "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
    "y_train": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
    "x_test": "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
    "y_test": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
}

_HOW_TO_FIX = (
    f"To use a local copy, set the environment variable {MNIST_ENV_VAR} to the path of an mnist.npz "
    f"(or pass path=... to load_mnist). Keras' own copy is at {MNIST_URL}; once downloaded with "
    "internet access, Keras keeps it as ~/.keras/datasets/mnist.npz."
)


class MNISTDataError(RuntimeError):
    """MNIST could not be loaded; the message says why and what to do."""


def _fail(problem: str) -> MNISTDataError:
    return MNISTDataError(f"{problem}\n{_HOW_TO_FIX}")


def array_sha256(array: np.ndarray) -> str:
    """SHA-256 of an array's raw bytes in C order."""
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def _load_local(path: str | os.PathLike) -> tuple:
    path = Path(path).expanduser()
    if not path.is_file():
        raise _fail(f"MNIST file not found: {path}")
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError, zipfile.BadZipFile) as exc:
        raise _fail(f"{path} is not a NumPy .npz archive ({exc}).") from exc
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise _fail(f"{path} holds a single array, not an .npz archive of MNIST arrays.")
    with archive:
        missing = sorted(set(MNIST_LAYOUT) - set(archive.files))
        if missing:
            raise _fail(
                f"{path} does not hold the MNIST arrays: missing {', '.join(missing)} "
                f"(found {', '.join(sorted(archive.files)) or 'nothing'})."
            )
        arrays = {}
        for key, (shape, dtype) in MNIST_LAYOUT.items():
            try:
                array = archive[key]
            except ValueError as exc:  # e.g. an object array, which allow_pickle=False refuses
                raise _fail(f"{path}: array {key!r} cannot be read safely ({exc}).") from exc
            if array.shape != shape or array.dtype != dtype:
                raise _fail(
                    f"{path}: array {key!r} has shape {array.shape} and dtype {array.dtype}; "
                    f"MNIST's has shape {shape} and dtype {np.dtype(dtype)}."
                )
            arrays[key] = array
    for key, array in arrays.items():
        if array_sha256(array) != MNIST_SHA256[key]:
            raise _fail(
                f"{path}: array {key!r} has the right shape but not MNIST's contents "
                "(its SHA-256 differs): the file is corrupt or another data set."
            )
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def load_mnist(path: str | os.PathLike | None = None) -> tuple:
    """Return MNIST as ``((x_train, y_train), (x_test, y_test))``, like ``tf.keras.datasets.mnist.load_data()``.

    Images are uint8 arrays of shape (N, 28, 28) with values 0..255, labels uint8 arrays of shape (N,).

    Where the data comes from, in order:

    1. ``path``, if given;
    2. the file named by the environment variable ``MNIST_NPZ``, if set and not empty;
    3. ``tf.keras.datasets.mnist.load_data()``, which downloads the file once and caches it.

    A local file is read with ``allow_pickle=False`` and each array's shape, dtype and SHA-256 are
    checked. Any failure raises :class:`MNISTDataError` with a message that says what to do.
    """
    if path is None:
        path = os.environ.get(MNIST_ENV_VAR) or None
    if path is not None:
        return _load_local(path)
    import tensorflow as tf  # imported here so that a local file needs no TensorFlow

    try:
        return tf.keras.datasets.mnist.load_data()
    except Exception as exc:  # Keras raises a bare Exception when the download fails
        raise _fail(f"Keras could not download MNIST ({exc}).") from exc


# --------------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------------


def draw_number_grid(
    ax,
    values,
    *,
    title: str | None = None,
    highlight=None,
    highlight_color: str = "black",
    shade=None,
    fmt: str = "{:g}",
    fontsize: float = 10,
    cmap: str = "Greys",
    vmin: float | None = None,
    vmax: float | None = None,
    labels: bool = True,
):
    """Draw a 2-D array as a grid of cells with its values written in them.

    Cells are shaded from white to grey by value (``shade=False`` keeps them white, which reads best
    for small integer examples), so the figure stays readable in greyscale. ``highlight`` is a
    ``(row, col, height, width)`` rectangle, or a list of them, outlined with a thick border: a kernel
    window on an input, or the output cell it produces. NaN values are drawn as empty hatched cells
    (padding positions that hold zeros are better drawn as zeros).
    """
    import matplotlib.patches as patches

    values = np.asarray(values, dtype=float)
    rows, cols = values.shape
    finite = values[np.isfinite(values)]
    if shade is None:
        shade = True
    if shade and finite.size:
        lo = finite.min() if vmin is None else vmin
        hi = finite.max() if vmax is None else vmax
        ax.imshow(np.where(np.isfinite(values), values, lo), cmap=cmap, vmin=lo, vmax=hi + (hi - lo) * 0.6 + 1e-9)
    else:
        ax.imshow(np.zeros_like(values), cmap="Greys", vmin=0, vmax=1)
    for r in range(rows):
        for c in range(cols):
            value = values[r, c]
            if not np.isfinite(value):
                ax.add_patch(patches.Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, hatch="///", lw=0, color="0.6"))
                continue
            ax.text(c, r, fmt.format(value), ha="center", va="center", fontsize=fontsize, color="black")
    # cell borders
    for r in range(rows + 1):
        ax.plot([-0.5, cols - 0.5], [r - 0.5, r - 0.5], color="0.55", lw=0.8)
    for c in range(cols + 1):
        ax.plot([c - 0.5, c - 0.5], [-0.5, rows - 0.5], color="0.55", lw=0.8)
    if highlight is not None:
        boxes = [highlight] if np.ndim(highlight) == 1 else highlight
        for row, col, height, width in boxes:
            ax.add_patch(
                patches.Rectangle((col - 0.5, row - 0.5), width, height, fill=False, lw=3, edgecolor=highlight_color)
            )
    ax.set_xlim(-0.6, cols - 0.4)
    ax.set_ylim(rows - 0.4, -0.6)
    ax.set_aspect("equal")
    if labels:
        ax.set_xticks(range(cols))
        ax.set_yticks(range(rows))
        ax.set_xlabel("column")
        ax.set_ylabel("row")
        ax.tick_params(length=0, labelsize=8)
    else:
        ax.set_xticks([])
        ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    if title:
        ax.set_title(title, fontsize=fontsize + 1)
    return ax


def show_digits(images, titles=None, *, ncols: int = 10, size: float = 1.1, suptitle: str | None = None, cmap="gray_r"):
    """Show images of shape (N, H, W) or (N, H, W, 1) in a grid without axis clutter; return the figure."""
    import matplotlib.pyplot as plt

    images = np.asarray(images)
    if images.ndim == 4:
        images = images[..., 0]
    count = len(images)
    ncols = min(ncols, count)
    nrows = int(np.ceil(count / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows * (1.25 if titles is not None else 1)),
                             squeeze=False)
    for index, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if index >= count:
            ax.axis("off")
            continue
        ax.imshow(images[index], cmap=cmap, vmin=0, vmax=images.max() if images.max() > 1 else 1)
        if titles is not None:
            ax.set_title(str(titles[index]), fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------------------
# Exercise checks
# --------------------------------------------------------------------------------------------------


class ExerciseCheckError(AssertionError):
    """An exercise's answer is not right yet; the message says what was expected and what was found."""


def _shape_tuple(shape):
    if hasattr(shape, "as_list"):
        shape = shape.as_list()
    return tuple(None if s is None else int(s) for s in shape)


def check_shape(what: str, got, expected) -> None:
    """Fail unless shape ``got`` equals ``expected`` (tuples, lists or TensorShapes; None for the batch)."""
    try:
        got_shape = _shape_tuple(got)
    except TypeError:
        raise ExerciseCheckError(f"{what}: expected a shape such as {_shape_tuple(expected)}, got {got!r}") from None
    expected_shape = _shape_tuple(expected)
    if got_shape != expected_shape:
        raise ExerciseCheckError(f"{what}: expected shape {expected_shape}, got {got_shape}")
    print(f"Correct: {what} is {expected_shape}.")


def check_equal(what: str, got, expected) -> None:
    """Fail unless ``got == expected`` (numbers, strings, tuples)."""
    if got != expected:
        raise ExerciseCheckError(f"{what}: expected {expected!r}, got {got!r}")
    print(f"Correct: {what} is {expected!r}.")


def check_close(what: str, got, expected, *, atol: float = 1e-5) -> None:
    """Fail unless array ``got`` has ``expected``'s shape and values within ``atol``."""
    expected = np.asarray(expected, dtype=float)
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise ExerciseCheckError(f"{what}: expected numbers of shape {expected.shape}, got {type(got).__name__}") from None
    if got.shape != expected.shape:
        raise ExerciseCheckError(f"{what}: expected an array of shape {expected.shape}, got shape {got.shape}")
    wrong = ~np.isclose(got, expected, atol=atol, rtol=0)
    if wrong.any():
        index = tuple(int(i) for i in np.argwhere(wrong)[0])
        raise ExerciseCheckError(
            f"{what}: {int(wrong.sum())} of {wrong.size} values differ; first at index {index}: "
            f"expected {expected[index]:g}, got {got[index]:g}"
        )
    print(f"Correct: {what} matches ({expected.size} values).")


def check_true(condition: bool, message: str, success: str = "Correct.") -> None:
    """Fail with ``message`` unless ``condition`` holds."""
    if not condition:
        raise ExerciseCheckError(message)
    print(success)
