"""Tests of the chapter 1 section of the course package: where 'same' puts its zeros, the reference convolution
and the sliding-window figures (the output-size rule is tests/test_shapes.py's)."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

import course


@pytest.fixture(scope="module")
def tf():
    import tensorflow

    return tensorflow


# --------------------------------------------------------------------------------------------------
# Shape arithmetic
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "k", "s", "expected"),
    [(5, 3, 1, (1, 1)), (6, 3, 2, (0, 1)), (5, 3, 2, (1, 1)), (4, 2, 1, (0, 1)), (7, 1, 3, (0, 0)), (2, 5, 1, (2, 2))],
)
def test_same_padding_examples(n, k, s, expected):
    assert course.same_padding(n, k, s) == expected


def test_conv_padding_per_axis():
    assert course.conv_padding((6, 5), (3, 3), (2, 1), "same") == ((0, 1), (1, 1))
    assert course.conv_padding((6, 5), 3, 2, "valid") == ((0, 0), (0, 0))
    with pytest.raises(ValueError):
        course.conv_padding((6, 5), 3, 2, "causal")


def test_reference_computes_what_tensorflow_computes(tf):
    """Values (and so the 'same' zeros' places) agree with tf.nn.conv2d, rectangles and per-axis strides included;
    the output-size rule itself is tests/test_shapes.py's."""
    rng = np.random.default_rng(0)
    for height, width in [(1, 1), (4, 4), (5, 7), (6, 3), (9, 8)]:
        for kernel_shape in [(1, 1), (2, 3), (3, 3), (4, 2)]:
            for strides in [1, 2, (1, 3), (3, 2)]:
                for padding in ("valid", "same"):
                    if padding == "valid" and (kernel_shape[0] > height or kernel_shape[1] > width):
                        continue
                    image = rng.normal(size=(height, width)).astype("float32")
                    kernel = rng.normal(size=kernel_shape).astype("float32")
                    expected = tf.nn.conv2d(
                        image[None, :, :, None], kernel[:, :, None, None], strides=strides, padding=padding.upper()
                    ).numpy()[0, :, :, 0]
                    result = course.conv2d_reference(image, kernel, strides, padding)
                    assert result.shape == expected.shape, (height, width, kernel_shape, strides, padding)
                    np.testing.assert_allclose(result, expected, atol=1e-5)


def test_reference_is_cross_correlation():
    impulse = np.zeros((5, 5))
    impulse[2, 2] = 1
    kernel = np.arange(1, 10).reshape(3, 3)
    np.testing.assert_array_equal(course.conv2d_reference(impulse, kernel), np.rot90(kernel, 2))


# --------------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------------


def _texts(ax):
    return [text.get_text() for text in ax.texts]


def test_draw_conv_step_marks_window_padding_and_output():
    grid = np.pad(np.arange(9.0).reshape(3, 3), 1)
    virtual = np.pad(np.zeros((3, 3), dtype=bool), 1, constant_values=True)
    output = np.arange(9.0).reshape(3, 3)
    fig, (ax_in, ax_out) = plt.subplots(1, 2)
    returned = course.draw_conv_step(
        ax_in,
        ax_out,
        grid,
        output,
        window=(0, 0, 3, 3),
        output_cell=(0, 0),
        virtual=virtual,
        kernel=np.ones((3, 3)),
        origin=(1, 1),
    )
    assert returned == (ax_in, ax_out)
    texts = _texts(ax_in)
    assert texts.count("×1") == 9  # the kernel's weights, written in the window
    assert sum(text == "0" for text in texts) >= 16 + 1  # 16 padding zeros and the input's own 0
    assert [label.get_text() for label in ax_in.get_xticklabels()] == ["-1", "0", "1", "2", "3"]
    assert ax_in.get_title() == "input" and ax_out.get_title() == "output"
    assert len(ax_out.patches) == 2  # the marked output cell: shading and outline
    plt.close(fig)


def test_draw_conv_step_draws_a_single_panel():
    fig, (ax_in, ax_out) = plt.subplots(1, 2)
    assert course.draw_conv_step(None, ax_out, np.zeros((4, 4)), np.full((2, 2), 7.0), window=(1, 1, 3, 3),
                                 output_cell=(1, 1)) == (None, ax_out)  # fmt: skip
    assert _texts(ax_out) == ["7"] * 4 and ax_out.get_title() == "output" and len(ax_out.patches) == 2
    course.draw_conv_step(ax_in, None, np.zeros((4, 4)), None, window=(1, 1, 3, 3), output_cell=(1, 1))
    assert _texts(ax_in) == ["0"] * 16 and ax_in.get_title() == "input"
    assert len(ax_in.patches) == 2  # the window: shading and outline
    plt.close(fig)


def test_draw_conv_step_rejects_inconsistent_arguments():
    fig, (ax_in, ax_out) = plt.subplots(1, 2)
    grid = np.zeros((4, 4))
    with pytest.raises(ValueError, match="does not fit"):
        course.draw_conv_step(ax_in, ax_out, grid, np.zeros((2, 2)), window=(2, 2, 3, 3), output_cell=(0, 0))
    with pytest.raises(ValueError, match="virtual mask"):
        course.draw_conv_step(
            ax_in,
            ax_out,
            grid,
            np.zeros((2, 2)),
            window=(0, 0, 3, 3),
            output_cell=(0, 0),
            virtual=np.zeros((3, 3), dtype=bool),
        )
    with pytest.raises(ValueError, match="kernel has shape"):
        course.draw_conv_step(
            ax_in, ax_out, grid, np.zeros((2, 2)), window=(0, 0, 3, 3), output_cell=(0, 0), kernel=np.ones((2, 2))
        )
    plt.close(fig)


@pytest.mark.parametrize(
    ("shape", "strides", "padding", "steps", "output_shape"),
    [
        ((4, 4), 1, "valid", [(0, 0), (1, 1)], (2, 2)),
        ((5, 5), 2, "same", [(2, 2)], (3, 3)),
        ((6, 6), 2, "same", [(0, 0)], (3, 3)),
    ],
)
def test_show_conv_steps(shape, strides, padding, steps, output_shape):
    image = np.arange(np.prod(shape), dtype=float).reshape(shape) % 4
    kernel = np.array([[1, 0, -1], [1, 1, 0], [0, 2, 1]])
    fig = course.show_conv_steps(image, kernel, strides=strides, padding=padding, steps=steps)
    assert len(fig.axes) == 3 * len(steps)
    expected = course.conv2d_reference(image, kernel, strides, padding)
    assert expected.shape == output_shape
    for row, (out_row, out_col) in enumerate(steps):
        ax_output = fig.axes[3 * row + 2]
        assert ax_output.get_title() == f"output {output_shape[0]}×{output_shape[1]}"
        assert f"output[{out_row}, {out_col}] = {expected[out_row, out_col]:g}" in ax_output.get_xlabel()
    assert "zero-padded" in fig.axes[0].get_title() or padding == "valid"
    width, height = fig.get_size_inches()
    assert width <= 10
    plt.close(fig)


def test_show_conv_steps_rejects_a_step_outside_the_output():
    with pytest.raises(ValueError, match="outside the output"):
        course.show_conv_steps(np.zeros((4, 4)), np.ones((3, 3)), steps=[(2, 0)])
