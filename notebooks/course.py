"""Helpers shared by the chapters of *Convolutional Autoencoders*.

What a student should learn stays in the notebooks. This module holds what several chapters need, or what
would distract from the lesson:

* data: ``load_mnist`` (MNIST exactly as ``tf.keras.datasets.mnist.load_data()`` returns it, or from a
  verified local ``mnist.npz``), ``prepare_images`` and ``mnist_splits`` (training, validation and test
  images as the models take them);
* shape arithmetic: the output size of a convolution and of a transposed convolution, and the zeros
  ``padding='same'`` adds, exactly as TensorFlow computes them (one rule per quantity for the whole book);
* reference computations: a plain NumPy convolution used by the figures and the tests;
* models: ``conv_encoder`` and ``conv_decoder``, chapter 3's encoder and decoder, for the chapters after it;
* training: ``EpochLog``, one short line per epoch instead of Keras' progress bars;
* figures: one resolution for every chapter (set on import), grids of numbers, sliding-window steps, mosaics
  and rows of digits;
* exercise checks: hints that name a mistake without giving the answer away;
* run times: the time to execute each chapter, as `make bench` measured it;
* self-check questions (ungraded, data in ``questions/<chapter>.py``) and step-through figures, both shown
  as small HTML widgets that work offline and without a kernel.

Every docstring has the same form: one line that says what the function returns or does, then the details.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path
from typing import NamedTuple

import numpy as np

__all__ = [
    # data
    "MNIST_ENV_VAR",
    "MNIST_URL",
    "MNIST_LAYOUT",
    "MNIST_SHA256",
    "MNISTDataError",
    "array_sha256",
    "load_mnist",
    "prepare_images",
    "MNISTSplits",
    "mnist_splits",
    # shape arithmetic
    "conv_output_size",
    "transposed_conv_output_size",
    "same_padding",
    "conv_padding",
    # reference computations
    "conv2d_reference",
    # models
    "conv_encoder",
    "conv_decoder",
    # training
    "EpochLog",  # noqa: F822 - made on first use by __getattr__ (below), so that importing needs no TensorFlow
    # figures
    "FIGURE_DPI",
    "use_course_figure_settings",
    "draw_number_grid",
    "draw_conv_step",
    "show_conv_steps",
    "show_digits",
    "show_image_rows",
    # exercise checks
    "ExerciseCheckError",
    "fingerprint",
    "hint",
    "hint_if_known",
    "expect_type",
    "expect_shape_form",
    "passed",
    # graded answers (hidden tests)
    "GRADING_RECORD_ENV_VAR",
    "plain",
    "plain_match",
    "grade_equal",
    "grade_close",
    "grade_member",
    # run times
    "run_times",
    "format_run_time",
    "run_time_note",
    # self-check questions
    "Option",
    "Choice",
    "Mistake",
    "Numeric",
    "load_questions",
    "self_check",
    # step-through figures
    "Grid",
    "Frame",
    "step_through",
    "conv2d_frames",
    "transposed_conv_frames",
    "transposed_conv_zero_insertion_frames",
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
    """Return the SHA-256 of an array's raw bytes in C order."""
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


def prepare_images(images) -> np.ndarray:
    """Return uint8 images of shape (N, 28, 28) as float32 of shape (N, 28, 28, 1) with values in [0, 1].

    Dividing by 255 puts pixels on the scale of a sigmoid output; the last axis is the single grey channel
    that ``Conv2D`` expects.
    """
    images = np.asarray(images)
    if images.ndim != 3:
        raise ValueError(f"expected images of shape (N, height, width), got shape {images.shape}")
    prepared = images.astype("float32")
    prepared /= 255.0  # in place: the same values as `images / 255.0`, without a second copy of the data set
    return prepared[..., np.newaxis]


class MNISTSplits(NamedTuple):
    """MNIST as prepared images and labels: training, validation and test."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def mnist_splits(validation_size: int = 5000, path: str | os.PathLike | None = None) -> MNISTSplits:
    """Return training, validation and test images (prepared) with their labels.

    The validation images are the last ``validation_size`` of Keras' 60,000 training images, as
    ``model.fit(validation_split=...)`` would take them: a fixed split, the same on every machine. They are
    for every choice made while building a model (epochs, learning rate, a threshold); the test images are
    for measuring the result once, at the end. ``path`` is passed to :func:`load_mnist`.
    """
    (train_images, train_labels), (test_images, test_labels) = load_mnist(path)
    if not 0 < validation_size < len(train_images):
        raise ValueError(f"validation_size must be between 1 and {len(train_images) - 1}, got {validation_size}")
    cut = len(train_images) - validation_size
    return MNISTSplits(
        prepare_images(train_images[:cut]),
        train_labels[:cut],
        prepare_images(train_images[cut:]),
        train_labels[cut:],
        prepare_images(test_images),
        test_labels,
    )


# --------------------------------------------------------------------------------------------------
# Shape arithmetic
# --------------------------------------------------------------------------------------------------
#
# Chapter 1 derives the convolution rules and chapter 2 the transposed-convolution rules; every later
# chapter uses these functions, which the tests check against Keras.


def _pair(value) -> tuple[int, int]:
    """Return ``(3, 3)`` for ``3`` and ``(3, 5)`` for ``(3, 5)``."""
    if np.ndim(value) == 0:
        return int(value), int(value)
    first, second = value
    return int(first), int(second)


def _check_padding(padding: str) -> str:
    padding = str(padding).lower()
    if padding not in ("valid", "same"):
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    return padding


def conv_output_size(
    input_size: int, kernel_size: int, stride: int = 1, padding: str = "valid", dilation: int = 1
) -> int:
    """Return the length of a ``Conv2D`` output along one axis, as TensorFlow computes it.

    With the dilated kernel size ``k̂ = k + (k - 1)(d - 1)``: ``'valid'`` gives ``floor((n - k̂) / s) + 1``
    and needs the kernel to fit (a ``ValueError`` that says so otherwise); ``'same'`` gives ``ceil(n / s)``
    whatever the kernel. Keras refuses a stride above 1 together with a dilation above 1, and so does this.
    """
    padding = _check_padding(padding)
    if min(input_size, kernel_size, stride, dilation) < 1:
        raise ValueError("input size, kernel size, stride and dilation must all be at least 1")
    if stride > 1 and dilation > 1:
        raise ValueError(
            f"strides > 1 cannot be combined with dilation > 1 (got stride {stride}, "
            f"dilation {dilation}): Keras refuses such a layer"
        )
    effective = kernel_size + (kernel_size - 1) * (dilation - 1)
    if padding == "same":
        return -(-input_size // stride)
    if effective > input_size:
        raise ValueError(
            f"a kernel of size {kernel_size}"
            + (f" (dilated to {effective})" if dilation > 1 else "")
            + f" does not fit in an input of size {input_size} with padding='valid': use a smaller kernel, "
            "a larger input, or padding='same'"
        )
    return (input_size - effective) // stride + 1


def transposed_conv_output_size(
    input_size: int, kernel_size: int, stride: int = 1, padding: str = "valid", output_padding: int | None = None
) -> int:
    """Return the length of a ``Conv2DTranspose`` output along one axis, as Keras computes it.

    Without ``output_padding``: ``(n - 1) s + max(k, s)`` for ``'valid'`` and ``n s`` for ``'same'``. With
    ``output_padding = a`` (which must be smaller than the stride): ``(n - 1) s + k + a`` for ``'valid'`` and
    ``(n - 1) s + k + a - 2 floor(k / 2)`` for ``'same'``.
    """
    padding = _check_padding(padding)
    if min(input_size, kernel_size, stride) < 1:
        raise ValueError("input size, kernel size and stride must all be at least 1")
    if output_padding is None:
        if padding == "same":
            return input_size * stride
        return (input_size - 1) * stride + max(kernel_size, stride)
    if not 0 <= output_padding < stride:
        raise ValueError(
            f"output_padding must be at least 0 and smaller than the stride ({stride}), got {output_padding}"
        )
    size = (input_size - 1) * stride + kernel_size + output_padding
    if padding == "same":
        size -= 2 * (kernel_size // 2)
    return size


def same_padding(input_size: int, kernel_size: int, stride: int = 1) -> tuple[int, int]:
    """Return the zeros ``(before, after)`` that ``Conv2D(padding='same')`` adds along one axis.

    The total is what the windows need to produce ``ceil(n / s)`` outputs; when it is odd, TensorFlow puts
    the extra zero after (at the bottom, or on the right).
    """
    output_size = conv_output_size(input_size, kernel_size, stride, "same")
    total = max((output_size - 1) * stride + kernel_size - input_size, 0)
    return total // 2, total - total // 2


def conv_padding(input_shape, kernel_shape, strides=1, padding: str = "valid") -> tuple:
    """Return the zero padding ``((top, bottom), (left, right))`` of a 2-D convolution in TensorFlow."""
    if _check_padding(padding) == "valid":
        return (0, 0), (0, 0)
    (height, width), (kernel_h, kernel_w), (stride_h, stride_w) = (
        _pair(input_shape),
        _pair(kernel_shape),
        _pair(strides),
    )
    return same_padding(height, kernel_h, stride_h), same_padding(width, kernel_w, stride_w)


# --------------------------------------------------------------------------------------------------
# Reference computations
# --------------------------------------------------------------------------------------------------


def conv2d_reference(image, kernel, strides=1, padding: str = "valid"):
    """Return the single-channel 2-D cross-correlation that ``Conv2D`` computes (no bias, no activation).

    ``image`` has shape (H, W), ``kernel`` shape (kh, kw). Used by the figures and the tests; the chapter
    writes its own loop for the reader. Like ``same_padding``, ``conv_padding``, ``show_conv_steps`` and the
    frame functions, it answers exercises, so the course.py that students receive leaves it out
    (``WITHHELD`` in tools/coursework.py).
    """
    image = np.asarray(image, dtype=float)
    kernel = np.asarray(kernel, dtype=float)
    (top, bottom), (left, right) = conv_padding(image.shape, kernel.shape, strides, padding)
    padded = np.pad(image, ((top, bottom), (left, right)))
    kernel_h, kernel_w = kernel.shape
    stride_h, stride_w = _pair(strides)
    out_h = conv_output_size(padded.shape[0], kernel_h, stride_h, "valid")
    out_w = conv_output_size(padded.shape[1], kernel_w, stride_w, "valid")
    output = np.zeros((out_h, out_w))
    for row in range(out_h):
        for col in range(out_w):
            window = padded[row * stride_h : row * stride_h + kernel_h, col * stride_w : col * stride_w + kernel_w]
            output[row, col] = np.sum(window * kernel)
    return output


# --------------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------------


def conv_encoder(code_filters: int = 2):
    """Return chapter 3's convolutional encoder: a 28 x 28 x 1 image to a 1 x 1 x ``code_filters`` map.

    Two strided 3 x 3 convolutions (32 and 64 filters, ReLU) halve the image twice; a 7 x 7 'valid'
    convolution without activation covers the 7 x 7 map in one position. A plain autoencoder's code has
    ``code_filters`` numbers; a VAE's encoder has twice the code's size (means and log-variances).
    """
    import keras
    from keras.layers import Conv2D

    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            Conv2D(32, 3, strides=2, padding="same", activation="relu", name="conv_1"),
            Conv2D(64, 3, strides=2, padding="same", activation="relu", name="conv_2"),
            Conv2D(code_filters, 7, padding="valid", name="conv_3"),
        ],
        name="encoder",
    )


def conv_decoder(latent_dim: int = 2, position_bias: bool = False):
    """Return chapter 3's convolutional decoder: a 1 x 1 x ``latent_dim`` code to a 28 x 28 x 1 image in (0, 1).

    The first layer makes a 7 x 7 x 64 map (ReLU), two strided 3 x 3 transposed convolutions (32 filters,
    then 1 with a sigmoid) double it twice. In chapter 3 the first layer is a 7 x 7 'valid' transposed
    convolution, which on a 1 x 1 input has one bias per channel, shared by the 49 positions. With
    ``position_bias=True`` it is a dense layer on the code, reshaped to 7 x 7 x 64: the same weights plus
    one bias per position and channel, so that the code 0 can decode to an image with a shape.
    """
    import keras
    from keras.layers import Conv2DTranspose, Dense, Flatten, Reshape

    if position_bias:
        first = [
            Flatten(name="flatten"),
            Dense(7 * 7 * 64, activation="relu", name="dense_1"),
            Reshape((7, 7, 64), name="reshape"),
        ]
    else:
        first = [Conv2DTranspose(64, 7, padding="valid", activation="relu", name="conv_transpose_1")]
    return keras.Sequential(
        [
            keras.Input(shape=(1, 1, latent_dim)),
            *first,
            Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu", name="conv_transpose_2"),
            Conv2DTranspose(1, 3, strides=2, padding="same", activation="sigmoid", name="conv_transpose_3"),
        ],
        name="decoder",
    )


# --------------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------------


def _epoch_log_class():
    import keras

    class EpochLog(keras.callbacks.Callback):
        """Print one line per epoch with the chosen metrics (train with ``verbose=0``: no progress bars)."""

        def __init__(self, metrics=None, every: int = 1, digits: int = 4):
            super().__init__()
            self.metrics = metrics
            self.every = every
            self.digits = digits

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            epochs = self.params.get("epochs", "?")
            if (epoch + 1) % self.every and epoch + 1 != epochs:
                return
            names = self.metrics or sorted(logs)
            parts = [f"{name} {float(logs[name]):.{self.digits}f}" for name in names if name in logs]
            print(f"epoch {epoch + 1}/{epochs}: " + ", ".join(parts), flush=True)

    return EpochLog


def __getattr__(name):
    # EpochLog subclasses a Keras class: it is made on first use, so that importing this module needs no
    # TensorFlow (the loader and the figures work without it).
    if name == "EpochLog":
        cls = _epoch_log_class()
        globals()["EpochLog"] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --------------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------------

# One resolution for the figures of every chapter, set when a chapter imports this module (its setup cell
# does): the inline backend stores each figure as a PNG of figure size × FIGURE_DPI pixels, so this keeps the
# stored notebooks small (re-executing a chapter adds little to the repository), and the same on every
# machine, whatever its matplotlib defaults.
FIGURE_DPI = 80


def use_course_figure_settings() -> None:
    """Set matplotlib's figure resolution to the course's :data:`FIGURE_DPI` (done when the module is imported)."""
    import matplotlib

    matplotlib.rcParams["figure.dpi"] = FIGURE_DPI


use_course_figure_settings()


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
    """Draw a 2-D array on ``ax`` as a grid of cells with its values written in them; return ``ax``.

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
    row_height = size * (1.4 if titles is not None else 1.0)  # a title line needs about 0.4 of an image
    height = row_height * nrows + (0.45 if suptitle else 0.0)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, height), squeeze=False)
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


def show_image_rows(
    rows,
    row_labels,
    column_titles=None,
    title: str | None = None,
    *,
    cell: float = 0.85,
    cmap: str = "gray_r",
    vmin: float = 0.0,
    vmax: float = 1.0,
):
    """Draw equal-length sequences of images as labelled rows (input, reconstruction, ...); return the figure.

    ``rows`` is a list of image sequences, each image of shape (H, W) or (H, W, 1); ``row_labels`` names
    each row on the left, ``column_titles`` (optional) names each column on top. Dark is ink: the colour
    map reads the same in grey.
    """
    import matplotlib.pyplot as plt

    nrows, ncols = len(rows), len(rows[0])
    if len(row_labels) != nrows:
        raise ValueError(f"{nrows} rows but {len(row_labels)} row labels")
    if any(len(images) != ncols for images in rows):
        raise ValueError("every row must hold the same number of images")
    figure, axes = plt.subplots(nrows, ncols, figsize=(cell * ncols + 1.2, cell * nrows + 0.6), squeeze=False)
    for row, (images, label) in enumerate(zip(rows, row_labels)):
        for column, image in enumerate(images):
            ax = axes[row, column]
            ax.imshow(np.squeeze(np.asarray(image)), cmap=cmap, vmin=vmin, vmax=vmax)
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_color("0.75")
            if column == 0:
                ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=10)
            if row == 0 and column_titles is not None:
                ax.set_title(column_titles[column], fontsize=9)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def draw_conv_step(
    ax_input,
    ax_output,
    grid,
    output,
    *,
    window,
    output_cell,
    virtual=None,
    kernel=None,
    origin=(0, 0),
    fmt: str = "{:g}",
    fontsize: float = 11,
    input_title: str | None = "input",
    output_title: str | None = "output",
):
    """Draw one step of a sliding window: the grid it slides over, and the output cell it produces.

    ``grid`` is the 2-D array the kernel slides over (for a padded convolution, the input with its
    zeros around it). ``virtual`` is a boolean mask of the same shape marking cells that are not part
    of the input but were added as zeros (padding, or zeros inserted between rows): they are drawn
    hatched with a grey 0. ``window = (row, col, height, width)`` is the window's position in ``grid``;
    if ``kernel`` is given, its weights are written small in the window's cells (``×w``).
    ``output_cell = (row, col)`` is outlined in the ``output`` array. ``origin = (row, col)`` is the
    position of the input's top-left cell in ``grid``, so that tick labels count from the input
    (padding rows and columns get negative indices or indices past the end).
    Either axis may be ``None`` to draw only the other panel. Returns ``(ax_input, ax_output)``.
    """
    import matplotlib.patches as patches

    grid = np.asarray(grid, dtype=float)
    virtual = np.zeros(grid.shape, dtype=bool) if virtual is None else np.asarray(virtual, dtype=bool)
    if virtual.shape != grid.shape:
        raise ValueError(f"virtual mask has shape {virtual.shape}, grid has shape {grid.shape}")
    row0, col0, height, width = window
    if row0 < 0 or col0 < 0 or row0 + height > grid.shape[0] or col0 + width > grid.shape[1]:
        raise ValueError(f"window {tuple(window)} does not fit in a grid of shape {grid.shape}")

    if ax_input is not None:
        draw_number_grid(ax_input, np.where(virtual, np.nan, grid), shade=False, fmt=fmt, fontsize=fontsize)
        # draw_number_grid hatches NaN cells densely and leaves them empty; redraw the added zeros lighter,
        # with their value written in grey.
        for patch in list(ax_input.patches):
            patch.remove()
        for r, c in zip(*np.nonzero(virtual)):
            ax_input.add_patch(
                patches.Rectangle(
                    (c - 0.5, r - 0.5), 1, 1, facecolor="0.93", edgecolor="0.72", hatch="//", lw=0, zorder=0.5
                )
            )
            ax_input.text(
                c, r, fmt.format(grid[r, c]), ha="center", va="center", fontsize=fontsize, color="0.35", zorder=3
            )
        ax_input.add_patch(
            patches.Rectangle((col0 - 0.5, row0 - 0.5), width, height, facecolor="0.82", edgecolor="none", zorder=1)
        )
        ax_input.add_patch(
            patches.Rectangle((col0 - 0.5, row0 - 0.5), width, height, fill=False, lw=3, edgecolor="black", zorder=4)
        )
        if kernel is not None:
            kernel = np.asarray(kernel, dtype=float)
            if kernel.shape != (height, width):
                raise ValueError(f"kernel has shape {kernel.shape}, window is {height}x{width}")
            for r in range(height):
                for c in range(width):
                    ax_input.text(
                        col0 + c + 0.44,
                        row0 + r + 0.44,
                        "×" + fmt.format(kernel[r, c]),
                        ha="right",
                        va="bottom",
                        fontsize=fontsize * 0.62,
                        color="0.2",
                        zorder=5,
                    )
        origin_row, origin_col = origin
        ax_input.set_xticks(range(grid.shape[1]), [str(c - origin_col) for c in range(grid.shape[1])])
        ax_input.set_yticks(range(grid.shape[0]), [str(r - origin_row) for r in range(grid.shape[0])])
        if input_title:
            ax_input.set_title(input_title, fontsize=fontsize)

    if ax_output is not None:
        output = np.asarray(output, dtype=float)
        out_row, out_col = output_cell
        draw_number_grid(ax_output, output, shade=False, fmt=fmt, fontsize=fontsize)
        ax_output.add_patch(
            patches.Rectangle((out_col - 0.5, out_row - 0.5), 1, 1, facecolor="0.82", edgecolor="none", zorder=1)
        )
        ax_output.add_patch(
            patches.Rectangle((out_col - 0.5, out_row - 0.5), 1, 1, fill=False, lw=3, edgecolor="black", zorder=4)
        )
        if output_title:
            ax_output.set_title(output_title, fontsize=fontsize)
    return ax_input, ax_output


def show_conv_steps(
    image,
    kernel,
    *,
    strides=1,
    padding: str = "valid",
    steps=((0, 0),),
    fmt: str = "{:g}",
    suptitle: str | None = None,
    cell: float = 0.42,
):
    """Return a figure of a 2-D convolution as ``Conv2D`` computes it, one row per output cell in ``steps``.

    Each row shows the input (with its zero padding, hatched, when ``padding='same'`` adds some) and
    the kernel window that produces one output cell, the kernel, and the whole output with that cell
    outlined and its value written below. All grids are drawn at the same scale, ``cell`` inches per
    cell. Returns the figure.
    """
    import matplotlib.pyplot as plt

    image = np.asarray(image, dtype=float)
    kernel = np.asarray(kernel, dtype=float)
    (top, bottom), (left, right) = conv_padding(image.shape, kernel.shape, strides, padding)
    grid = np.pad(image, ((top, bottom), (left, right)))
    virtual = np.pad(np.zeros(image.shape, dtype=bool), ((top, bottom), (left, right)), constant_values=True)
    output = conv2d_reference(image, kernel, strides, padding)
    stride_h, stride_w = _pair(strides)
    kernel_h, kernel_w = kernel.shape
    steps = [tuple(int(i) for i in step) for step in steps]
    for step in steps:
        if not (0 <= step[0] < output.shape[0] and 0 <= step[1] < output.shape[1]):
            raise ValueError(f"step {step} is outside the output, which has shape {output.shape}")

    # Place the axes in inches so that every grid has the same cell size.
    panels = [grid.shape, kernel.shape, output.shape]
    margin_left, gap, margin_right = 0.55, 0.7, 0.2
    title_space, label_space, suptitle_space = 0.45, 0.85, 0.45
    grid_height = cell * max(shape[0] for shape in panels)
    row_height = title_space + grid_height + label_space
    fig_width = margin_left + gap * 2 + margin_right + cell * sum(shape[1] for shape in panels)
    fig_height = suptitle_space + row_height * len(steps)
    fig = plt.figure(figsize=(fig_width, fig_height))

    is_padded = (top, bottom, left, right) != (0, 0, 0, 0)
    input_title = f"input {image.shape[0]}×{image.shape[1]}" + (", zero-padded (hatched)" if is_padded else "")
    for index, (out_row, out_col) in enumerate(steps):
        row_top = fig_height - suptitle_space - index * row_height - title_space  # top of the grids, inches
        axes = []
        x = margin_left
        for rows, cols in panels:
            y = row_top - grid_height / 2 - cell * rows / 2  # grids centred vertically in their row
            axes.append(
                fig.add_axes([x / fig_width, y / fig_height, cell * cols / fig_width, cell * rows / fig_height])
            )
            x += cell * cols + gap
        ax_input, ax_kernel, ax_output = axes
        draw_conv_step(
            ax_input,
            ax_output,
            grid,
            output,
            window=(out_row * stride_h, out_col * stride_w, kernel_h, kernel_w),
            output_cell=(out_row, out_col),
            virtual=virtual,
            kernel=kernel,
            origin=(top, left),
            fmt=fmt,
            input_title=input_title,
            output_title=f"output {output.shape[0]}×{output.shape[1]}",
        )
        draw_number_grid(ax_kernel, kernel, shade=False, fmt=fmt, fontsize=11, title="kernel")
        ax_output.set_xlabel(
            f"column\n\noutput[{out_row}, {out_col}] = {fmt.format(output[out_row, out_col])}", fontsize=10
        )
    fig.suptitle(suptitle or f"padding='{padding}', strides={strides}", fontsize=12, y=1 - 0.12 / fig_height, va="top")
    return fig


# --------------------------------------------------------------------------------------------------
# Exercise checks
# --------------------------------------------------------------------------------------------------
#
# The check cell after an exercise has two parts. The visible part, which a student runs, tests the form of
# the answer (type, rank) and recognises typical mistakes: it raises ExerciseCheckError with a hint that
# names the mistake, never the expected value, and on success says only that no known mistake was found.
# Known wrong answers are stored as fingerprints (short digests), so reading the check reveals neither the
# answer nor the wrong values. The wrong values are written once, in the chapter's table
# tests/exercises/NN_name.py; `python tools/exercises.py fingerprints tests/exercises/NN_name.py` prints the
# dictionaries a check holds. The graded part, between ### BEGIN HIDDEN TESTS and ### END HIDDEN TESTS,
# computes the reference and asserts; nbgrader strips it from what students receive and runs it when it
# grades.


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


# --------------------------------------------------------------------------------------------------
# Graded answers
# --------------------------------------------------------------------------------------------------
#
# A hidden test hands its answer and its reference to grade_equal, grade_close or grade_member. Each turns
# both into plain values (built-in types only: an int subclass becomes the int it holds, an array or a
# tensor the nested list of its numbers), compares them without calling any method of the answer, and
# asserts. When tools/grade.py grades, the kernel also appends each answer to the file that
# COURSE_GRADING_RECORD names, and the grader compares it in its own process with the reference recorded by
# a run of the untouched source notebook: what a submission changes in its kernel (this module's functions,
# NumPy, the answer's class, the exercise's data) changes at most its own recorded answer.

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
    reference in the call itself: tools/grade.py replaces that argument by None (``withheld=True``) in the
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


# --------------------------------------------------------------------------------------------------
# Run times
# --------------------------------------------------------------------------------------------------
#
# `make bench` (tools/bench.py) writes notebooks/run_times.json: the seconds each chapter took to execute
# on the machine it ran on. The opening section of a chapter states that figure, rounded coarsely.

RUN_TIMES = Path(__file__).resolve().parent / "run_times.json"


def run_times(path: str | os.PathLike | None = None) -> dict[str, float]:
    """Return the measured seconds to execute each chapter, ``{"01_conv2d": 8.4, ...}``, from run_times.json."""
    import json

    path = Path(path or RUN_TIMES)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: `make bench` writes it (keep it beside course.py)")
    return {str(name): float(seconds) for name, seconds in json.loads(path.read_text())["seconds"].items()}


def format_run_time(seconds: float) -> str:
    """Return a duration as a reader plans with it: ``"under a minute"``, ``"about 2 minutes"``.

    Rounded to whole minutes (under a minute: said so), so that the text does not change with the few
    seconds that separate two measurements on the same machine.
    """
    if not seconds >= 0:
        raise ValueError(f"a run time is a number of seconds of at least 0, got {seconds!r}")
    if seconds < 60:
        return "under a minute"
    minutes = int(seconds / 60 + 0.5)
    return "about 1 minute" if minutes == 1 else f"about {minutes} minutes"


class _Markdown:
    """A display object whose text is Markdown (rendered by Jupyter Book and JupyterLab) and plain text."""

    def __init__(self, text: str):
        self.text = text

    def _repr_markdown_(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text


def run_time_note(chapter: str, path: str | os.PathLike | None = None) -> _Markdown:
    """Return the opening section's run-time line for ``chapter`` (``"01_conv2d"``), from `make bench`'s figures."""
    seconds = run_times(path)
    if chapter not in seconds:
        raise KeyError(f"run_times.json has no figure for {chapter!r} (it has {', '.join(seconds)}): run `make bench`")
    return _Markdown(
        f"**Time to run:** {format_run_time(seconds[chapter])} on a 2-core laptop without a GPU "
        "(measured by `make bench`)."
    )


# --------------------------------------------------------------------------------------------------
# Self-check questions
# --------------------------------------------------------------------------------------------------
#
# Questions are data: notebooks/questions/<chapter>.py defines QUESTIONS, a list of Choice and Numeric.
# `self_check(chapter, section)` shows the questions of one section as a small HTML widget with its own
# script (no network, no kernel needed once the output is stored) and a plain-text fallback. They are for
# the reader, not graded.

QUESTIONS_DIR = Path(__file__).resolve().parent / "questions"


class Option(NamedTuple):
    """One answer of a multiple-choice question and the feedback a reader gets on choosing it.

    The feedback of a wrong option names the misconception that leads to it; that of the right option
    says why it is right.
    """

    text: str
    feedback: str
    right: bool = False


class Choice(NamedTuple):
    """A multiple-choice question with exactly one right option."""

    id: str
    section: str
    prompt: str
    options: tuple


class Mistake(NamedTuple):
    """A wrong numeric answer that a known misconception produces, and the feedback that names it."""

    value: float
    feedback: str


class Numeric(NamedTuple):
    """A question whose answer is a number, computed by the course's functions (never typed in).

    ``explanation`` is shown with a right answer; ``mistakes`` are the wrong values that typical
    misconceptions give, each with feedback that names the misconception; ``other`` is the feedback for
    any other wrong value. Answers within ``tolerance`` of ``answer`` count as right.
    """

    id: str
    section: str
    prompt: str
    answer: float
    explanation: str
    mistakes: tuple = ()
    other: str = "Not this one: work through the rule of this section step by step."
    tolerance: float = 0.0


def _check_question(chapter: str, question) -> None:
    where = f"questions/{chapter}.py, question {getattr(question, 'id', question)!r}"
    if type(question).__name__ not in ("Choice", "Numeric"):
        raise TypeError(f"{where}: a question is a course.Choice or a course.Numeric, got {type(question).__name__}")
    if not (question.id and question.section and question.prompt.strip()):
        raise ValueError(f"{where}: a question needs an id, a section and a prompt")
    if type(question).__name__ == "Choice":
        if len(question.options) < 2:
            raise ValueError(f"{where}: a multiple-choice question needs at least two options")
        if sum(bool(option.right) for option in question.options) != 1:
            raise ValueError(f"{where}: exactly one option must be right (right=True)")
        if any(not option.feedback.strip() for option in question.options):
            raise ValueError(f"{where}: every option needs feedback (why it is right, or the misconception)")
        if len({option.text for option in question.options}) != len(question.options):
            raise ValueError(f"{where}: two options have the same text")
    else:
        if isinstance(question.answer, bool) or not np.isfinite(float(question.answer)):
            raise ValueError(f"{where}: the answer must be a finite number, got {question.answer!r}")
        if not question.explanation.strip() or not question.other.strip():
            raise ValueError(f"{where}: a numeric question needs an explanation and feedback for other answers")
        values = [float(mistake.value) for mistake in question.mistakes]
        if len(set(values)) != len(values):
            raise ValueError(f"{where}: two mistakes have the same value")
        for mistake in question.mistakes:
            if abs(float(mistake.value) - float(question.answer)) <= question.tolerance:
                raise ValueError(f"{where}: the mistake {mistake.value!r} equals the answer")
            if not mistake.feedback.strip():
                raise ValueError(f"{where}: the mistake {mistake.value!r} has no feedback")


def load_questions(chapter: str) -> list:
    """Return the questions of ``chapter`` (``"01_conv2d"``), read from notebooks/questions/<chapter>.py.

    Each question is checked: exactly one right option, feedback for every option, a finite numeric answer
    that none of its listed mistakes equals, ids unique in the chapter.
    """
    import importlib.util
    import sys

    path = QUESTIONS_DIR / f"{chapter}.py"
    if not path.is_file():
        raise FileNotFoundError(
            f"no questions for chapter {chapter!r}: {path} is missing (keep questions/ beside course.py)"
        )
    sys.modules.setdefault("course", sys.modules[__name__])  # the question file's `import course` is this module
    spec = importlib.util.spec_from_file_location(f"course_questions_{chapter}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    questions = list(getattr(module, "QUESTIONS", []))
    for question in questions:
        _check_question(chapter, question)
    ids = [question.id for question in questions]
    if len(set(ids)) != len(ids):
        raise ValueError(f"questions/{chapter}.py: question ids repeat: {sorted(i for i in ids if ids.count(i) > 1)}")
    return questions


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")


def _number_text(value: float) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:g}"


class _Widget:
    """A display object with HTML for a browser (text/html) and a plain-text fallback (text/plain)."""

    def __init__(self, html: str, text: str):
        self.html = html
        self.text = text

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/html": self.html, "text/plain": self.text}

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return self.text


# One style sheet and one script for both widgets, written into every widget's output: each output works on
# its own (a stored notebook in JupyterLab, a page of the site, a file opened from disk). The script sets up
# every widget on the page that is not set up yet, so that several copies on one page do no harm.
_WIDGET_CSS = """
.ca-w{--ca-ok:var(--pst-color-success,#1a7f37);--ca-no:var(--pst-color-danger,#b3261e);
 border:1px solid color-mix(in srgb,currentColor 35%,transparent);border-radius:6px;padding:.6rem .8rem;
 margin:.4rem 0;max-width:100%;box-sizing:border-box;font-size:.95rem;line-height:1.45}
.ca-w *{box-sizing:border-box}
.ca-w .ca-title{margin:0 0 .4rem;font-weight:600}
.ca-w .ca-note{margin:.2rem 0 .5rem;font-size:.9em}
.ca-w button{font:inherit;color:inherit;background:transparent;border:1px solid currentColor;border-radius:4px;
 padding:.2rem .65rem;margin:.15rem .3rem .15rem 0;cursor:pointer;min-height:2rem}
.ca-w button:focus-visible,.ca-w input:focus-visible{outline:3px solid currentColor;outline-offset:2px}
.ca-q{margin:.6rem 0 .9rem;padding:0;border:0}
.ca-q fieldset{border:0;margin:0;padding:0;min-width:0}
.ca-q legend,.ca-q .ca-prompt{font-weight:600;margin:0 0 .3rem;padding:0;float:none;width:auto;font-size:1em}
.ca-opt{display:flex;align-items:baseline;gap:.45rem;margin:.15rem 0;padding:.15rem .35rem;border-left:4px solid transparent}
.ca-opt input{margin:0;flex:none}
.ca-opt.is-right{border-left:4px solid var(--ca-ok)}
.ca-opt.is-wrong{border-left:4px dashed var(--ca-no)}
.ca-mark{font-weight:600;white-space:nowrap}
.ca-live{margin:.3rem 0 0;min-height:1.2em}
.ca-live.is-right{border-left:4px solid var(--ca-ok);padding-left:.45rem}
.ca-live.is-wrong{border-left:4px dashed var(--ca-no);padding-left:.45rem}
.ca-q input[type=text]{font:inherit;color:inherit;background:transparent;border:1px solid currentColor;
 border-radius:4px;padding:.15rem .4rem;width:7rem;max-width:100%}
.ca-q details{margin:.3rem 0 0;font-size:.92em}
.ca-q summary{cursor:pointer}
.ca-st-frames{list-style:none;margin:0;padding:0}
.ca-st-frame{margin:0 0 .8rem;padding:0 0 .6rem;border-bottom:1px dashed color-mix(in srgb,currentColor 35%,transparent)}
.ca-js .ca-st-frame{border-bottom:0}
.ca-js .ca-st-frame:not(.is-current){display:none}
.ca-st-caption{margin:.2rem 0 .4rem}
.ca-st-grids{display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;align-items:flex-start}
.ca-st-grid{overflow-x:auto;max-width:100%}
.ca-st-grid table{border-collapse:collapse;margin:0;font-variant-numeric:tabular-nums;font-size:.9em;width:auto}
.ca-st-grid caption{caption-side:top;text-align:left;font-weight:600;padding:0 0 .2rem;white-space:nowrap}
.ca-st-grid th{font-weight:400;font-size:.78em;padding:0 .25rem;text-align:center;border:0;background:transparent}
.ca-st-grid td{border:1px solid color-mix(in srgb,currentColor 45%,transparent);min-width:2.1em;height:2.1em;
 padding:.1rem .2rem;text-align:center;vertical-align:middle;line-height:1.1;background:transparent}
.ca-st-grid td small{display:block;font-size:.72em}
.ca-st-grid td.m-padding,.ca-st-grid td.m-inserted{border-style:dashed;font-style:italic}
.ca-st-grid td.m-empty{opacity:.75}
.ca-st-grid td.m-window,.ca-st-grid td.m-stamp,.ca-st-grid td.m-current,.ca-st-grid td.m-kept{border:3px solid currentColor}
.ca-st-grid td.m-current,.ca-st-grid td.m-stamp{font-weight:700}
.ca-st-grid td.m-cropped{text-decoration:line-through;border-style:dotted}
.ca-st-controls{display:flex;flex-wrap:wrap;align-items:center;gap:.2rem;margin:0 0 .5rem}
.ca-st-counter{margin-left:.4rem;font-variant-numeric:tabular-nums}
.ca-st-legend{font-size:.88em;margin:.5rem 0 0}
.ca-sr{position:absolute!important;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);
 white-space:nowrap;border:0}
"""

_WIDGET_JS = r"""
(function () {
  "use strict";
  function say(node, text, verdict) {
    node.textContent = text;
    node.classList.remove("is-right", "is-wrong");
    if (verdict) node.classList.add(verdict);
  }
  function choice(form) {
    var live = form.querySelector(".ca-live");
    form.addEventListener("change", function (event) {
      var input = event.target;
      if (input.type !== "radio") return;
      form.querySelectorAll(".ca-opt").forEach(function (opt) {
        opt.classList.remove("is-right", "is-wrong");
        opt.querySelector(".ca-mark").textContent = "";
      });
      var opt = input.closest(".ca-opt"), right = input.hasAttribute("data-right");
      opt.classList.add(right ? "is-right" : "is-wrong");
      opt.querySelector(".ca-mark").textContent = right ? "\u2713 right" : "\u2717 not right";
      say(live, (right ? "Right. " : "Not quite. ") + input.getAttribute("data-feedback"), right ? "is-right" : "is-wrong");
    });
  }
  function numeric(form) {
    var live = form.querySelector(".ca-live"), field = form.querySelector("input[type=text]");
    var answer = parseFloat(form.getAttribute("data-answer")), tolerance = parseFloat(form.getAttribute("data-tolerance"));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = field.value.trim().replace(",", ".").replace(/\s+/g, ""), value = Number(text);
      if (!text || !isFinite(value)) { say(live, "Type a number, such as 12 or 0.5, then press Check.", null); return; }
      if (Math.abs(value - answer) <= tolerance + 1e-9) {
        say(live, "Right. " + form.getAttribute("data-explanation"), "is-right"); return;
      }
      var feedback = form.getAttribute("data-other");
      form.querySelectorAll("[data-mistake]").forEach(function (item) {
        if (Math.abs(value - parseFloat(item.getAttribute("data-mistake"))) <= tolerance + 1e-9) feedback = item.getAttribute("data-feedback");
      });
      say(live, "Not quite. " + feedback, "is-wrong");
    });
  }
  function steps(root) {
    var frames = root.querySelectorAll(".ca-st-frame"), controls = root.querySelector(".ca-st-controls");
    var counter = root.querySelector(".ca-st-counter"), live = root.querySelector(".ca-st-live");
    var play = root.querySelector("[data-step=play]"), current = 0, timer = null;
    var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    if (still || frames.length < 2) return;  /* all frames stay visible, one below the other */
    root.classList.add("ca-js");
    controls.hidden = false;
    function show(index, announce) {
      current = (index + frames.length) % frames.length;
      frames.forEach(function (frame, i) { frame.classList.toggle("is-current", i === current); });
      counter.textContent = "Frame " + (current + 1) + " of " + frames.length;
      if (announce) live.textContent = frames[current].querySelector(".ca-st-caption").textContent;
    }
    function stop() {
      if (timer) clearInterval(timer);
      timer = null;
      play.textContent = "\u25B6 Play";
      play.setAttribute("aria-pressed", "false");
    }
    root.querySelector("[data-step=prev]").addEventListener("click", function () { stop(); show(current - 1, true); });
    root.querySelector("[data-step=next]").addEventListener("click", function () { stop(); show(current + 1, true); });
    play.addEventListener("click", function () {
      if (timer) { stop(); return; }
      if (current === frames.length - 1) show(0, false);
      play.textContent = "\u23F8 Pause";
      play.setAttribute("aria-pressed", "true");
      timer = setInterval(function () {
        show(current + 1, false);
        if (current === frames.length - 1) stop();
      }, parseInt(root.getAttribute("data-interval"), 10) || 1500);
    });
    show(0, false);
  }
  document.querySelectorAll(".ca-w:not([data-ready])").forEach(function (root) {
    root.setAttribute("data-ready", "");
    if (root.classList.contains("ca-st")) { steps(root); return; }
    root.querySelectorAll("form[data-kind=choice]").forEach(choice);
    root.querySelectorAll("form[data-kind=numeric]").forEach(numeric);
  });
})();
"""


def _widget_assets() -> str:
    return f"<style>{' '.join(_WIDGET_CSS.split())}</style>\n<script>{_WIDGET_JS.strip()}</script>"


def _choice_html(question, number: int, key: str) -> tuple[str, list[str]]:
    from html import escape

    letters = "abcdefghijklmnopqrstuvwxyz"
    options, answer_lines, text = [], [], [f"{number}. {question.prompt}"]
    for index, option in enumerate(question.options):
        option_id = f"{key}-{index}"
        right = " data-right" if option.right else ""
        options.append(
            f'<div class="ca-opt"><input type="radio" name="{key}" id="{option_id}" value="{index}"{right} '
            f'data-feedback="{escape(option.feedback)}"><label for="{option_id}">{letters[index]}) '
            f'{escape(option.text)}</label> <span class="ca-mark"></span></div>'
        )
        verdict = "Right" if option.right else "Not right"
        answer_lines.append(f"<li>{letters[index]}) {verdict}: {escape(option.feedback)}</li>")
        text.append(f"   {letters[index]}) {option.text}")
    html = (
        f'<form class="ca-q" data-kind="choice" id="{key}"><fieldset>'
        f"<legend>Question {number}. {escape(question.prompt)}</legend>{''.join(options)}</fieldset>"
        f'<p class="ca-live" aria-live="polite"></p>'
        f"<details><summary>Show the answer and why each option is right or not</summary><ul>{''.join(answer_lines)}"
        "</ul></details></form>"
    )
    return html, text


def _numeric_html(question, number: int, key: str) -> tuple[str, list[str]]:
    from html import escape

    mistakes = "".join(
        f'<li data-mistake="{float(m.value)!r}" data-feedback="{escape(m.feedback)}">'
        f"{escape(_number_text(m.value))}: {escape(m.feedback)}</li>"
        for m in question.mistakes
    )
    html = (
        f'<form class="ca-q" data-kind="numeric" id="{key}" data-answer="{float(question.answer)!r}" '
        f'data-tolerance="{float(question.tolerance)!r}" data-explanation="{escape(question.explanation)}" '
        f'data-other="{escape(question.other)}">'
        f'<p class="ca-prompt" id="{key}-prompt">Question {number}. {escape(question.prompt)}</p>'
        f'<label for="{key}-answer">Your answer (a number): </label>'
        f'<input type="text" inputmode="decimal" autocomplete="off" id="{key}-answer" '
        f'aria-describedby="{key}-prompt"> <button type="submit">Check</button>'
        f'<p class="ca-live" aria-live="polite"></p>'
        f"<details><summary>Show the answer</summary><p>{escape(_number_text(question.answer))}: "
        f"{escape(question.explanation)}</p>"
        + (f"<p>Answers that come from a known mistake:</p><ul>{mistakes}</ul>" if mistakes else "")
        + "</details></form>"
    )
    return html, [f"{number}. {question.prompt} (answer with a number)"]


def self_check(chapter: str, section: str, *, start: int = 1) -> _Widget:
    """Return the self-check questions of one section of a chapter as a widget to display in a cell.

    ``course.self_check("01_conv2d", "padding")`` shows the questions of notebooks/questions/01_conv2d.py
    whose ``section`` is ``"padding"``: multiple choice (radio buttons, feedback on choosing) and numeric
    answers (a field and a Check button), with a reason for every wrong answer. The HTML carries its own
    style and script, needs no kernel and no network, and is not graded. ``start`` numbers the first question.
    The plain-text form lists the questions without their answers.
    """
    questions = load_questions(chapter)
    chosen = [question for question in questions if question.section == section]
    if not chosen:
        sections = sorted({question.section for question in questions})
        raise ValueError(f"questions/{chapter}.py has no question in section {section!r}; its sections: {sections}")
    parts, text = [], [f"Self-check ({len(chosen)} question{'s' if len(chosen) > 1 else ''}, not graded):"]
    for number, question in enumerate(chosen, start=start):
        key = f"ca-{_slug(chapter)}-{_slug(question.id)}"
        render = _choice_html if type(question).__name__ == "Choice" else _numeric_html
        html, lines = render(question, number, key)
        parts.append(html)
        text.extend(lines)
    label = f"ca-{_slug(chapter)}-{_slug(section)}-title"
    html = (
        f'<section class="ca-w ca-sc" aria-labelledby="{label}">'
        f'<p class="ca-title" id="{label}">Self-check: test your understanding (not graded)</p>'
        f'<p class="ca-note">Choose an answer or type a number: the feedback appears at once and says why.</p>'
        f"{''.join(parts)}{_widget_assets()}</section>"
    )
    return _Widget(html, "\n".join(text))


# --------------------------------------------------------------------------------------------------
# Step-through figures
# --------------------------------------------------------------------------------------------------
#
# A step-through figure is a list of frames; each frame holds grids of numbers (HTML tables) and a sentence
# that says what the frame shows. `step_through` renders them with Previous / Play / Next buttons, or, for a
# reader whose system asks for reduced motion and where scripts do not run, as a strip of all frames. The
# frames come from the same arithmetic as the figures and the tests: conv2d_frames ends with
# conv2d_reference's output, transposed_conv_frames with Conv2DTranspose's. The frame functions are left out
# of the students' course.py (they end with a layer's output); there the figures are stored HTML.

# What each mark looks like, for the legend under a figure. None of them relies on colour.
MARKS = {
    "window": "thick border: the cells under the kernel; ×w is the weight that multiplies the cell",
    "padding": "dashed border, italic: a zero added by padding",
    "inserted": "dashed border, italic: a zero inserted between input cells",
    "current": "thick border, bold: the cell this step computes or reads",
    "stamp": "thick border, bold, +v: where this step adds the scaled kernel (v is what it adds)",
    "kept": "thick border: kept in the output",
    "cropped": "dotted border, struck through: cropped away",
    "empty": "·: not computed yet",
}


class Grid(NamedTuple):
    """One grid of numbers in a frame.

    ``values`` is a 2-D array (NaN: not computed yet, drawn ·); ``marks`` maps ``(row, col)`` to a set of
    names of :data:`MARKS`; ``notes`` maps ``(row, col)`` to a short text written under the value
    (``×2``); ``origin`` is the grid position of index (0, 0), so that padding gets indices -1, -2, ...
    """

    label: str
    values: np.ndarray
    marks: dict = {}
    notes: dict = {}
    origin: tuple = (0, 0)


class Frame(NamedTuple):
    """One frame of a step-through figure: its grids and the sentence that says what it shows."""

    grids: tuple
    text: str


def _grid_html(grid: Grid, fmt: str) -> str:
    from html import escape

    values = np.asarray(grid.values, dtype=float)
    origin_row, origin_col = grid.origin
    head = "".join(f'<th scope="col">{c - origin_col}</th>' for c in range(values.shape[1]))
    rows = []
    for r in range(values.shape[0]):
        cells = []
        for c in range(values.shape[1]):
            marks = set(grid.marks.get((r, c), ()))
            value = values[r, c]
            if not np.isfinite(value):
                marks.add("empty")
                shown = '·<span class="ca-sr">not computed yet</span>'
            else:
                shown = escape(fmt.format(value + 0.0))
            sr = "".join(f", {name}" for name in sorted(marks - {"empty"}))
            note = grid.notes.get((r, c))
            classes = " ".join(f"m-{name}" for name in sorted(marks))
            cells.append(
                f"<td{f' class={chr(34)}{classes}{chr(34)}' if classes else ''}>{shown}"
                + (f"<small>{escape(note)}</small>" if note else "")
                + (f'<span class="ca-sr">{escape(sr)}</span>' if sr else "")
                + "</td>"
            )
        rows.append(f'<tr><th scope="row">{r - origin_row}</th>{"".join(cells)}</tr>')
    return (
        f'<div class="ca-st-grid"><table><caption>{escape(grid.label)}</caption>'
        f'<thead><tr><td class="ca-corner"></td>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'
    )


def step_through(frames, title: str, *, fmt: str = "{:g}", interval_ms: int = 1500) -> _Widget:
    """Return a step-through figure of ``frames`` (a list of :class:`Frame`) to display in a cell.

    On the page: Previous, Play/Pause and Next buttons and a frame counter; each frame shows its grids as
    tables of numbers and a sentence, which a screen reader announces on each step. Where the reader's
    system asks for reduced motion, or scripts do not run, all frames are shown one below the other. The
    plain-text form is the title and every frame's sentence (the figure's text equivalent).
    """
    from html import escape

    frames = list(frames)
    if not frames:
        raise ValueError("a step-through figure needs at least one frame")
    count = len(frames)
    used = sorted(
        {m for f in frames for g in f.grids for ms in g.marks.values() for m in ms}
        | (
            {"empty"}
            if any(not np.all(np.isfinite(np.asarray(g.values, float))) for f in frames for g in f.grids)
            else set()
        ),
        key=list(MARKS).index,
    )
    items = []
    for index, frame in enumerate(frames):
        grids = "".join(_grid_html(grid, fmt) for grid in frame.grids)
        items.append(
            f'<li class="ca-st-frame"><p class="ca-st-caption"><strong>Frame {index + 1} of {count}.</strong> '
            f'{escape(frame.text)}</p><div class="ca-st-grids">{grids}</div></li>'
        )
    legend = "; ".join(escape(MARKS[name]) for name in used)
    html = (
        f'<figure class="ca-w ca-st" data-interval="{int(interval_ms)}" aria-label="Step-through figure: {escape(title)}">'
        f'<p class="ca-title">{escape(title)}</p>'
        '<div class="ca-st-controls" hidden>'
        '<button type="button" data-step="prev">◀ Previous</button>'
        '<button type="button" data-step="play" aria-pressed="false">▶ Play</button>'
        '<button type="button" data-step="next">Next ▶</button>'
        f'<span class="ca-st-counter">Frame 1 of {count}</span></div>'
        '<p class="ca-st-live ca-sr" aria-live="polite"></p>'
        f'<ol class="ca-st-frames">{"".join(items)}</ol>'
        f'<p class="ca-st-legend">Key: {legend}.</p>{_widget_assets()}</figure>'
    )
    text = [f"Step-through figure: {title} ({count} frames)"]
    text += [f"Frame {index + 1}: {frame.text}" for index, frame in enumerate(frames)]
    return _Widget(html, "\n".join(text))


def _window_terms(window, kernel, fmt: str) -> str:
    def number(value):
        text = fmt.format(value + 0.0)
        return f"({text})" if value < 0 else text

    return " + ".join(f"{number(a)}×{number(w)}" for a, w in zip(window.ravel(), kernel.ravel()))


def _slide_frames(grid, kernel, strides, *, marks, origin, grid_label, kernel_label, fmt, output_label="output"):
    """Frames of a kernel sliding over ``grid`` ('valid', the given strides), the output filling in."""
    kernel_h, kernel_w = kernel.shape
    stride_h, stride_w = _pair(strides)
    out_h = conv_output_size(grid.shape[0], kernel_h, stride_h, "valid")
    out_w = conv_output_size(grid.shape[1], kernel_w, stride_w, "valid")
    output = np.full((out_h, out_w), np.nan)
    frames = []
    for row in range(out_h):
        for col in range(out_w):
            top, left = row * stride_h, col * stride_w
            window = grid[top : top + kernel_h, left : left + kernel_w]
            output[row, col] = float(np.sum(window * kernel))
            grid_marks = {key: set(value) for key, value in marks.items()}
            notes = {}
            for r in range(kernel_h):
                for c in range(kernel_w):
                    grid_marks.setdefault((top + r, left + c), set()).add("window")
                    notes[(top + r, left + c)] = "×" + fmt.format(kernel[r, c] + 0.0)
            rows = f"{top - origin[0]} to {top + kernel_h - 1 - origin[0]}"
            cols = f"{left - origin[1]} to {left + kernel_w - 1 - origin[1]}"
            text = (
                f"output[{row}, {col}]: the window covers rows {rows} and columns {cols}; "
                f"{_window_terms(window, kernel, fmt)} = {fmt.format(output[row, col] + 0.0)}."
            )
            frames.append(
                Frame(
                    (
                        Grid(grid_label, grid.copy(), grid_marks, notes, origin),
                        Grid(kernel_label, kernel.copy()),
                        Grid(output_label, output.copy(), {(row, col): {"current"}}),
                    ),
                    text,
                )
            )
    return frames


def conv2d_frames(image, kernel, strides=1, padding: str = "valid", *, fmt: str = "{:g}") -> list:
    """Return the frames of a 2-D convolution as ``Conv2D`` computes it: one per output cell, in order.

    With ``padding='same'`` a first frame shows the zeros added around the input. Every frame shows the
    (padded) input with the kernel's window and weights, the kernel, and the output computed so far; the
    last frame's output is :func:`conv2d_reference`'s. Display them with :func:`step_through`.
    """
    image = np.asarray(image, dtype=float)
    kernel = np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError(f"image and kernel must be 2-D arrays, got shapes {image.shape} and {kernel.shape}")
    (top, bottom), (left, right) = conv_padding(image.shape, kernel.shape, strides, padding)
    grid = np.pad(image, ((top, bottom), (left, right)))
    padded = np.pad(np.zeros(image.shape, bool), ((top, bottom), (left, right)), constant_values=True)
    marks = {(int(r), int(c)): {"padding"} for r, c in zip(*np.nonzero(padded))}
    label = f"input {image.shape[0]}×{image.shape[1]}" + (", zero-padded" if padded.any() else "")
    stride_h, stride_w = _pair(strides)
    frames = []
    out_shape = tuple(
        conv_output_size(n, k, s, padding) for n, k, s in zip(image.shape, kernel.shape, (stride_h, stride_w))
    )
    if padded.any():
        frames.append(
            Frame(
                (
                    Grid(label, grid, marks, {}, (top, left)),
                    Grid("kernel", kernel),
                    Grid(f"output {out_shape[0]}×{out_shape[1]}", np.full(out_shape, np.nan)),
                ),
                f"padding='{padding}' with strides {stride_h}: zeros are added, {top} row(s) on top, {bottom} "
                f"at the bottom, {left} column(s) on the left, {right} on the right, so that the output has "
                f"{out_shape[0]}×{out_shape[1]} cells.",
            )
        )
    frames += _slide_frames(
        grid, kernel, (stride_h, stride_w), marks=marks, origin=(top, left), grid_label=label,
        kernel_label="kernel", fmt=fmt, output_label=f"output {out_shape[0]}×{out_shape[1]}",
    )  # fmt: skip
    return frames


def _transposed_geometry(shape, kernel_shape, stride, padding):
    """Return output size, the rows/columns cropped at the top/left, and the canvas size of a transposed conv."""
    stride_h, stride_w = _pair(stride)
    out = tuple(
        transposed_conv_output_size(n, k, s, padding) for n, k, s in zip(shape, kernel_shape, (stride_h, stride_w))
    )
    (crop_top, _), (crop_left, _) = conv_padding(out, kernel_shape, (stride_h, stride_w), padding)
    full = tuple((n - 1) * s + k for n, k, s in zip(shape, kernel_shape, (stride_h, stride_w)))
    canvas = (max(full[0], crop_top + out[0]), max(full[1], crop_left + out[1]))
    return out, (crop_top, crop_left), canvas


def transposed_conv_frames(feature_map, kernel, stride=2, padding: str = "valid", *, fmt: str = "{:g}") -> list:
    """Return the frames of a transposed convolution as scatter-add, one per input cell, then the output.

    Each input cell stamps the kernel, scaled by its value, onto a canvas at ``stride`` times its position;
    overlapping stamps add up. The last frame takes the output out of the canvas: with ``padding='same'``
    it crops the rows and columns that ``Conv2D(padding='same')`` would have padded; where the kernel is
    smaller than the stride, rows and columns that no stamp reaches stay 0. The last frame's output is what
    ``Conv2DTranspose(use_bias=False)`` returns.
    """
    feature_map = np.asarray(feature_map, dtype=float)
    kernel = np.asarray(kernel, dtype=float)
    if feature_map.ndim != 2 or kernel.ndim != 2:
        raise ValueError(f"input and kernel must be 2-D arrays, got shapes {feature_map.shape} and {kernel.shape}")
    stride_h, stride_w = _pair(stride)
    kernel_h, kernel_w = kernel.shape
    out, (crop_top, crop_left), canvas_shape = _transposed_geometry(feature_map.shape, kernel.shape, stride, padding)
    canvas = np.zeros(canvas_shape)
    frames = []
    for i in range(feature_map.shape[0]):
        for j in range(feature_map.shape[1]):
            top, left = i * stride_h, j * stride_w
            stamp = feature_map[i, j] * kernel
            canvas[top : top + kernel_h, left : left + kernel_w] += stamp
            marks = {(top + r, left + c): {"stamp"} for r in range(kernel_h) for c in range(kernel_w)}
            notes = {
                (top + r, left + c): "+" + fmt.format(stamp[r, c] + 0.0)
                for r in range(kernel_h)
                for c in range(kernel_w)
            }
            frames.append(
                Frame(
                    (
                        Grid(
                            f"input {feature_map.shape[0]}×{feature_map.shape[1]}", feature_map, {(i, j): {"current"}}
                        ),
                        Grid("kernel", kernel),
                        Grid(f"canvas {canvas_shape[0]}×{canvas_shape[1]}", canvas.copy(), marks, notes),
                    ),
                    f"input[{i}, {j}] = {fmt.format(feature_map[i, j] + 0.0)} adds {fmt.format(feature_map[i, j] + 0.0)} "
                    f"× kernel to rows {top} to {top + kernel_h - 1} and columns {left} to {left + kernel_w - 1} "
                    f"of the canvas (stride {stride_h}: {stride_h} rows further per input row); overlaps add up.",
                )
            )
    output = canvas[crop_top : crop_top + out[0], crop_left : crop_left + out[1]]
    inside = {(r, c) for r in range(crop_top, crop_top + out[0]) for c in range(crop_left, crop_left + out[1])}
    marks = {
        (r, c): {"kept" if (r, c) in inside else "cropped"}
        for r in range(canvas_shape[0])
        for c in range(canvas_shape[1])
    }
    full = ((feature_map.shape[0] - 1) * stride_h + kernel_h, (feature_map.shape[1] - 1) * stride_w + kernel_w)
    if padding == "same":
        how = (
            f"padding='same' keeps {out[0]}×{out[1]} = input size × stride: it crops {crop_top} row(s) at the top, "
            f"{canvas_shape[0] - crop_top - out[0]} at the bottom, {crop_left} column(s) on the left and "
            f"{canvas_shape[1] - crop_left - out[1]} on the right, the zeros a Conv2D(padding='same') would add."
        )
    else:
        how = f"padding='valid' keeps the whole canvas: the output is {out[0]}×{out[1]}."
    if kernel_h < stride_h or kernel_w < stride_w:
        how += (
            f" The kernel ({kernel_h}×{kernel_w}) is smaller than the stride ({stride_h}): stamps leave gaps, cells "
            f"no stamp reaches stay 0 (the stamps cover {full[0]}×{full[1]}, the canvas is {canvas_shape[0]}×{canvas_shape[1]})."
        )
    frames.append(
        Frame(
            (
                Grid(f"canvas {canvas_shape[0]}×{canvas_shape[1]}", canvas.copy(), marks),
                Grid(f"output {out[0]}×{out[1]}", output.copy()),
            ),
            how,
        )
    )
    return frames


def transposed_conv_zero_insertion_frames(
    feature_map, kernel, stride=2, padding: str = "valid", *, fmt: str = "{:g}"
) -> list:
    """Return the frames of a transposed convolution as an ordinary convolution over a zero-stuffed input.

    First the input; then ``stride - 1`` zeros inserted between its rows and columns; then the zeros padded
    around it; then the kernel, rotated by 180°, sliding over that grid with stride 1, one frame per output
    cell. The last frame's output equals :func:`transposed_conv_frames`' (and ``Conv2DTranspose``'s).
    """
    feature_map = np.asarray(feature_map, dtype=float)
    kernel = np.asarray(kernel, dtype=float)
    stride_h, stride_w = _pair(stride)
    kernel_h, kernel_w = kernel.shape
    n_h, n_w = feature_map.shape
    out, (crop_top, crop_left), _ = _transposed_geometry(feature_map.shape, kernel.shape, stride, padding)
    stuffed = np.zeros(((n_h - 1) * stride_h + 1, (n_w - 1) * stride_w + 1))
    stuffed[::stride_h, ::stride_w] = feature_map
    inserted = np.ones(stuffed.shape, bool)
    inserted[::stride_h, ::stride_w] = False
    top, left = kernel_h - 1 - crop_top, kernel_w - 1 - crop_left
    bottom = out[0] + kernel_h - 1 - top - stuffed.shape[0]
    right = out[1] + kernel_w - 1 - left - stuffed.shape[1]
    grid = np.pad(stuffed, ((top, bottom), (left, right)))
    if min(top, left, bottom, right) < 0:  # cannot happen for Keras' sizes; a guard for the arithmetic
        raise ValueError("negative padding: these sizes are not a transposed convolution Keras computes")
    marks = {}
    for r in range(grid.shape[0]):
        for c in range(grid.shape[1]):
            sr, sc = r - top, c - left
            if not (0 <= sr < stuffed.shape[0] and 0 <= sc < stuffed.shape[1]):
                marks[(r, c)] = {"padding"}
            elif inserted[sr, sc]:
                marks[(r, c)] = {"inserted"}
    stuffed_marks = {(int(r), int(c)): {"inserted"} for r, c in zip(*np.nonzero(inserted))}
    flipped = np.flip(kernel)
    label = f"stuffed and padded {grid.shape[0]}×{grid.shape[1]}"
    frames = [
        Frame((Grid(f"input {n_h}×{n_w}", feature_map),), f"The input, {n_h}×{n_w}, stride {stride_h}."),
        Frame(
            (Grid(f"stuffed {stuffed.shape[0]}×{stuffed.shape[1]}", stuffed, stuffed_marks),),
            f"Zero insertion: {stride_h - 1} zero(s) between neighbouring input cells, "
            f"giving {stuffed.shape[0]}×{stuffed.shape[1]} = (n - 1)·s + 1.",
        ),
        Frame(
            (Grid(label, grid, marks, {}, (top, left)), Grid("kernel rotated by 180°", flipped)),
            f"Padding: {top} row(s) of zeros on top, {bottom} at the bottom, {left} column(s) on the left, "
            f"{right} on the right (k - 1 = {kernel_h - 1}"
            + (f", less the {crop_top} the 'same' crop removes" if crop_top else "")
            + f"), so that a {kernel_h}×{kernel_w} window at stride 1 gives {out[0]}×{out[1]} outputs.",
        ),
    ]
    frames += _slide_frames(
        grid, flipped, 1, marks=marks, origin=(top, left), grid_label=label,
        kernel_label="kernel rotated by 180°", fmt=fmt, output_label=f"output {out[0]}×{out[1]}",
    )  # fmt: skip
    return frames
