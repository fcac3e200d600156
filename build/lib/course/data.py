"""MNIST for the chapters: the loader (Keras' own path, or a verified local file) and the prepared splits."""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path
from typing import NamedTuple

import numpy as np

__all__ = [
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
]

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
    prepared = images.astype("float32")
    prepared /= 255.0  # in place: the same values as `images / 255.0`, without a second copy of the data set
    return prepared[..., np.newaxis]


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
