"""Helpers shared by the chapters of *Convolutional Autoencoders*.

What a student should learn stays in the notebooks. This module holds what several chapters need, or what
would distract from the lesson:

* data: ``load_mnist`` (MNIST exactly as ``tf.keras.datasets.mnist.load_data()`` returns it, or from a
  verified local ``mnist.npz``), ``prepare_images`` and ``mnist_splits`` (training, validation and test
  images as the models take them);
* shape arithmetic: the output size of a convolution and of a transposed convolution, and the zeros
  ``padding='same'`` adds, exactly as TensorFlow computes them (one rule per quantity for the whole book);
* reference computations: a plain NumPy convolution used by the figures and the tests;
* training: ``EpochLog``, one short line per epoch instead of Keras' progress bars;
* figures: grids of numbers, sliding-window steps, mosaics and rows of digits;
* exercise checks: hints that name a mistake without giving the answer away.

Every docstring has the same form: one line that says what the function returns or does, then the details.
"""

from __future__ import annotations

import hashlib
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
    # training
    "EpochLog",  # noqa: F822 - made on first use by __getattr__ (below), so that importing needs no TensorFlow
    # figures
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
    return (images.astype("float32") / 255.0)[..., np.newaxis]


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
    writes its own loop for the reader.
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
# answer nor the wrong values. The graded part, between ### BEGIN HIDDEN TESTS and ### END HIDDEN TESTS,
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
