"""The course's output-size rules (course.shapes) are Keras's: every chapter states sizes with them.

Each rule is checked once, against the layer it describes, over kernels smaller than, equal to and larger than
the stride, both paddings, dilation and output_padding; what Keras refuses, they refuse with a message that says
why. The reference convolution's values are tests/test_course_ch1.py's, the step-through frames'
tests/test_step_through.py's.
"""

from __future__ import annotations

import numpy as np
import pytest

import course


@pytest.fixture(scope="module")
def keras():
    import keras

    return keras


def keras_length(keras, layer, n: int) -> int:
    return int(layer(np.zeros((1, n, 1, 1), dtype="float32")).shape[1])


def test_conv_output_size_is_what_conv2d_computes(keras):
    """Inputs of 1 to 28 (MNIST's side), kernels of 1 to 5, strides of 1 to 4, dilations of 1 to 3."""
    for n in (1, 2, 3, 4, 5, 8, 28):
        for k in (1, 2, 3, 4, 5):
            for stride, dilation in [(1, 1), (2, 1), (3, 1), (4, 1), (1, 2), (1, 3)]:
                for padding in ("valid", "same"):
                    effective = k + (k - 1) * (dilation - 1)
                    if padding == "valid" and effective > n:
                        with pytest.raises(ValueError, match="does not fit"):
                            course.conv_output_size(n, k, stride, padding, dilation=dilation)
                        continue
                    layer = keras.layers.Conv2D(1, (k, 1), strides=(stride, 1), padding=padding,
                                                dilation_rate=(dilation, 1))  # fmt: skip
                    expected = keras_length(keras, layer, n)
                    for spelling in (padding, padding.upper()):  # Keras takes either
                        got = course.conv_output_size(n, k, stride, spelling, dilation=dilation)
                        assert got == expected, (n, k, stride, dilation, spelling)


def test_conv_output_size_refuses_what_keras_refuses(keras):
    with pytest.raises(ValueError):
        keras.layers.Conv2D(1, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="cannot be combined"):
        course.conv_output_size(9, 3, 2, "valid", dilation=2)
    with pytest.raises(ValueError, match="'valid' or 'same'"):
        course.conv_output_size(4, 3, 1, "full")


def test_transposed_conv_output_size_is_what_conv2d_transpose_computes(keras):
    """Kernels smaller than, equal to and larger than the stride, with and without output_padding."""
    for n in (1, 2, 5):
        for k in (1, 2, 3, 4):
            for stride in (1, 2, 3):
                for padding in ("valid", "same"):
                    for output_padding in (None, *range(stride)):
                        layer = keras.layers.Conv2DTranspose(
                            1, (k, 1), strides=(stride, 1), padding=padding,
                            output_padding=None if output_padding is None else (output_padding, 0))  # fmt: skip
                        # Keras' own shape rule (running the layer trips oneDNN in a few of these cases)
                        expected = layer.compute_output_shape((1, n, 1, 1))[1]
                        got = course.transposed_conv_output_size(n, k, stride, padding, output_padding)
                        assert got == expected, (n, k, stride, padding, output_padding)
    with pytest.raises(ValueError, match="smaller than the stride"):
        course.transposed_conv_output_size(4, 3, 2, "same", output_padding=2)
