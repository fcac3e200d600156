"""Right and wrong answers for the exercises of chapter 4 (Autoencoders at work)."""

import numpy as np


def scores_context(namespace):
    """Stand-ins for the detector's anomaly scores: normal images score lower than defective ones, as in the
    chapter, from fixed log-normal draws."""
    rng = np.random.default_rng(4)
    return {
        "validation_scores": np.exp(rng.normal(-4.0, 0.5, 2000)),
        "normal_test_scores": np.exp(rng.normal(-4.0, 0.5, 1500)),
        "defect_test_scores": np.exp(rng.normal(-3.3, 0.6, 1500)),
    }


_DETECTOR = {}


def detector_context(namespace):
    """Stand-ins for the trained detector: a linear autoencoder (the best 32 principal components of 5,000
    training digits), its reconstruction error as the anomaly score, and the 1 % threshold from 2,000
    validation digits; MNIST's test images as the chapter loads them."""
    if _DETECTOR:  # built once per test session
        return dict(_DETECTOR)
    import course

    splits = course.mnist_splits()
    train = splits.x_train[:5000].reshape(5000, -1)
    mean = train.mean(axis=0)
    components = np.linalg.svd(train - mean, full_matrices=False)[2][:32]

    def anomaly_scores(images):
        flat = np.asarray(images, dtype="float64").reshape(len(images), -1) - mean
        rebuilt = flat @ components.T @ components
        return np.mean((flat - rebuilt) ** 2, axis=1)

    threshold = float(np.quantile(anomaly_scores(splits.x_val[:2000]), 0.99))
    _DETECTOR.update(x_test=splits.x_test, anomaly_scores=anomaly_scores, alarm_threshold=threshold)
    return dict(_DETECTOR)


def _ink_block(image):
    changed = image.copy()
    changed[2:12, 2:12] = 1.0  # a 10 x 10 square of ink in a corner
    return changed


EXERCISES = {
    "ex-at-work-deeper-code": {
        "minutes": 10,
        "skill": (
            "chain the 'same' rule through a deeper encoder and the transposed rule through its mirror, and "
            "see that the decoder does not undo the encoder's rounding (graded in two parts)"
        ),
        "context": None,
        "checks": {
            "ex-at-work-deeper-code-check-code": {
                "wrong": [
                    ({"deeper_code_side": 3}, "rounds"),
                    ({"deeper_code_side": 7}, "two halvings"),
                    ({"deeper_code_side": 5}, None),
                    ({"deeper_code_side": "4"}, "whole number"),
                    ({"deeper_code_side": 4.0}, "whole number"),
                ],
                "right": [{"deeper_code_side": np.int64(4)}],
            },
            "ex-at-work-deeper-code-check-output": {
                "wrong": [
                    ({"deeper_output_side": 28}, "does not undo"),
                    ({"deeper_output_side": 24}, "code side of 3"),
                    ({"deeper_output_side": 16}, None),
                    ({"deeper_output_side": 32.0}, "whole number"),
                ],
                "right": [{"deeper_output_side": 32}],
            },
        },
    },
    "ex-at-work-strict-threshold": {
        "minutes": 10,
        "skill": (
            "set an anomaly threshold for a stated false-alarm rate from normal validation scores only, and "
            "measure its recall on test defects (graded in two parts)"
        ),
        "context": scores_context,
        "checks": {
            "ex-at-work-strict-threshold-check-threshold": {
                "wrong": [
                    (
                        {"strict_threshold": float(np.quantile(scores_context(None)["validation_scores"], 0.005))},
                        "other end",
                    ),
                    (
                        {"strict_threshold": float(np.quantile(scores_context(None)["normal_test_scores"], 0.995))},
                        "validation images",
                    ),
                    ({"strict_threshold": float(np.quantile(scores_context(None)["validation_scores"], 0.95))}, "5 %"),
                    ({"strict_threshold": float(np.quantile(scores_context(None)["validation_scores"], 0.99))}, None),
                    ({"strict_threshold": "0.05"}, "a float"),
                ],
                "right": [
                    {"strict_threshold": np.quantile(scores_context(None)["validation_scores"], 0.995)},
                    {"strict_threshold": float(np.percentile(scores_context(None)["validation_scores"], 99.5))},
                    # any threshold with exactly 0.5 % of the validation scores above it is right
                    {
                        "strict_threshold": float(
                            np.percentile(scores_context(None)["validation_scores"], 99.5, method="lower")
                        )
                    },
                    {"strict_threshold": float(np.sort(scores_context(None)["validation_scores"])[-11])},
                ],
            },
            "ex-at-work-strict-threshold-check-recall": {
                "wrong": [
                    ({"strict_recall": 1.5}, "between 0 and 1"),
                    (
                        {
                            "strict_recall": float(
                                np.mean(
                                    scores_context(None)["defect_test_scores"]
                                    > np.quantile(scores_context(None)["validation_scores"], 0.99)
                                )
                            )
                        },
                        None,
                    ),
                    ({"strict_recall": 0.0}, None),
                    ({"strict_recall": "0.5"}, "a float"),
                ],
                "right": [
                    # the recall of the student's own threshold, when that threshold is right
                    {
                        "strict_threshold": float(
                            np.percentile(scores_context(None)["validation_scores"], 99.5, method="lower")
                        ),
                        "strict_recall": float(
                            np.mean(
                                scores_context(None)["defect_test_scores"]
                                > np.percentile(scores_context(None)["validation_scores"], 99.5, method="lower")
                            )
                        ),
                    },
                ],
            },
        },
    },
    "ex-at-work-sneaky-defect": {
        "minutes": 20,
        "skill": (
            "design a change to a digit that reconstruction error does not flag, and explain it by what the "
            "training images show the model"
        ),
        "context": detector_context,
        "checks": {
            "ex-at-work-sneaky-defect-check": {
                "wrong": [
                    ({"sneaky_defect": lambda image: image}, "too small"),
                    ({"sneaky_defect": lambda image: image[..., 0]}, "shape"),
                    ({"sneaky_defect": lambda image: image + 1.0}, "[0, 1]"),
                    ({"sneaky_defect": 3}, "function"),
                    ({"sneaky_defect": _ink_block}, None),
                ],
                "right": [],
            },
        },
    },
}
