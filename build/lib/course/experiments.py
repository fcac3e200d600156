"""The experiments behind the chapters' claims, which `make evidence` (python -m coursetools evidence) runs over several seeds.

Each :class:`Experiment` has a ``prepare`` function (what does not depend on a seed: the data, the baselines such
as PCA or a tuned filter, a judge) and a ``run`` function (one seed: train the chapter's models with the chapter's
functions, measure them). ``prepare`` returns ``(shared, fixed)``: objects for ``run``, and the values written to
the evidence as they are; ``run`` returns the per-seed values. The seeds include the chapter's own, so that the
chapter's run is one draw of the evidence. Every function here calls the functions the chapters call (course.
autoencoder, course.at_work, course.vae, course.baselines), never a copy of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from . import at_work, autoencoder, baselines
from .data import mnist_splits

__all__ = ["Experiment", "EXPERIMENTS", "CHAPTER_3_RECIPE"]

# The recipe chapter 3 trains with, chosen by the evidence of "03-recipes" (the lowest mean validation error
# over the seeds, and below the others on every seed).
CHAPTER_3_RECIPE = "warm-up + cosine"


class Experiment(NamedTuple):
    """One experiment: what it measures, its functions, its settings and its seeds."""

    claim: str
    prepare: Callable
    run: Callable
    settings: dict
    seeds: tuple


# --------------------------------------------------------------------------------------------------
# Chapter 3: the training recipe, the autoencoder against PCA, the latent space, the checkerboard
# --------------------------------------------------------------------------------------------------
def _seed_rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _nearest_gaps(codes, reference, rank) -> float:
    """The median distance from each code to its ``rank``-th nearest reference code (rank 1 skips the code itself)."""
    gaps = np.linalg.norm(codes[:, np.newaxis] - reference[np.newaxis], axis=-1)
    return float(np.median(np.sort(gaps, axis=1)[:, rank]))


def _confused_within_families(labels, guesses, top=5) -> int:
    """How many of the ``top`` pairs of digits most often confused lie within 3/5/8 or 4/7/9."""
    confusions = np.zeros((10, 10), dtype=int)
    np.add.at(confusions, (labels, guesses), 1)
    pairs = {(a, b): confusions[a, b] + confusions[b, a] for a in range(10) for b in range(a + 1, 10)}
    ranked = sorted(pairs, key=lambda pair: (-pairs[pair], pair))[:top]
    return sum(any({a, b} <= family for family in ({3, 5, 8}, {4, 7, 9})) for a, b in ranked)


def prepare_recipes(settings):
    data = mnist_splits()
    pca = baselines.pca_fit(data.x_train, settings["latent_dim"])
    neighbours = settings["neighbours"]
    pca_val = baselines.pca_encode(pca, data.x_val)
    pca_neighbours = baselines.pca_encode(pca, data.x_train[:neighbours])
    fixed = {
        "pca_val_mse": baselines.mse(data.x_val, baselines.pca_reconstruct(pca, data.x_val)),
        "pca_test_mse": baselines.mse(data.x_test, baselines.pca_reconstruct(pca, data.x_test)),
        "mean_image_val_mse": baselines.mse(data.x_val, data.x_train.mean(axis=0)),
        "nn_accuracy_pixels": float(
            np.mean(
                baselines.nearest_neighbour_labels(data.x_val, data.x_train[:neighbours], data.y_train[:neighbours])
                == data.y_val
            )
        ),
        "nn_accuracy_pca": float(
            np.mean(
                baselines.nearest_neighbour_labels(pca_val, pca_neighbours, data.y_train[:neighbours]) == data.y_val
            )
        ),
        "two_pixel_inputs": float(np.mean(baselines.two_pixel_share(data.x_val))),
        "two_pixel_blurred_inputs": float(np.mean(baselines.two_pixel_share(baselines.box_blur(data.x_val)))),
    }
    return {"data": data}, fixed


def run_recipes(seed, settings, shared):
    data = shared["data"]
    neighbours = settings["neighbours"]
    values = {}
    for recipe in settings["recipes"]:
        encoder, decoder, model = autoencoder.fresh_autoencoder(settings["latent_dim"], seed)
        autoencoder.train_autoencoder(
            model, data.x_train, data.x_val, recipe, settings["epochs"], settings["batch_size"], seed, log=False
        )
        val_out = autoencoder.predict(model, data.x_val)
        codes = autoencoder.predict(encoder, data.x_val).reshape(len(data.x_val), -1)
        neighbour_codes = autoencoder.predict(encoder, data.x_train[:neighbours]).reshape(neighbours, -1)
        random_codes = _seed_rng(seed).standard_normal((settings["random_codes"], settings["latent_dim"]))
        random_images = autoencoder.predict(
            decoder, random_codes.reshape(-1, 1, 1, settings["latent_dim"]).astype("float32")
        )
        first = val_out[: settings["random_codes"]]
        guesses = baselines.nearest_neighbour_labels(codes, neighbour_codes, data.y_train[:neighbours])
        random_gap = _nearest_gaps(random_codes, codes, 0)
        real_gap = _nearest_gaps(codes[:500], codes, 1)
        values |= {
            f"val_mse/{recipe}": baselines.mse(data.x_val, val_out),
            f"test_mse/{recipe}": baselines.mse(data.x_test, autoencoder.predict(model, data.x_test)),
            f"output_sd/{recipe}": float(val_out.std(axis=0).mean()),
            f"nn_accuracy/{recipe}": float(np.mean(guesses == data.y_val)),
            f"confused_within_families/{recipe}": _confused_within_families(data.y_val, guesses),
            f"random_gap_ratio/{recipe}": random_gap / real_gap,
            f"two_pixel/{recipe}": float(np.mean(baselines.two_pixel_share(val_out))),
            f"code_sd_min/{recipe}": float(codes.std(axis=0).min()),
            f"random_two_pixel_ratio/{recipe}": float(
                np.mean(baselines.two_pixel_share(random_images)) / np.mean(baselines.two_pixel_share(first))
            ),
        }
    return values


def prepare_sweep(settings):
    data = mnist_splits()
    images = data.x_train[: settings["images"]]
    fixed = {}
    for size in settings["sizes"]:
        pca = baselines.pca_fit(images, size)
        fixed[f"pca_val_mse/{size}"] = baselines.mse(data.x_val, baselines.pca_reconstruct(pca, data.x_val))
        fixed[f"parameters/{size}"] = int(autoencoder.fresh_autoencoder(size, 0)[2].count_params())
    return {"data": data, "images": images}, fixed


def run_sweep(seed, settings, shared):
    data, images = shared["data"], shared["images"]
    values = {}
    for size in settings["sizes"]:
        _, _, model = autoencoder.fresh_autoencoder(size, seed)
        autoencoder.train_autoencoder(
            model, images, data.x_val, settings["recipe"], settings["epochs"], settings["batch_size"], seed, log=False
        )
        values[f"val_mse/{size}"] = baselines.mse(data.x_val, autoencoder.predict(model, data.x_val))
    return values


# --------------------------------------------------------------------------------------------------
# Chapter 4: denoising against the filters made for the noise; detection against PCA and model-free scores
# --------------------------------------------------------------------------------------------------
def _condition(kind, level) -> str:
    return f"{kind} {level:g}"


def prepare_denoising(settings):
    data = mnist_splits()
    x_train = data.x_train[: settings["train_size"]]
    tuning = data.x_val[settings["tuning"][0] : settings["tuning"][1]]
    measured = data.x_test[: settings["measured"]]
    conditions = [tuple(c) for c in settings["conditions"]]
    best = at_work.tune_filters(tuning, conditions, seed=settings["tuning_seed"])
    fixed, noisy_measured = {}, {}
    for kind, level in conditions:
        name = _condition(kind, level)
        noisy = at_work.corrupt(measured, kind, level, settings["measuring_seed"])
        noisy_measured[kind, level] = noisy
        fixed[f"psnr/noisy input/{name}"] = baselines.psnr(measured, noisy)
        for method in at_work.FILTER_GRIDS:
            if (method, kind, level) in best:
                output = at_work.filtered(noisy, method, best[method, kind, level])
                fixed[f"psnr/{method}/{name}"] = baselines.psnr(measured, output)
                fixed[f"setting/{method}/{name}"] = list(best[method, kind, level])
        linear = baselines.fit_linear_denoiser(
            at_work.corrupt(x_train, kind, level, settings["linear_seed"]),
            x_train,
            tune=(at_work.corrupt(tuning, kind, level, settings["tuning_seed"]), tuning),
        )
        fixed[f"psnr/linear/{name}"] = baselines.psnr(measured, baselines.linear_denoise(linear, noisy))
    occluded = at_work.add_ink_square(measured, settings["square"], np.random.default_rng(settings["square_seed"]))
    fixed["psnr/occluded input"] = baselines.psnr(measured, occluded)
    shared = {"data": data, "x_train": x_train, "measured": measured, "noisy": noisy_measured, "occluded": occluded}
    return shared, fixed


def run_denoising(seed, settings, shared):
    x_train, measured = shared["x_train"], shared["measured"]
    noisy_train = at_work.training_pairs(x_train, seed)
    values = {}
    for name, build, epochs in [
        ("denoiser", lambda: at_work.spatial_autoencoder(name="denoiser"), settings["epochs"]),
        ("2-number AE", lambda: at_work.vector_autoencoder(2, name="two_number"), settings["two_number_epochs"]),
    ]:
        import keras

        keras.utils.set_random_seed(seed)
        model = build()
        at_work.train(model, noisy_train, x_train, epochs, seed, log=False)
        for (kind, level), noisy in shared["noisy"].items():
            values[f"psnr/{name}/{_condition(kind, level)}"] = baselines.psnr(
                measured, autoencoder.predict(model, noisy)
            )
        if name == "denoiser":
            values["psnr/denoiser/occluded"] = baselines.psnr(measured, autoencoder.predict(model, shared["occluded"]))
    return values


def _pixel_aucs(score, masks, kinds) -> dict:
    from sklearn.metrics import roc_auc_score

    aucs = {"all": float(roc_auc_score(masks.ravel(), score.ravel()))}
    for kind in at_work.DEFECT_KINDS:
        aucs[kind] = float(roc_auc_score(masks[kinds == kind].ravel(), score[kinds == kind].ravel()))
    return aucs


def prepare_detection(settings):
    from scipy import ndimage
    from sklearn.metrics import roc_auc_score

    data = mnist_splits()
    x_train, y_train = data.x_train[: settings["train_size"]], data.y_train[: settings["train_size"]]
    normal = data.x_test[: settings["normal_test"]]
    defective, masks, kinds = at_work.make_defective(normal, seed=settings["defect_seed"])
    pca = baselines.pca_fit(x_train, settings["width"])

    def pca_scores(images):
        return np.mean((images - baselines.pca_reconstruct(pca, images)) ** 2, axis=(1, 2, 3))

    fixed = {
        f"pca_auc/{k}": v for k, v in at_work.defect_aucs(pca_scores(normal), pca_scores(defective), kinds).items()
    }
    pixels = defective[..., 0]
    mean_image = x_train.mean(axis=0)[..., 0]
    for name, score in [
        ("pixel value", pixels),
        ("ink around, none here", ndimage.gaussian_filter(pixels, sigma=(0, 1, 1)) - pixels),
        ("squared difference from the mean image", (pixels - mean_image) ** 2),
    ]:
        fixed |= {f"pixel_auc/{name}/{k}": v for k, v in _pixel_aucs(score, masks, kinds).items()}
    novelty_test, novelty_labels = data.x_test[: settings["novelty_test"]], data.y_test[: settings["novelty_test"]]
    ink = novelty_test.mean(axis=(1, 2, 3))
    for digit in settings["held_out"]:
        fixed[f"little_ink_auc/{digit}"] = float(roc_auc_score(novelty_labels == digit, -ink))
    defect_ink = np.concatenate([normal, defective]).mean(axis=(1, 2, 3))
    fixed |= {
        f"little_ink_auc/{k}": v
        for k, v in at_work.defect_aucs(-defect_ink[: len(normal)], -defect_ink[len(normal) :], kinds).items()
    }
    for width in (settings["width"], settings["wide"]):
        fixed[f"parameters/{width}"] = int(at_work.vector_autoencoder(width).count_params())
    shared = {
        "data": data, "x_train": x_train, "y_train": y_train, "normal": normal, "defective": defective,
        "masks": masks, "kinds": kinds, "novelty_test": novelty_test, "novelty_labels": novelty_labels,
    }  # fmt: skip
    return shared, fixed


def run_detection(seed, settings, shared):
    import keras
    from sklearn.metrics import roc_auc_score

    data, x_train, normal, defective = shared["data"], shared["x_train"], shared["normal"], shared["defective"]
    values = {}
    for width in (settings["width"], settings["wide"]):
        keras.utils.set_random_seed(seed)
        model = at_work.vector_autoencoder(width, name=f"code_{width}")
        at_work.train(model, x_train, x_train, settings["epochs"], seed, log=False)
        normal_scores = at_work.anomaly_scores(model, normal)
        defect_scores = at_work.anomaly_scores(model, defective)
        values[f"normal_mse/{width}"] = float(np.mean(normal_scores))
        values |= {
            f"auc/{width}/{k}": v for k, v in at_work.defect_aucs(normal_scores, defect_scores, shared["kinds"]).items()
        }
        if width != settings["width"]:
            continue
        validation_scores = at_work.anomaly_scores(model, data.x_val[: settings["validation"]])
        threshold = float(np.quantile(validation_scores, 1 - settings["false_alarm_rate"]))
        recall = float(np.mean(defect_scores > threshold))
        false_alarms = float(np.mean(normal_scores > threshold))
        prevalence = settings["prevalence"]
        values |= {
            "recall": recall,
            "false_alarm_rate": false_alarms,
            "precision": recall / (recall + false_alarms) if recall + false_alarms else 0.0,
            "rare_precision": recall * prevalence / (recall * prevalence + false_alarms * (1 - prevalence)),
        }
        residuals = (defective - autoencoder.predict(model, defective, 500))[..., 0]
        values |= {
            f"pixel_auc/residual/{k}": v for k, v in _pixel_aucs(residuals**2, shared["masks"], shared["kinds"]).items()
        }
    for digit in settings["held_out"]:
        without = x_train[shared["y_train"] != digit]
        keras.utils.set_random_seed(seed)
        model = at_work.vector_autoencoder(settings["width"], name=f"without_{digit}")
        at_work.train(model, without, without, settings["epochs"], seed, log=False)
        scores = at_work.anomaly_scores(model, shared["novelty_test"])
        values[f"novelty_auc/{digit}"] = float(roc_auc_score(shared["novelty_labels"] == digit, scores))
    return values


# --------------------------------------------------------------------------------------------------
# Chapter 5: the plain autoencoder and the VAE, each with two samplers
# --------------------------------------------------------------------------------------------------
def prepare_models(settings):
    from . import vae

    data = mnist_splits()
    x_train = data.x_train[: settings["train_size"]]
    judge = vae.train_judge(x_train, data.y_train[: settings["train_size"]], seed=settings["judge_seed"])
    scored = settings["scored"]
    prior = np.random.default_rng(settings["prior_seed"]).standard_normal((settings["draws"], vae.LATENT_DIM))
    fixed = {
        "judge_right/real": vae.share_right(judge, data.x_test[:scored], data.y_test[:scored]),
        "score/real": vae.digit_score(judge, data.x_test[:scored]),
    }
    return {"data": data, "x_train": x_train, "judge": judge, "prior": prior.astype("float32")}, fixed


def _quadrant_min(means) -> float:
    shares = [
        np.mean(((means[:, 0] > 0) == right) & ((means[:, 1] > 0) == upper))
        for right in (False, True)
        for upper in (False, True)
    ]
    return float(min(shares))


def run_models(seed, settings, shared):
    from . import vae

    data, x_train, judge, prior = shared["data"], shared["x_train"], shared["judge"], shared["prior"]
    scored, dim = settings["scored"], vae.LATENT_DIM
    x_test, y_test = data.x_test, data.y_test
    epochs, batch = settings["epochs"], settings["batch_size"]
    values = {}
    encoder, decoder, _ = vae.train_plain(x_train, data.x_val, seed, epochs, batch, log=False)
    reconstructions = vae.decode(decoder, vae.codes_of(encoder, x_test))
    codes = vae.codes_of(encoder, x_train)
    values |= {
        "test_mse/plain": baselines.mse(x_test, reconstructions),
        "judge_right/plain": vae.share_right(judge, reconstructions[:scored], y_test[:scored]),
        "score/plain, N(0, I)": vae.digit_score(judge, vae.decode(decoder, prior)),
        "score/plain, fitted": vae.digit_score(
            judge, vae.decode(decoder, vae.fitted_codes(codes.mean(axis=0), np.cov(codes.T), prior))
        ),
    }
    for name, beta, position_bias in [
        ("VAE", 1.0, True),
        ("VAE, beta 4", 4.0, True),
        ("VAE, chapter 3 decoder", 1.0, False),
    ]:
        model = vae.build_vae(beta, seed, position_bias)
        vae.train_vae(model, x_train, data.x_val, epochs, batch, log=False)
        terms = model.evaluate(vae.image_batches(x_test, 1000), verbose=0, return_dict=True)
        outputs = vae.codes_of(model.encoder, x_test)
        means, log_vars = outputs[:, :dim], outputs[:, dim:]
        samples = vae.decode(model.decoder, prior)
        train_outputs = vae.codes_of(model.encoder, x_train)
        fit_mean, fit_cov = vae.aggregate_moments(train_outputs[:, :dim], train_outputs[:, dim:])
        aggregate_mean, aggregate_cov = vae.aggregate_moments(means, log_vars)
        values |= {
            f"reconstruction/{name}": float(terms["reconstruction"]),
            f"kl/{name}": float(terms["kl"]),
            f"test_mse/{name}": baselines.mse(x_test, autoencoder.predict(model, x_test)),
            f"score/{name}, N(0, I)": vae.digit_score(judge, samples),
            f"score/{name}, fitted": vae.digit_score(
                judge, vae.decode(model.decoder, vae.fitted_codes(fit_mean, fit_cov, prior))
            ),
            f"coverage/{name}": vae.coverage(means, prior, settings["radius"]),
            f"aggregate_mean_norm/{name}": float(np.linalg.norm(aggregate_mean)),
            f"aggregate_variance_min/{name}": float(np.diag(aggregate_cov).min()),
            f"aggregate_variance_max/{name}": float(np.diag(aggregate_cov).max()),
            f"emptiest_quadrant/{name}": _quadrant_min(means),
            f"cloud_sd_max/{name}": float(np.exp(0.5 * log_vars).mean(axis=0).max()),
        }
        if name == "VAE":
            probabilities = vae.class_probabilities(judge, samples)
            rng = np.random.default_rng(settings["bootstrap_seed"])
            boot = [
                vae.score_of(probabilities[rng.integers(0, len(samples), len(samples))])
                for _ in range(settings["bootstrap"])
            ]
            reconstructed = autoencoder.predict(model, x_test[:scored])
            values["bootstrap_sd/VAE, N(0, I)"] = float(np.std(boot))
            values["judge_right/VAE"] = vae.share_right(judge, reconstructed, y_test[:scored])
    return values


# --------------------------------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------------------------------
EXPERIMENTS = {
    "03-recipes": Experiment(
        "Which learning-rate rule trains chapter 3's 2-number autoencoder best on its budget, and how the "
        "result compares with PCA, in nearest neighbours and in 2-pixel energy",
        prepare_recipes,
        run_recipes,
        {
            "latent_dim": 2,
            "epochs": 5,
            "batch_size": 128,
            "recipes": list(autoencoder.RECIPES),
            "neighbours": 10000,
            "random_codes": 20,
        },  # fmt: skip
        (42, 1, 2, 3, 4),
    ),
    "03-sweep": Experiment(
        "How the validation error of chapter 3's autoencoder falls with the code size on a short budget, "
        "against PCA with as many components",
        prepare_sweep,
        run_sweep,
        {"sizes": [2, 4, 8, 16, 32], "images": 10000, "epochs": 2, "batch_size": 32, "recipe": CHAPTER_3_RECIPE},
        (42, 1, 2, 3, 4),
    ),
    "04-denoising": Experiment(
        "The denoiser's PSNR at every kind and level of noise, against filters tuned for each, the switching "
        "median and a linear least-squares denoiser fitted for each",
        prepare_denoising,
        run_denoising,
        {
            "train_size": 20000,
            "epochs": 4,
            "two_number_epochs": 2,
            "measured": 2000,
            "measuring_seed": 2,
            "tuning": [1000, 1500],
            "tuning_seed": 1,
            "linear_seed": 3,
            "conditions": [list(c) for c in at_work.CONDITIONS],
            "square": 9,
            "square_seed": 6,
        },  # fmt: skip
        (4, 5, 6, 7, 8),
    ),
    "04-detection": Experiment(
        "The reconstruction-error detector's AUCs per kind of defect, its threshold, a wider code, residual maps "
        "and novelty, against PCA and model-free scores",
        prepare_detection,
        run_detection,
        {
            "train_size": 20000,
            "epochs": 3,
            "width": 16,
            "wide": 392,
            "normal_test": 1500,
            "defect_seed": 4,
            "validation": 2000,
            "false_alarm_rate": 0.01,
            "prevalence": 0.01,
            "held_out": [1, 8],
            "novelty_test": 3000,
        },  # fmt: skip
        (4, 5, 6, 7, 8),
    ),
    "05-models": Experiment(
        "The plain autoencoder and the VAE trained alike, each with N(0, I) and a fitted Gaussian as the "
        "sampler; beta = 4; chapter 3's decoder in the VAE",
        prepare_models,
        run_models,
        {
            "train_size": 20000,
            "epochs": 5,
            "batch_size": 64,
            "judge_seed": 42,
            "scored": 2000,
            "prior_seed": 42,
            "draws": 2000,
            "radius": 0.2,
            "bootstrap": 200,
            "bootstrap_seed": 42,
        },  # fmt: skip
        (42, 1, 2, 3, 4),
    ),
}
