"""Chapter 4's corruptions, models and training: denoising and defect detection.

* corruptions: :func:`add_gaussian_noise`, :func:`add_salt_and_pepper`, :func:`corrupt` (one kind and level,
  the same draw on every run), :func:`training_pairs` (the denoiser's noisy inputs), :func:`add_ink_square`;
  synthetic defects with their masks, :func:`make_defective`;
* models: :func:`spatial_autoencoder` (the denoiser, a 7 x 7 x channels code) and :func:`vector_autoencoder`
  (chapter 3's plan, a 1 x 1 x code_size code), trained by :func:`train`;
* scores: :func:`anomaly_scores`, :func:`defect_aucs`; the filters' tuning, :func:`tune_filters`.

Chapter 4 calls these functions, and `make evidence` calls them over several seeds (course.experiments). The
chapter shows some of them (course.show_source); their lines stay within 80 characters for that.
"""

from __future__ import annotations

import numpy as np

from .autoencoder import predict
from .baselines import blur_then_zero, gaussian_blur, median_filter, psnr, switching_median

__all__ = [
    "GAUSSIAN_LEVELS",
    "SALT_LEVELS",
    "CONDITIONS",
    "add_gaussian_noise",
    "add_salt_and_pepper",
    "corrupt",
    "training_pairs",
    "add_ink_square",
    "DEFECT_KINDS",
    "add_defect",
    "make_defective",
    "spatial_autoencoder",
    "vector_autoencoder",
    "train",
    "anomaly_scores",
    "defect_aucs",
    "FILTER_GRIDS",
    "tune_filters",
    "filtered",
]

GAUSSIAN_LEVELS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0)  # sigma
SALT_LEVELS = (0.1, 0.2, 0.3, 0.4, 0.5)  # fraction of pixels
CONDITIONS = tuple([("gaussian", s) for s in GAUSSIAN_LEVELS] + [("salt-and-pepper", p) for p in SALT_LEVELS])
TRAIN_SIGMAS = (0.1, 0.5)  # the Gaussian noise levels of the denoiser's training inputs
TRAIN_FRACTIONS = (0.05, 0.3)  # the salt-and-pepper fractions of its training inputs


def add_gaussian_noise(images, sigma, rng):
    """Return images plus N(0, sigma^2) noise on every pixel, clipped."""
    noise = rng.standard_normal(images.shape).astype("float32")
    return np.clip(images + sigma * noise, 0.0, 1.0)


def add_salt_and_pepper(images, fraction, rng):
    """Return images with a ``fraction`` of the pixels set to 0 or 1."""
    draw = rng.uniform(size=images.shape)
    noisy = images.copy()
    noisy[draw < fraction / 2] = 0.0
    noisy[(draw >= fraction / 2) & (draw < fraction)] = 1.0
    return noisy


def corrupt(images, kind, level, seed):
    """Return images under one kind and level of noise: the same draw for the same (kind, level, seed)."""
    rng = np.random.default_rng([seed, int(round(level * 1000)), kind == "gaussian"])
    if kind == "gaussian":
        return add_gaussian_noise(images, level, rng)
    if kind == "salt-and-pepper":
        return add_salt_and_pepper(images, level, rng)
    raise ValueError(f"kind is 'gaussian' or 'salt-and-pepper', got {kind!r}")


def training_pairs(clean, seed):
    """Return the denoiser's noisy inputs for the clean images: half Gaussian, half salt-and-pepper.

    Each image gets one corruption, drawn once: the first half Gaussian noise with sigma drawn between 0.1 and
    0.5, the second half salt-and-pepper noise with a fraction drawn between 0.05 and 0.3.
    """
    rng = np.random.default_rng(seed)
    half = len(clean) // 2
    sigmas = rng.uniform(*TRAIN_SIGMAS, size=(half, 1, 1, 1)).astype("float32")
    fractions = rng.uniform(*TRAIN_FRACTIONS, size=(len(clean) - half, 1, 1, 1))
    return np.concatenate(
        [add_gaussian_noise(clean[:half], sigmas, rng), add_salt_and_pepper(clean[half:], fractions, rng)]
    )


def add_ink_square(images, side, rng):
    """Return images with one ``side`` x ``side`` square of full ink each, at a random place."""
    occluded = images.copy()
    for image in occluded:
        row, col = rng.integers(0, 28 - side, size=2)
        image[row : row + side, col : col + side] = 1.0
    return occluded


DEFECT_KINDS = ("scratch", "spot", "missing stroke")
_ROWS, _COLS = np.mgrid[:28, :28]


def _disc(centre, radius):
    return (_ROWS - centre[0]) ** 2 + (_COLS - centre[1]) ** 2 <= radius**2


# fmt: off
def add_defect(image, kind, rng):
    """Return (defective image, mask) for one (28, 28) image; the mask holds
    the pixels the defect changed by more than 0.25.

    A scratch is a straight line of full ink 10 to 18 pixels long, a spot a
    disc of full ink of radius 1.5 to 2.5, a missing stroke a disc of radius
    2.5 to 3.5 erased around an inked pixel. Drawn again until the defect
    changes at least 10 pixels.
    """
    while True:
        defective = image.copy()
        if kind == "scratch":
            middle, angle = rng.uniform(4, 24, size=2), rng.uniform(0, np.pi)
            length = rng.uniform(10, 18)
            steps = np.linspace(-0.5, 0.5, 60)[:, None] * length
            points = np.round(
                middle + steps * [np.sin(angle), np.cos(angle)]
            ).astype(int)
            points = np.clip(points, 0, 27)
            defective[points[:, 0], points[:, 1]] = 1.0
        elif kind == "spot":
            defective[
                _disc(rng.uniform(5, 23, size=2), rng.uniform(1.5, 2.5))
            ] = 1.0
        elif kind == "missing stroke":
            rows, cols = np.nonzero(image > 0.5)
            pick = rng.integers(len(rows))
            defective[
                _disc((rows[pick], cols[pick]), rng.uniform(2.5, 3.5))
            ] = 0.0
        else:
            raise ValueError(f"kind is one of {DEFECT_KINDS}, got {kind!r}")
        mask = np.abs(defective - image) > 0.25
        if mask.sum() >= 10:
            return defective, mask


def make_defective(images, seed):
    """Return (defective images, masks, kinds): one defect per image, the
    three kinds in turn."""
    rng = np.random.default_rng(seed)
    kinds = np.array([DEFECT_KINDS[i % 3] for i in range(len(images))])
    pairs = [
        add_defect(image[..., 0], kind, rng)
        for image, kind in zip(images, kinds)
    ]
    defective = np.stack(
        [p[0] for p in pairs]
    )[..., np.newaxis].astype("float32")
    return defective, np.stack([p[1] for p in pairs]), kinds
# fmt: on


# fmt: off
def spatial_autoencoder(code_channels=8, name="spatial"):
    """Return the denoiser: 28 x 28 x 1 -> a 7 x 7 x code_channels code ->
    28 x 28 x 1."""
    import keras
    from keras.layers import Conv2D, Conv2DTranspose

    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        Conv2D(32, 3, strides=2, padding="same", activation="relu",
               name="conv_1"),
        Conv2D(32, 3, strides=2, padding="same", activation="relu",
               name="conv_2"),
        Conv2D(code_channels, 3, padding="same", name="code"),
        Conv2DTranspose(32, 4, strides=2, padding="same", activation="relu",
                        name="conv_transpose_1"),
        Conv2DTranspose(1, 4, strides=2, padding="same", activation="sigmoid",
                        name="conv_transpose_2"),
    ], name=name)


def vector_autoencoder(code_size, name="vector"):
    """Return chapter 3's plan with the denoiser's layers: 28 x 28 x 1 ->
    a 1 x 1 x code_size code -> 28 x 28 x 1."""
    import keras
    from keras.layers import Conv2D, Conv2DTranspose

    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        Conv2D(32, 3, strides=2, padding="same", activation="relu",
               name="conv_1"),
        Conv2D(32, 3, strides=2, padding="same", activation="relu",
               name="conv_2"),
        Conv2D(code_size, 7, padding="valid", name="code"),
        Conv2DTranspose(32, 7, padding="valid", activation="relu",
                        name="conv_transpose_0"),
        Conv2DTranspose(32, 4, strides=2, padding="same", activation="relu",
                        name="conv_transpose_1"),
        Conv2DTranspose(1, 4, strides=2, padding="same", activation="sigmoid",
                        name="conv_transpose_2"),
    ], name=name)
# fmt: on


def train(
    model,
    inputs,
    targets,
    epochs,
    seed,
    validation_data=None,
    batch_size=128,
    peak_rate=3e-3,
    log=True,
):
    """Train ``model`` to map ``inputs`` to ``targets``; return the history.

    Chapter 4's recipe: binary cross-entropy, Adam with a warm-up to
    ``peak_rate`` over the first tenth of the steps, then a cosine decay.
    """
    import keras

    from .models import EpochLog

    keras.utils.set_random_seed(seed)
    total_steps = epochs * int(np.ceil(len(inputs) / batch_size))
    warmup_steps = total_steps // 10
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=peak_rate / 10,
        warmup_target=peak_rate,
        warmup_steps=warmup_steps,
        decay_steps=total_steps - warmup_steps,
    )
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss="binary_crossentropy",
        metrics=["mse"],
    )
    shown = ["loss", "mse"] + (["val_mse"] if validation_data else [])
    return model.fit(
        inputs,
        targets,
        batch_size=batch_size,
        epochs=epochs,
        shuffle=True,
        validation_data=validation_data,
        verbose=0,
        callbacks=[EpochLog(metrics=shown)] if log else [],
    )


def anomaly_scores(model, images):
    """Return each image's anomaly score: the mean squared error of its reconstruction by ``model``."""
    return np.mean((images - predict(model, images, 500)) ** 2, axis=(1, 2, 3))


def defect_aucs(normal_scores, defect_scores, kinds):
    """Return the image-level AUC of a score: all defects, and each kind against the normal originals.

    ``normal_scores[i]`` and ``defect_scores[i]`` belong to the same test digit, without and with a defect of
    kind ``kinds[i]``.
    """
    from sklearn.metrics import roc_auc_score

    scores = np.concatenate([normal_scores, defect_scores])
    is_defective = np.concatenate([np.zeros(len(normal_scores)), np.ones(len(defect_scores))])
    aucs = {"all": float(roc_auc_score(is_defective, scores))}
    for kind in DEFECT_KINDS:
        chosen = np.concatenate([kinds == kind, kinds == kind])
        aucs[kind] = float(roc_auc_score(is_defective[chosen], scores[chosen]))
    return aucs


# Each filter's settings, tried on validation images for every kind and level of noise.
FILTER_GRIDS = {
    "Gaussian blur": [(w,) for w in (0.25, 0.35, 0.5, 0.75, 1.0, 1.5, 2.0)],
    "median filter": [(k,) for k in (3, 5, 7, 9, 11)],
    "blur + zero": [
        (w, t) for w in (0.25, 0.35, 0.5, 0.75, 1.0, 1.5, 2.0) for t in np.round(np.arange(0.05, 0.61, 0.05), 2)
    ],
    "switching median": [(k,) for k in (3, 5, 7)],
}
_FILTERS = {
    "Gaussian blur": gaussian_blur,
    "median filter": median_filter,
    "blur + zero": blur_then_zero,
    "switching median": switching_median,
}


def filtered(images, method, setting):
    """Return ``images`` through the filter ``method`` (a key of FILTER_GRIDS) with its ``setting``."""
    return _FILTERS[method](images, *setting)


# fmt: off
def tune_filters(clean, conditions=CONDITIONS, seed=1):
    """Return {(method, kind, level): setting}, each filter's setting with
    the best PSNR on ``clean``.

    Every filter is tuned for every kind and level of noise separately (it
    is told the noise level, which the denoiser never is). The switching
    median is made for salt-and-pepper noise and tuned for that kind only.
    """
    best = {}
    for kind, level in conditions:
        noisy = corrupt(clean, kind, level, seed)
        blurred = {}
        for method, grid in FILTER_GRIDS.items():
            if method == "switching median" and kind != "salt-and-pepper":
                continue
            scores = []
            for setting in grid:
                if method in ("Gaussian blur", "blur + zero"):  # one blur each
                    width = setting[0]
                    if width not in blurred:
                        blurred[width] = gaussian_blur(noisy, width)
                    output = blurred[width]
                    if method == "blur + zero":
                        output = np.where(output < setting[1], 0.0, output)
                else:
                    output = filtered(noisy, method, setting)
                scores.append(psnr(clean, output))
                if (method in ("median filter", "switching median")
                        and len(scores) > 1 and scores[-1] <= scores[-2]):
                    break  # a larger window only blurs more
            best[method, kind, level] = grid[int(np.argmax(scores))]
    return best
# fmt: on
