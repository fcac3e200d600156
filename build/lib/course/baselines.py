"""The baselines an expert tries first, and the measures the chapters compare them by.

* measures: :func:`mse`, :func:`psnr`;
* PCA (chapter 3's baseline for an autoencoder, chapter 4's for a detector): :func:`pca_fit`,
  :func:`pca_encode`, :func:`pca_decode`, :func:`pca_reconstruct`;
* filters for denoising (chapter 4): :func:`gaussian_blur`, :func:`median_filter`, :func:`blur_then_zero`,
  the filter made for salt-and-pepper noise, :func:`switching_median`, and the best linear denoiser,
  :func:`fit_linear_denoiser` with :func:`linear_denoise` (a Wiener filter fitted by least squares);
* scores that use no model: :func:`nearest_neighbour_labels` (chapter 3's test of what a code keeps),
  :func:`two_pixel_share` and :func:`box_blur` (chapter 3's checkerboard measure and its control).

Images are float arrays of shape (N, 28, 28, 1) with values in [0, 1], as ``course.mnist_splits`` returns them;
NumPy and SciPy only, no TensorFlow.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = [
    "mse",
    "psnr",
    "PCA",
    "pca_fit",
    "pca_encode",
    "pca_decode",
    "pca_reconstruct",
    "gaussian_blur",
    "median_filter",
    "blur_then_zero",
    "switching_median",
    "LinearDenoiser",
    "fit_linear_denoiser",
    "linear_denoise",
    "nearest_neighbour_labels",
    "two_pixel_share",
    "box_blur",
]


def mse(clean, estimate) -> float:
    """Return the mean squared error over every pixel of every image."""
    return float(np.mean((np.asarray(clean, dtype=float) - np.asarray(estimate, dtype=float)) ** 2))


def psnr(clean, estimate) -> float:
    """Return the peak signal-to-noise ratio in dB, 10 log10(1 / MSE), for pixels in [0, 1]."""
    return float(10 * np.log10(1.0 / mse(clean, estimate)))


class PCA(NamedTuple):
    """A principal component analysis: the mean image and the ``k`` directions of most variance (rows)."""

    mean: np.ndarray
    components: np.ndarray
    variances: np.ndarray


def pca_fit(images, k: int) -> PCA:
    """Return the PCA with ``k`` components of ``images``: the best linear code of ``k`` numbers.

    The components are the eigenvectors of the pixels' covariance with the ``k`` largest eigenvalues, the
    directions along which the images vary most. Among all ways to describe an image by ``k`` numbers and
    redraw it linearly, projecting on them has the least mean squared error (on the images it was fitted to).
    """
    from scipy import linalg

    flat = np.asarray(images, dtype=np.float64).reshape(len(images), -1)
    if not 1 <= k <= flat.shape[1]:
        raise ValueError(f"k must be between 1 and {flat.shape[1]}, got {k}")
    mean = flat.mean(axis=0)
    centred = flat - mean
    covariance = centred.T @ centred / len(flat)
    size = covariance.shape[0]
    values, vectors = linalg.eigh(covariance, subset_by_index=[size - k, size - 1])
    order = np.argsort(values)[::-1]  # largest variance first
    return PCA(mean, vectors[:, order].T, values[order])


def pca_encode(pca: PCA, images) -> np.ndarray:
    """Return the ``k`` PCA coordinates of each image, an array of shape (N, k)."""
    flat = np.asarray(images, dtype=np.float64).reshape(len(images), -1)
    return (flat - pca.mean) @ pca.components.T


def pca_decode(pca: PCA, codes, shape=(28, 28, 1)) -> np.ndarray:
    """Return the images that PCA coordinates of shape (N, k) describe, of shape (N, *shape)."""
    flat = np.asarray(codes, dtype=np.float64) @ pca.components + pca.mean
    return flat.reshape(len(flat), *shape)


def pca_reconstruct(pca: PCA, images) -> np.ndarray:
    """Return each image projected on the components and redrawn: PCA's reconstruction."""
    images = np.asarray(images)
    return pca_decode(pca, pca_encode(pca, images), images.shape[1:])


def gaussian_blur(images, width: float) -> np.ndarray:
    """Return each image blurred by a Gaussian of standard deviation ``width`` pixels (images apart)."""
    from scipy import ndimage

    return ndimage.gaussian_filter(images, sigma=(0, width, width, 0))


def median_filter(images, size: int) -> np.ndarray:
    """Return each pixel replaced by the median of the ``size`` x ``size`` window around it."""
    from scipy import ndimage

    return ndimage.median_filter(images, size=(1, size, size, 1))


def blur_then_zero(images, width: float, threshold: float) -> np.ndarray:
    """Return a Gaussian blur with every pixel darker than ``threshold`` set to 0 (an empty background)."""
    blurred = gaussian_blur(images, width)
    return np.where(blurred < threshold, 0.0, blurred)


def switching_median(images, size: int) -> np.ndarray:
    """Return the images with only the pixels at exactly 0 or 1 replaced by
    the median of their window.

    Salt-and-pepper noise sets pixels to 0 or 1 and leaves the others exactly
    as they were, so a filter made for it changes only those pixels (a
    *switching* median): a plain median also smooths every untouched pixel.
    """
    images = np.asarray(images)
    suspect = (images == 0.0) | (images == 1.0)
    return np.where(suspect, median_filter(images, size), images)


class LinearDenoiser(NamedTuple):
    """A linear denoiser: every output pixel a weighted sum of all input pixels plus a constant."""

    weights: np.ndarray
    bias: np.ndarray


# fmt: off
def fit_linear_denoiser(
    noisy, clean, ridges=(1e-4, 1e-3, 1e-2, 1e-1), tune=None
) -> LinearDenoiser:
    """Return the linear map from noisy to clean images with the least
    squared error (a Wiener filter).

    Fitted by least squares on the pairs ``(noisy, clean)``, with a small
    ridge penalty (a ridge of ``ridges`` times the mean input energy). With
    ``tune = (noisy_val, clean_val)`` the ridge is the one with the least
    error on those images; without, the first. The map is fitted for one
    kind and level of noise: the best linear estimator for that noise.
    """
    from scipy import linalg

    inputs = np.asarray(noisy, dtype=np.float64).reshape(len(noisy), -1)
    targets = np.asarray(clean, dtype=np.float64).reshape(len(clean), -1)
    input_mean, target_mean = inputs.mean(axis=0), targets.mean(axis=0)
    centred = inputs - input_mean
    gram = centred.T @ centred
    cross = centred.T @ (targets - target_mean)
    scale = np.trace(gram) / len(gram)
    best, best_error = None, np.inf
    for ridge in ridges if tune is not None else ridges[:1]:
        weights = linalg.solve(
            gram + ridge * scale * np.eye(len(gram)), cross, assume_a="pos"
        )
        model = LinearDenoiser(weights, target_mean - input_mean @ weights)
        if tune is None:
            return model
        error = mse(tune[1], linear_denoise(model, tune[0]))
        if error < best_error:
            best, best_error = model, error
    return best
# fmt: on


# fmt: off
def linear_denoise(model: LinearDenoiser, noisy) -> np.ndarray:
    """Return the linear denoiser's estimate of the clean images, clipped to
    [0, 1] like the pixels."""
    noisy = np.asarray(noisy)
    flat = noisy.reshape(len(noisy), -1).astype(np.float64)
    return np.clip(
        flat @ model.weights + model.bias, 0.0, 1.0
    ).reshape(noisy.shape).astype(np.float32)
# fmt: on


# fmt: off
def nearest_neighbour_labels(
    queries, references, reference_labels
) -> np.ndarray:
    """Return, for each query row, the label of its nearest reference row.

    Euclidean distance: |q - r|^2 = |q|^2 - 2 q.r + |r|^2, and |q|^2 does
    not change which r is nearest. Rows are feature vectors: pixels, codes,
    or PCA coordinates.
    """
    queries = np.asarray(queries, dtype=np.float64).reshape(len(queries), -1)
    references = np.asarray(references, dtype=np.float64).reshape(
        len(references), -1
    )
    labels = np.empty(len(queries), dtype=np.asarray(reference_labels).dtype)
    squared_norms = np.sum(references**2, axis=1)
    for start in range(0, len(queries), 1000):  # a (1000, N) distance matrix
        block = queries[start : start + 1000]
        labels[start : start + 1000] = reference_labels[
            np.argmin(squared_norms - 2 * block @ references.T, axis=1)
        ]
    return labels
# fmt: on


# fmt: off
def two_pixel_share(images) -> np.ndarray:
    """Return each image's share of energy (squared Fourier amplitudes) at
    the frequencies that repeat every 2 pixels.

    A checkerboard, the pattern that uneven overlaps of a transposed
    convolution paint, lives at exactly these three frequencies of a
    28 x 28 image: (14, 14), (0, 14) and (14, 0).
    """
    power = np.abs(np.fft.fft2(np.asarray(images)[..., 0])) ** 2
    return (
        (power[:, 14, 14] + power[:, 0, 14] + power[:, 14, 0])
        / power.sum(axis=(1, 2))
    )
# fmt: on


# fmt: off
def box_blur(images) -> np.ndarray:
    """Return each image averaged over the 3 x 3 window around each pixel
    (edges repeated): a blur, the control for any claim that a model's
    outputs hold less of the 2-pixel frequencies than its inputs."""
    images = np.asarray(images)
    padded = np.pad(images[..., 0], ((0, 0), (1, 1), (1, 1)), mode="edge")
    size = images.shape[1]
    local_mean = sum(
        padded[:, 1 + dy : size + 1 + dy, 1 + dx : size + 1 + dx]
        for dy in (-1, 0, 1) for dx in (-1, 0, 1)
    )
    return (local_mean / 9)[..., np.newaxis]
# fmt: on
