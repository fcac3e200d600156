"""The functions that compute an exercise's answer in one call: the zeros 'same' padding adds, a reference
convolution, the conv-step figures and the step-through frames (which end with a layer's output).

The book's figures and the tests use them. The student edition of the package is this package without this
module: the chapters' cells that call these functions are shown there as the book ran them.
"""

from __future__ import annotations

import numpy as np

from .figures import draw_conv_step, draw_number_grid
from .shapes import _check_padding, _pair, conv_output_size, transposed_conv_output_size
from .widgets import Frame, Grid

__all__ = [
    "same_padding",
    "conv_padding",
    "conv2d_reference",
    "show_conv_steps",
    "conv2d_frames",
    "transposed_conv_frames",
    "transposed_conv_zero_insertion_frames",
]


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
        Frame(
            (Grid(f"input {n_h}×{n_w}", feature_map), Grid("kernel", kernel)),
            f"The input, {n_h}×{n_w}, and the kernel, stride {stride_h}.",
        ),
        Frame(
            (Grid(f"stuffed {stuffed.shape[0]}×{stuffed.shape[1]}", stuffed, stuffed_marks),),
            f"Zero insertion: {stride_h - 1} zero(s) between neighbouring input cells, "
            f"giving {stuffed.shape[0]}×{stuffed.shape[1]} = (n - 1)·s + 1.",
        ),
        Frame(
            (
                Grid(label, grid, marks, {}, (top, left)),
                Grid("kernel", kernel),
                Grid("kernel rotated by 180°", flipped),
            ),
            f"Padding: {top} row(s) of zeros on top, {bottom} at the bottom, {left} column(s) on the left, "
            f"{right} on the right (k - 1 = {kernel_h - 1}"
            + (f", less the {crop_top} the 'same' crop removes" if crop_top else "")
            + f"), so that a {kernel_h}×{kernel_w} window at stride 1 gives {out[0]}×{out[1]} outputs. The "
            "window carries the kernel rotated by 180°: its last row comes first, each row read right to left.",
        ),
    ]
    frames += _slide_frames(
        grid, flipped, 1, marks=marks, origin=(top, left), grid_label=label,
        kernel_label="kernel rotated by 180°", fmt=fmt, output_label=f"output {out[0]}×{out[1]}",
    )  # fmt: skip
    return frames
