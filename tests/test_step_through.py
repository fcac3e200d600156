"""The step-through figures: frames computed by the course package end with what Keras computes, and render offline.

conv2d_frames ends with conv2d_reference's output (TensorFlow's, tests/test_course_ch1.py); transposed_conv_frames (scatter-add) and
transposed_conv_zero_insertion_frames end with Conv2DTranspose's, including 'same' crops and kernels smaller
than the stride. The browser side (the buttons step the frames) is in tests/test_browser.py.
"""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest

import course

rng = np.random.default_rng(7)


def small_ints(*shape):
    return rng.integers(-3, 4, size=shape).astype(float)


@pytest.fixture(scope="module")
def keras():
    import keras

    return keras


def keras_output(layer_class, keras, x, kernel, stride, padding):
    layer = layer_class(1, kernel.shape, strides=stride, padding=padding, use_bias=False)
    layer.build((1, *x.shape, 1))
    layer.kernel.assign(kernel[:, :, None, None].astype("float32"))
    return np.asarray(layer(x[None, :, :, None].astype("float32")))[0, :, :, 0]


def last_output(frames):
    return frames[-1].grids[-1].values


CONV_CASES = list(itertools.product([4, 5, 6], [1, 2, 3], [1, 2], ["valid", "same"]))


@pytest.mark.parametrize(("n", "k", "stride", "padding"), CONV_CASES)
def test_conv2d_frames_end_with_what_conv2d_computes(n, k, stride, padding):
    """The last frame is the reference convolution's output (which is TensorFlow's, tests/test_course_ch1.py)."""
    image, kernel = small_ints(n, n), small_ints(k, k)
    frames = course.conv2d_frames(image, kernel, stride, padding)
    np.testing.assert_array_equal(last_output(frames), course.conv2d_reference(image, kernel, stride, padding))
    outputs = course.conv_output_size(n, k, stride, padding) ** 2
    padded = course.conv_padding(n, k, stride, padding) != ((0, 0), (0, 0))
    assert len(frames) == outputs + padded, "one frame per output cell (and one for the padding)"


def test_conv2d_frames_fill_the_output_in_order():
    frames = course.conv2d_frames(np.arange(25).reshape(5, 5), np.ones((3, 3)), 2, "same")
    filled = [int(np.isfinite(frame.grids[-1].values).sum()) for frame in frames]
    assert filled == list(range(len(frames))), filled
    first = frames[0].grids[0]
    assert {"padding"} == set().union(*first.marks.values()), "the first frame shows only the added zeros"
    window = frames[1].grids[0]
    assert sum("window" in marks for marks in window.marks.values()) == 9
    assert all(note.startswith("×") for note in window.notes.values())
    assert "= " in frames[1].text and "output[0, 0]" in frames[1].text


TRANSPOSED_CASES = list(itertools.product([2, 3], [1, 2, 3, 4], [1, 2, 3], ["valid", "same"]))


@pytest.mark.parametrize(("n", "k", "stride", "padding"), TRANSPOSED_CASES)
def test_transposed_frames_end_with_what_conv2d_transpose_computes(keras, n, k, stride, padding):
    feature_map, kernel = small_ints(n, n), small_ints(k, k)
    expected = keras_output(keras.layers.Conv2DTranspose, keras, feature_map, kernel, stride, padding)
    scatter = last_output(course.transposed_conv_frames(feature_map, kernel, stride, padding))
    stuffed = last_output(course.transposed_conv_zero_insertion_frames(feature_map, kernel, stride, padding))
    assert scatter.shape == stuffed.shape == expected.shape
    np.testing.assert_allclose(scatter, expected)
    np.testing.assert_allclose(stuffed, expected)


def test_transposed_frames_show_the_crop_and_the_gaps():
    same = course.transposed_conv_frames(np.ones((2, 2)), np.ones((3, 3)), 2, "same")
    assert len(same) == 4 + 1, "one stamp per input cell, then the output"
    crop = same[-1].grids[0]
    assert {"kept", "cropped"} == set().union(*crop.marks.values())
    assert "crops" in same[-1].text
    small = course.transposed_conv_frames(np.ones((3, 3)), np.ones((2, 2)), 3, "valid")
    assert "smaller than the stride" in small[-1].text
    assert small[-1].grids[-1].values.shape == (9, 9) and small[-1].grids[-1].values[2].sum() == 0
    stuffed = course.transposed_conv_zero_insertion_frames(np.ones((2, 2)), np.ones((3, 3)), 2, "valid")
    assert "inserted" in set().union(*stuffed[1].grids[0].marks.values())
    assert "padding" in set().union(*stuffed[2].grids[0].marks.values())


def test_every_mark_is_explained_and_frames_have_text():
    for frames in (
        course.conv2d_frames(np.ones((4, 4)), np.ones((3, 3)), 1, "same"),
        course.transposed_conv_frames(np.ones((2, 2)), np.ones((3, 3)), 2, "same"),
        course.transposed_conv_zero_insertion_frames(np.ones((2, 2)), np.ones((2, 2)), 3, "same"),
    ):
        for frame in frames:
            assert frame.text.strip()
            for grid in frame.grids:
                assert set().union(*grid.marks.values(), set()) <= set(course.MARKS)


def test_step_through_renders_controls_frames_and_a_text_equivalent():
    frames = course.conv2d_frames(np.arange(16).reshape(4, 4), np.ones((3, 3)))
    widget = course.step_through(frames, "A 3×3 kernel over a 4×4 input")
    html = widget._repr_mimebundle_()["text/html"]
    assert html == course.step_through(frames, "A 3×3 kernel over a 4×4 input").html
    assert html.count('class="ca-st-frame"') == len(frames) == 4
    for step in ("prev", "play", "next"):
        assert f'<button type="button" data-step="{step}"' in html
    assert "prefers-reduced-motion" in html and 'aria-live="polite"' in html
    assert html.count("<table>") == 3 * len(frames) and html.count("<caption>") == 3 * len(frames)
    assert not re.search(r"(src|href)=|https?://", html)
    lines = widget.text.splitlines()
    assert lines[0].startswith("Step-through figure: A 3×3 kernel") and len(lines) == 1 + len(frames)
    assert lines[1] == f"Frame 1: {frames[0].text}"
    with pytest.raises(ValueError):
        course.step_through([], "nothing")


def test_zero_insertion_shows_the_kernel_beside_its_rotation():
    kernel = np.arange(1.0, 10.0).reshape(3, 3)
    frames = course.transposed_conv_zero_insertion_frames(np.ones((2, 2)), kernel, 2, "valid")
    assert [grid.label for grid in frames[0].grids][1:] == ["kernel"]
    padded, shown, rotated = frames[2].grids
    assert shown.label == "kernel" and rotated.label == "kernel rotated by 180°"
    np.testing.assert_array_equal(rotated.values, np.rot90(kernel, 2))
    marks = set().union(*padded.marks.values())
    assert {"padding", "inserted"} <= marks, "both kinds of added zeros are marked, apart"


def test_the_key_draws_a_sample_of_each_mark_used_and_no_other():
    frames = course.transposed_conv_zero_insertion_frames(np.ones((2, 2)), np.ones((3, 3)), 2, "valid")
    html = course.step_through(frames, "zero insertion").html
    used = {m for f in frames for g in f.grids for ms in g.marks.values() for m in ms} | {"empty"}
    for name in course.MARKS:
        assert (f'class="ca-swatch m-{name}"' in html) == (name in used), name
    assert course.MARKS["padding"] != course.MARKS["inserted"]
