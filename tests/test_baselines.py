"""The baselines and measures of course.baselines, and chapter 4's corruptions and scores (course.at_work).

Small synthetic data with known answers; no training, no TensorFlow.
"""

from __future__ import annotations

import numpy as np
import pytest

import course


def images(n=200, seed=0):
    """Random 28 x 28 images that vary along a few directions, like digits do, plus a little noise."""
    rng = np.random.default_rng(seed)
    directions = rng.standard_normal((4, 784))
    flat = 0.5 + 0.1 * rng.standard_normal((n, 4)) @ directions / 10 + 0.001 * rng.standard_normal((n, 784))
    return flat.reshape(n, 28, 28, 1).astype("float32")


def test_mse_and_psnr():
    clean = np.zeros((2, 28, 28, 1))
    assert course.mse(clean, clean + 0.1) == pytest.approx(0.01)
    assert course.psnr(clean, clean + 0.1) == pytest.approx(20.0)


def test_pca_is_the_best_linear_code_of_its_size():
    data = images()
    pca = course.pca_fit(data, 4)
    assert pca.components.shape == (4, 784)
    assert np.allclose(pca.components @ pca.components.T, np.eye(4), atol=1e-8)
    assert np.all(np.diff(pca.variances) <= 0), "components not ordered by variance"
    error = course.mse(data, course.pca_reconstruct(pca, data))
    assert error < 1.5e-6, "four components should redraw data that varies along four directions"
    two = course.pca_fit(data, 2)
    rng = np.random.default_rng(1)
    for _ in range(5):  # no other orthonormal pair of directions does better
        other = np.linalg.qr(rng.standard_normal((784, 2)))[0].T
        flat = data.reshape(len(data), -1) - two.mean
        assert course.mse(flat, flat @ other.T @ other) > course.mse(data, course.pca_reconstruct(two, data))
    codes = course.pca_encode(two, data)
    assert codes.shape == (200, 2)
    assert np.allclose(course.pca_decode(two, codes), course.pca_reconstruct(two, data))
    with pytest.raises(ValueError, match="k must be"):
        course.pca_fit(data, 0)


def test_switching_median_changes_only_pixels_at_0_or_1():
    clean = images()
    noisy = course.add_salt_and_pepper(clean, 0.2, np.random.default_rng(0))
    hit = noisy != clean
    filtered = course.switching_median(noisy, 3)
    assert np.array_equal(filtered[~hit], noisy[~hit]), "a pixel the noise did not touch was changed"
    assert course.psnr(clean, filtered) > course.psnr(clean, course.median_filter(noisy, 3))
    assert course.psnr(clean, filtered) > course.psnr(clean, noisy) + 5


def test_linear_denoiser_recovers_a_linear_corruption():
    rng = np.random.default_rng(0)
    clean = images(1000)
    flat = clean.reshape(1000, -1)
    mixing = np.eye(784) * 0.9 + 0.1 * rng.standard_normal((784, 784)) / 28
    corrupted = (flat @ mixing + 0.05).reshape(clean.shape)
    model = course.fit_linear_denoiser(corrupted, clean, ridges=(1e-8,))
    assert course.mse(clean, course.linear_denoise(model, corrupted)) < 1e-6
    noisy = clean + 0.1 * rng.standard_normal(clean.shape)
    tuned = course.fit_linear_denoiser(noisy[:800], clean[:800], tune=(noisy[800:], clean[800:]))
    assert course.psnr(clean[800:], course.linear_denoise(tuned, noisy[800:])) > course.psnr(clean[800:], noisy[800:])


def test_nearest_neighbour_labels_agree_with_brute_force():
    rng = np.random.default_rng(0)
    references, queries = rng.standard_normal((300, 5)), rng.standard_normal((2500, 5))
    labels = rng.integers(0, 10, 300)
    brute = labels[np.argmin(((queries[:, None] - references[None]) ** 2).sum(axis=-1), axis=1)]
    assert np.array_equal(course.nearest_neighbour_labels(queries, references, labels), brute)


def test_two_pixel_share_and_box_blur():
    checkerboard = (np.indices((28, 28)).sum(axis=0) % 2).astype(float)[None, ..., None]
    assert course.two_pixel_share(checkerboard)[0] > 0.4  # the rest is the mean
    assert course.two_pixel_share(np.ones((1, 28, 28, 1)))[0] == pytest.approx(0.0)
    blurred = course.box_blur(checkerboard)
    assert blurred.shape == checkerboard.shape
    assert course.two_pixel_share(blurred)[0] < 0.1 * course.two_pixel_share(checkerboard)[0]
    assert np.allclose(course.box_blur(np.full((1, 28, 28, 1), 0.3)), 0.3)


def test_corruptions_are_reproducible_and_of_the_asked_strength():
    clean = images()
    first = course.corrupt(clean, "salt-and-pepper", 0.2, seed=1)
    assert np.array_equal(first, course.corrupt(clean, "salt-and-pepper", 0.2, seed=1))
    assert not np.array_equal(first, course.corrupt(clean, "salt-and-pepper", 0.2, seed=2))
    assert np.mean(first != clean) == pytest.approx(0.2, abs=0.01)
    gaussian = course.corrupt(clean, "gaussian", 0.1, seed=1)
    assert gaussian.min() >= 0 and gaussian.max() <= 1
    assert np.std(gaussian - clean) == pytest.approx(0.1, abs=0.01)
    with pytest.raises(ValueError, match="kind"):
        course.corrupt(clean, "speckle", 0.1, seed=1)
    pairs = course.training_pairs(clean, seed=0)
    assert pairs.shape == clean.shape and np.array_equal(pairs, course.training_pairs(clean, seed=0))


def test_defects_change_what_their_masks_say():
    digits = course.mnist_splits().x_test[:30]
    defective, masks, kinds = course.make_defective(digits, seed=0)
    assert list(kinds[:3]) == list(course.DEFECT_KINDS)
    changed = np.abs(defective[..., 0] - digits[..., 0]) > 0.25
    assert np.array_equal(changed, masks) and np.all(masks.sum(axis=(1, 2)) >= 10)


def test_defect_aucs_per_kind():
    kinds = np.array(["scratch", "spot", "missing stroke"] * 10)
    normal = np.linspace(0, 1, 30)
    defective = normal + np.where(kinds == "missing stroke", -2.0, 2.0)
    aucs = course.defect_aucs(normal, defective, kinds)
    assert aucs["scratch"] == aucs["spot"] == 1.0 and aucs["missing stroke"] == 0.0


def test_tuned_filters_come_from_their_grids():
    best = course.tune_filters(images(50), [("gaussian", 0.3), ("salt-and-pepper", 0.2)])
    for (method, kind, _), setting in best.items():
        assert tuple(setting) in [tuple(s) for s in course.FILTER_GRIDS[method]]
        assert method != "switching median" or kind == "salt-and-pepper"
    assert ("switching median", "salt-and-pepper", 0.2) in best
