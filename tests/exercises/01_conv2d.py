"""Right and wrong answers for the exercises of chapter 1 (2D convolution)."""

import numpy as np

# Exercise 1.2: the 5x5 image and 3x3 kernel of the data cell, and the arrays that typical mistakes give.
IMAGE = np.array(
    [
        [2, 0, 1, 3, 1],
        [1, 1, 0, 2, 0],
        [0, 2, 3, 1, 1],
        [1, 0, 1, 0, 2],
        [3, 1, 0, 1, 1],
    ],
    dtype=float,
)
KERNEL = np.array([[1, 0, 2], [0, 1, 0], [-1, 0, 1]], dtype=float)


def windows(image, kernel, stride, pads):
    """Cross-correlate ``image``, padded with ``pads`` (as np.pad takes them), with ``kernel`` at ``stride``."""
    padded = np.pad(image, pads)
    k = kernel.shape[0]
    rows = (padded.shape[0] - k) // stride + 1
    cols = (padded.shape[1] - k) // stride + 1
    return np.array(
        [
            [np.sum(padded[stride * i : stride * i + k, stride * j : stride * j + k] * kernel) for j in range(cols)]
            for i in range(rows)
        ]
    )


BY_HAND = windows(IMAGE, KERNEL, 2, 1)  # 'same' at stride 2 adds one zero on each side here
ONE_VALUE_OFF = BY_HAND.copy()
ONE_VALUE_OFF[1, 2] += 1


# Exercise 1.5: the right function written another way, and typical mistakes.
def forward_reference(images, kernel, bias, flip=False, with_bias=True):
    batch, height, width, _ = images.shape
    kernel_h, kernel_w, _, filters = kernel.shape
    if flip:
        kernel = kernel[::-1, ::-1]
    out = np.zeros((batch, height - kernel_h + 1, width - kernel_w + 1, filters))
    for row in range(out.shape[1]):
        for col in range(out.shape[2]):
            patch = images[:, row : row + kernel_h, col : col + kernel_w, :]
            out[:, row, col, :] = np.tensordot(patch, kernel, axes=([1, 2, 3], [0, 1, 2]))
    return out + bias if with_bias else out


def forward_einsum(images, kernel, bias):
    """A right answer without loops: every window at once."""
    kernel_h, kernel_w = kernel.shape[:2]
    views = np.lib.stride_tricks.sliding_window_view(images, (kernel_h, kernel_w), axis=(1, 2))
    return np.einsum("bhwcij,ijcf->bhwf", views, kernel) + bias


def forward_without_bias(images, kernel, bias):
    """The bias forgotten (self-contained: the nbgrader round trip writes it into a notebook)."""
    batch, height, width, _ = images.shape
    kernel_h, kernel_w, _, filters = kernel.shape
    result = np.zeros((batch, height - kernel_h + 1, width - kernel_w + 1, filters))
    for row in range(height - kernel_h + 1):
        for col in range(width - kernel_w + 1):
            patch = images[:, row : row + kernel_h, col : col + kernel_w, :]
            for d in range(filters):
                result[:, row, col, d] = np.sum(patch * kernel[:, :, :, d], axis=(1, 2, 3))
    return result


def forward_flipped(images, kernel, bias):
    return forward_reference(images, kernel, bias, flip=True)


def forward_bias_per_channel(images, kernel, bias):
    return forward_reference(images, kernel, bias) + bias * (images.shape[-1] - 1)


def forward_channels_not_summed(images, kernel, bias):
    """One output channel per (input channel, filter) pair."""
    per_channel = [
        forward_reference(images[..., c : c + 1], kernel[:, :, c : c + 1, :], bias) for c in range(images.shape[-1])
    ]
    return np.concatenate(per_channel, axis=-1)


def forward_first_image_only(images, kernel, bias):
    return forward_reference(images[:1], kernel, bias)


def forward_rounded(images, kernel, bias):
    """Right on whole numbers, wrong on real ones: the result is rounded to integers."""
    return np.round(forward_reference(images, kernel, bias))


EXERCISES = {
    "ex-conv2d-predict": {
        "minutes": 5,
        "skill": (
            "apply the output-size rule and the parameter count $k_h k_w C D + D$ of `Conv2D` without running"
            " anything (graded in two parts)"
        ),
        "context": None,
        "checks": {
            "ex-conv2d-predict-check-shape": {
                "wrong": [
                    ({"predicted_shape": (None, 27, 27, 10)}, "stride"),
                    ({"predicted_shape": (None, 10, 10, 10)}, "rounds up"),
                    ({"predicted_shape": (None, 8, 8, 10)}, "one window too few"),
                    ({"predicted_shape": (None, 9, 9, 3)}, "filters"),
                    ({"predicted_shape": (1, 9, 9, 10)}, "batch size"),
                    ({"predicted_shape": (9, 9, 10)}, "4 entries"),
                    ({"predicted_shape": "(None, 9, 9, 10)"}, "expected a shape"),
                    ({"predicted_shape": (None, 14, 14, 10)}, None),
                    ({"predicted_shape": (None, 9, 9, 16)}, None),
                ],
                "right": [{"predicted_shape": [None, 9, 9, 10]}, {"predicted_shape": (None, np.int64(9), 9, 10)}],
            },
            "ex-conv2d-predict-check-params": {
                "wrong": [
                    ({"predicted_params": 480}, "biases"),
                    ({"predicted_params": 170}, "input channels"),
                    ({"predicted_params": 160}, "input channels and the biases"),
                    ({"predicted_params": 49}, "one filter"),
                    ({"predicted_params": 490.0}, "whole number"),
                    ({"predicted_params": 491}, None),
                    ({"predicted_params": 1216}, None),
                ],
                "right": [{"predicted_params": np.int64(490)}],
            },
        },
    },
    "ex-conv2d-by-hand": {
        "minutes": 15,
        "skill": (
            "carry out a strided convolution with 'same' padding by hand, counting the zeros on each side "
            "first, without flipping the kernel"
        ),
        "context": None,
        "checks": {
            "ex-conv2d-by-hand-check": {
                "wrong": [
                    ({"output_by_hand": windows(IMAGE, np.flip(KERNEL), 2, 1)}, "flipped"),
                    ({"output_by_hand": windows(IMAGE, KERNEL, 2, (0, 2))}, "after the image"),
                    ({"output_by_hand": windows(IMAGE, KERNEL, 2, (2, 0))}, "before the image"),
                    ({"output_by_hand": BY_HAND.T}, "swapped"),
                    ({"output_by_hand": windows(IMAGE, KERNEL, 2, 0)}, "'valid'"),
                    ({"output_by_hand": windows(IMAGE, KERNEL, 1, 1)}, "expected a 3×3 array"),
                    ({"output_by_hand": 8.0}, "3×3 NumPy array"),
                    ({"output_by_hand": ONE_VALUE_OFF}, None),
                ],
                "right": [{"output_by_hand": BY_HAND.tolist()}, {"output_by_hand": BY_HAND.astype(int)}],
            },
        },
    },
    "ex-conv2d-asymmetric": {
        "minutes": 15,
        "skill": (
            "place TensorFlow's 'same' zeros on each axis of a rectangular image (an odd one goes after) and "
            "compute the output value that placement decides (graded in two parts)"
        ),
        "context": None,
        "checks": {
            "ex-conv2d-asymmetric-check-zeros": {
                # Mistakes are recognised in both pairs together: a hint on one axis alone would settle a
                # two-way question (where the odd zero goes) by elimination.
                "wrong": [
                    ({"row_zeros": (0, 0), "column_zeros": (0, 0)}, "'valid'"),
                    ({"column_zeros": (1, 1)}, "padding=1"),
                    ({"row_zeros": (0, 2)}, "after the image on both axes"),
                    ({"row_zeros": (2, 0), "column_zeros": (1, 0)}, "before the image on both axes"),
                    ({"row_zeros": (0, 1)}, "square image"),
                    ({"row_zeros": 2}, "a pair"),
                    ({"row_zeros": (1, 1, 0)}, "pair of whole numbers"),
                    ({"column_zeros": (0.0, 1.0)}, "pair of whole numbers"),
                    ({"column_zeros": (-1, 2)}, "none of them negative"),
                    ({"column_zeros": (True, 1)}, "pair of whole numbers"),
                    ({"column_zeros": (1, 0)}, None),
                    ({"column_zeros": (0, 0)}, None),
                    ({"row_zeros": (2, 0)}, None),
                    ({"column_zeros": (0, 2)}, None),
                    ({"row_zeros": (1, 2)}, None),
                ],
                "right": [{"row_zeros": [1, 1], "column_zeros": [0, 1]}, {"column_zeros": (np.int64(0), np.int64(1))}],
            },
            "ex-conv2d-asymmetric-check-value": {
                "wrong": [
                    ({"corner_output": 8}, "no zero row above"),
                    ({"corner_output": 6.0}, "flipped"),
                    ({"corner_output": 1.0}, "swapped"),
                    ({"corner_output": "5"}, "a number"),
                    ({"corner_output": 0}, None),  # a placeholder gets no diagnosis
                    ({"corner_output": 0.0}, None),
                    ({"corner_output": 5.01}, None),
                    ({"corner_output": 3}, None),
                ],
                "right": [{"corner_output": 5}, {"corner_output": np.float32(5.0)}],
            },
        },
    },
    "ex-conv2d-28-to-7": {
        "minutes": 10,
        "skill": (
            "choose kernel, stride and padding for a given output size, and see that a stride larger than the"
            " kernel skips pixels"
        ),
        "context": None,
        "checks": {
            "ex-conv2d-28-to-7-check": {
                "wrong": [
                    ({"kernel_size_choice": 3, "strides_choice": 4, "padding_choice": "valid"}, "gaps"),
                    ({"kernel_size_choice": 2, "strides_choice": 4, "padding_choice": "same"}, "gaps"),
                    ({"kernel_size_choice": 9, "strides_choice": 3, "padding_choice": "valid"}, "last window"),
                    ({"kernel_size_choice": 5, "strides_choice": 4, "padding_choice": "valid"}, "not 7×7"),
                    ({"kernel_size_choice": 4, "strides_choice": 2, "padding_choice": "same"}, "not 7×7"),
                    ({"kernel_size_choice": 29, "strides_choice": 1, "padding_choice": "valid"}, "must fit"),
                    ({"kernel_size_choice": 4, "strides_choice": 4, "padding_choice": "full"}, "'valid' or 'same'"),
                    ({"kernel_size_choice": 4.0, "strides_choice": 4, "padding_choice": "valid"}, "whole number"),
                    ({"kernel_size_choice": (4, 4), "strides_choice": 4, "padding_choice": "valid"}, "whole number"),
                ],
                "right": [
                    {"kernel_size_choice": 4, "strides_choice": 4, "padding_choice": "same"},
                    {"kernel_size_choice": 7, "strides_choice": 4, "padding_choice": "same"},
                    {"kernel_size_choice": 10, "strides_choice": 3, "padding_choice": "valid"},
                    {"kernel_size_choice": 4, "strides_choice": 4, "padding_choice": "VALID"},
                ],
            },
        },
    },
    "ex-conv2d-forward": {
        "minutes": 25,
        "skill": "write a multi-channel, multi-filter convolution from the tensor layouts, matching `Conv2D`",
        "context": None,
        "checks": {
            "ex-conv2d-forward-check": {
                "wrong": [
                    ({"conv2d_forward": forward_without_bias}, "bias is missing"),
                    ({"conv2d_forward": forward_flipped}, "flipped"),
                    ({"conv2d_forward": forward_bias_per_channel}, "once per input channel"),
                    ({"conv2d_forward": forward_channels_not_summed}, "returns shape"),
                    ({"conv2d_forward": forward_first_image_only}, "returns shape"),
                    ({"conv2d_forward": "conv2d_forward"}, "expected a function"),
                    ({"conv2d_forward": forward_rounded}, None),
                ],
                "right": [{"conv2d_forward": forward_einsum}, {"conv2d_forward": forward_reference}],
            },
        },
    },
}
