"""Figures: one resolution for every chapter (set on import), grids of numbers, a sliding-window step, rows of digits."""

from __future__ import annotations

import numpy as np

__all__ = [
    "FIGURE_DPI",
    "use_course_figure_settings",
    "draw_number_grid",
    "draw_conv_step",
    "show_digits",
    "show_image_rows",
]

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
