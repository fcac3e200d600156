"""Right and wrong answers for the exercises of chapter 2 (Transposed convolution)."""

import numpy as np

# Exercise 2.3: the output of a Conv2DTranspose (stride 3, 'valid', no bias) with kernel W on the map X,
# and the arrays that typical mistakes give.
W = np.array([[1, -1], [2, 0]])
X = np.array([[1, 2], [3, 4]])


def stamped(kernel, stride, size, offset=0):
    """Stamp X[i, j] * kernel at (offset + stride * i, offset + stride * j) on a size x size grid."""
    grid = np.zeros((size, size))
    k = kernel.shape[0]
    for i in range(2):
        for j in range(2):
            top, left = offset + stride * i, offset + stride * j
            grid[top : top + k, left : left + k] += X[i, j] * kernel
    return grid


BY_HAND = stamped(W, 3, 6)
ONE_VALUE_OFF = BY_HAND.copy()
ONE_VALUE_OFF[4, 3] += 1


# Exercise 2.4: stamp counts. Other right ways to write the rule, and typical mistakes (each function is
# self-contained: the nbgrader round trip writes the first wrong answer of a check into a notebook).
def stamp_counts_divmod(kernel_size, stride):
    quotient, remainder = divmod(kernel_size, stride)
    counts = {quotient * quotient}
    if remainder:
        counts |= {quotient * (quotient + 1), (quotient + 1) ** 2}
    return sorted(counts)


def stamp_counts_simulated(kernel_size, stride, n=8):
    """Scatter a kernel of ones from an n x n map of ones and read the interior (also a right answer)."""
    size = (n - 1) * stride + max(kernel_size, stride)
    grid = np.zeros((size, size), dtype=int)
    for i in range(n):
        for j in range(n):
            grid[stride * i : stride * i + kernel_size, stride * j : stride * j + kernel_size] += 1
    first, last = kernel_size - 1, (n - 1) * stride
    return sorted(set(grid[first : last + 1, first : last + 1].ravel().tolist()))


def one_axis_only(kernel_size, stride):
    return sorted({len(range(phase, kernel_size, stride)) for phase in range(stride)})


def without_zero(kernel_size, stride):
    per_phase = [len(range(phase, kernel_size, stride)) for phase in range(stride)]
    return sorted({a * b for a in per_phase for b in per_phase if a * b})


def at_least_one_per_phase(kernel_size, stride):
    per_phase = [max(1, len(range(phase, kernel_size, stride))) for phase in range(stride)]
    return sorted({a * b for a in per_phase for b in per_phase})


def always_two_values(kernel_size, stride):
    q = kernel_size // stride
    return sorted({q * q, q * (q + 1), (q + 1) ** 2})


def ceil_only(kernel_size, stride):
    q = -(-kernel_size // stride)
    return [q * q]


def not_squared_when_divisible(kernel_size, stride):
    quotient, remainder = divmod(kernel_size, stride)
    if remainder == 0:
        return [quotient]
    return sorted({quotient * quotient, quotient * (quotient + 1), (quotient + 1) ** 2})


def as_a_set(kernel_size, stride):
    return set(stamp_counts_divmod(kernel_size, stride))


def decreasing(kernel_size, stride):
    return sorted(stamp_counts_divmod(kernel_size, stride), reverse=True)


def as_floats(kernel_size, stride):
    return [float(c) for c in stamp_counts_divmod(kernel_size, stride)]


EXERCISES = {
    "ex-transposed-conv-shape": {
        "minutes": 5,
        "skill": (
            "apply the 'valid' output-size rule of `Conv2DTranspose` and count its parameters, biases "
            "included (graded in two parts)"
        ),
        "context": None,
        "checks": {
            "ex-transposed-conv-shape-check-shape": {
                "wrong": [
                    ({"predicted_shape": (None, 12, 12, 8)}, "'same' size"),
                    ({"predicted_shape": (None, 17, 17, 8)}, "starts at row 0"),
                    ({"predicted_shape": (None, 14, 14, 2)}, "one channel per filter"),
                    ({"predicted_shape": (None, 13, 13, 8)}, None),
                    ({"predicted_shape": (None, 16, 16, 8)}, None),
                    ({"predicted_shape": (14, 14, 8)}, "4 entries"),
                    ({"predicted_shape": (1, 14, 14, 8)}, "batch size"),
                    ({"predicted_shape": "(None, 14, 14, 8)"}, "expected a shape"),
                ],
                "right": [
                    {"predicted_shape": [None, 14, 14, 8]},
                    {"predicted_shape": (None, np.int64(14), 14, 8)},
                ],
            },
            "ex-transposed-conv-shape-check-params": {
                "wrong": [
                    ({"predicted_params": 400}, "not the biases"),
                    ({"predicted_params": 402}, "one bias per input channel"),
                    ({"predicted_params": 208}, "leaves out the input channels"),
                    ({"predicted_params": 416}, None),
                    ({"predicted_params": 408.0}, "whole number"),
                ],
                "right": [{"predicted_params": np.int64(408)}],
            },
        },
    },
    "ex-transposed-conv-same-crop": {
        "minutes": 15,
        "skill": (
            "choose `output_padding` with 'same' padding, and say which rows of the canvas the output keeps: "
            "the mirrored convolution's padding, not Keras's size formula, decides (graded in two parts)"
        ),
        "context": None,
        "checks": {
            "ex-transposed-conv-same-crop-check-output-padding": {
                # Three values are possible: a hint for each wrong one would leave the answer by elimination,
                # so the visible check names none and the graded tests decide.
                "wrong": [
                    ({"chosen_output_padding": 0}, None),
                    ({"chosen_output_padding": 2}, None),
                    ({"chosen_output_padding": -3}, "output_padding < stride"),
                    ({"chosen_output_padding": 3}, "output_padding < stride"),
                    ({"chosen_output_padding": 1.0}, "whole number"),
                    ({"chosen_output_padding": True}, "bool"),
                ],
                "right": [{"chosen_output_padding": np.int64(1)}],
            },
            "ex-transposed-conv-same-crop-check-first-row": {
                "wrong": [
                    ({"first_kept_rows": (0, 0, 0)}, "at the end only"),
                    ({"first_kept_rows": (2, 2, 2)}, "bookkeeping"),
                    ({"first_kept_rows": (4, 3, 2)}, "all the missing rows"),
                    ({"first_kept_rows": (2, 2, 1)}, "larger half"),
                    ({"first_kept_rows": (1, 1, 1)}, None),
                    ({"first_kept_rows": (2, 1, 2)}, None),
                    ({"first_kept_rows": (5, 1, 1)}, None),
                    ({"first_kept_rows": (-1, 1, 1)}, "numbered from 0"),
                    ({"first_kept_rows": (2, 1)}, "three whole numbers"),
                    ({"first_kept_rows": (2.0, 1, 1)}, "three whole numbers"),
                    ({"first_kept_rows": (True, 1, 1)}, "three whole numbers"),
                    ({"first_kept_rows": 1}, "a tuple of three row numbers"),
                    ({"first_kept_rows": "211"}, "a tuple of three row numbers"),
                ],
                "right": [{"first_kept_rows": [2, 1, 1]}, {"first_kept_rows": (np.int64(2), 1, 1)}],
            },
        },
    },
    "ex-transposed-conv-small-kernel": {
        "minutes": 10,
        "skill": (
            "compute a transposed convolution as a scatter-add of scaled kernels when the stamps leave gaps, "
            "including the zero rows Keras adds after the canvas"
        ),
        "context": None,
        "checks": {
            "ex-transposed-conv-small-kernel-check": {
                "wrong": [
                    ({"by_hand": stamped(W, 3, 5)}, "size of the canvas"),
                    ({"by_hand": stamped(W, 1, 3)}, "one cell apart"),
                    ({"by_hand": stamped(W, 2, 4)}, "kernel-size cells apart"),
                    ({"by_hand": stamped(W[::-1, ::-1], 3, 6)}, "rotated by 180"),
                    ({"by_hand": stamped(W, 3, 6, offset=1)}, "before the stamps"),
                    ({"by_hand": stamped(W.T, 3, 6)}, "transposed kernel"),
                    ({"by_hand": BY_HAND[np.newaxis]}, "2-D array"),
                    ({"by_hand": ONE_VALUE_OFF}, None),
                    ({"by_hand": "by hand"}, "expected a 2-D NumPy array"),
                ],
                "right": [
                    {"by_hand": BY_HAND.astype(int).tolist()},
                    {"by_hand": BY_HAND.astype("float32")},
                ],
            },
        },
    },
    "ex-transposed-conv-stamp-counts": {
        "minutes": 20,
        "skill": (
            "derive, from the phases of the kernel, the stamp counts behind checkerboard artifacts for any "
            "kernel size and stride, kernels smaller than the stride included"
        ),
        "context": None,
        "checks": {
            "ex-transposed-conv-stamp-counts-check": {
                "wrong": [
                    ({"stamp_counts": one_axis_only}, "one axis only"),
                    ({"stamp_counts": without_zero}, "no stamp reaches"),
                    ({"stamp_counts": at_least_one_per_phase}, "no stamp reaches"),
                    ({"stamp_counts": always_two_values}, "stride divides"),
                    ({"stamp_counts": ceil_only}, "checkerboard of the chapter"),
                    ({"stamp_counts": not_squared_when_divisible}, None),
                    ({"stamp_counts": as_a_set}, "a list of whole numbers"),
                    ({"stamp_counts": decreasing}, "increasing order"),
                    ({"stamp_counts": as_floats}, "whole numbers"),
                    ({"stamp_counts": [1, 2, 4]}, "expected a function"),
                ],
                "right": [
                    {"stamp_counts": stamp_counts_divmod},
                    {"stamp_counts": stamp_counts_simulated},
                    {"stamp_counts": lambda kernel_size, stride: tuple(stamp_counts_divmod(kernel_size, stride))},
                ],
            },
        },
    },
}
