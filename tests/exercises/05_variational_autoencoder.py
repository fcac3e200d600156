"""Right and wrong answers for the exercises of chapter 5 (The variational autoencoder)."""

import numpy as np

_MEAN = np.array([1.0, -0.5])
_LOG_VAR = np.array([0.0, np.log(0.25)])
_TERMS = 0.5 * (_MEAN**2 + np.exp(_LOG_VAR) - 1.0 - _LOG_VAR)  # per coordinate
_KL = float(_TERMS.sum())

EXERCISES = {
    "ex-vae-kl-by-hand": {
        "minutes": 5,
        "skill": (
            "apply the closed-form KL divergence between two diagonal Gaussians, with the encoder's log-"
            "variance turned into a variance"
        ),
        "context": None,
        "checks": {
            "ex-vae-kl-by-hand-check": {
                "wrong": [
                    ({"kl_by_hand": 2 * _KL}, "factor 1/2"),
                    (
                        {"kl_by_hand": float(0.5 * np.sum(_MEAN**2 + np.exp(_LOG_VAR / 2) - 1.0 - _LOG_VAR))},
                        "you used sigma",
                    ),
                    ({"kl_by_hand": float(0.5 * np.sum(_MEAN**2 + np.exp(_LOG_VAR) - _LOG_VAR))}, "-1"),
                    ({"kl_by_hand": float(_TERMS.mean())}, "not their mean"),
                    ({"kl_by_hand": float(_TERMS[0])}, "second one"),
                    ({"kl_by_hand": float(_TERMS[1])}, "first one"),
                    (
                        {"kl_by_hand": float(0.5 * np.sum(_MEAN**2 + np.exp(_LOG_VAR) - 1.0 + _LOG_VAR))},
                        "never negative",
                    ),
                    ({"kl_by_hand": "0.94"}, "a number"),
                    ({"kl_by_hand": round(_KL, 3)}, None),
                ],
                "right": [{"kl_by_hand": np.float64(_KL)}, {"kl_by_hand": np.float32(_KL)}],
            },
        },
    },
    "ex-vae-log-std": {
        "minutes": 10,
        "skill": (
            "write the reparameterisation trick for an encoder with another output convention, and tell a "
            "standard deviation from a variance"
        ),
        "context": None,
        "checks": {
            "ex-vae-log-std-check": {
                "wrong": [
                    ({"reparameterise_log_std": lambda m, s, e: m + np.exp(0.5 * s) * e}, "log-variance"),
                    ({"reparameterise_log_std": lambda m, s, e: m + s * e}, "logarithm"),
                    ({"reparameterise_log_std": lambda m, s, e: m + np.exp(2 * s) * e}, "not by the variance"),
                    ({"reparameterise_log_std": lambda m, s, e: np.exp(s) * e}, "centred on z_mean"),
                    ({"reparameterise_log_std": lambda m, s, e: float(np.sum(m + np.exp(s) * e))}, "same shape"),
                    ({"reparameterise_log_std": 3}, "function"),
                    ({"reparameterise_log_std": lambda m, s, e: m + np.exp(s)}, None),
                ],
                "right": [
                    {"reparameterise_log_std": lambda m, s, e: np.sqrt(np.exp(2 * s)) * e + m},
                    {"reparameterise_log_std": lambda m, s, e: (np.asarray(m) + np.exp(s) * e).tolist()},
                ],
            },
        },
    },
    "ex-vae-beta-zero": {
        "minutes": 5,
        "skill": (
            "reason about the two terms of the VAE loss: which one still acts when the KL weight vanishes, "
            "and what that does to sampling"
        ),
        "context": None,
        "checks": {
            "ex-vae-beta-zero-check": {
                "wrong": [
                    ({"beta_zero_choice": "a"}, None),
                    ({"beta_zero_choice": "c"}, None),
                    ({"beta_zero_choice": "d"}, None),
                    ({"beta_zero_choice": "e"}, "one of"),
                    ({"beta_zero_choice": 2}, "a letter"),
                ],
                "right": [{"beta_zero_choice": "B"}, {"beta_zero_choice": " b "}],
            },
        },
    },
}
