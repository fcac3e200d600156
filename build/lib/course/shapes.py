"""Shape arithmetic: the output size of a convolution and of a transposed convolution, as TensorFlow computes it.

Chapter 1 derives the convolution rule and chapter 2 the transposed-convolution rule; every later chapter uses
these functions, which the tests check against Keras (one rule per quantity for the whole book).
"""

from __future__ import annotations

import numpy as np

__all__ = ["conv_output_size", "transposed_conv_output_size"]


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
