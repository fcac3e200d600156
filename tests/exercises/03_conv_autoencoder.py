"""Right and wrong answers for the exercises of chapter 3 (The convolutional autoencoder)."""

import numpy as np

# Exercise 3.2: the encoder's output shapes for a 38 x 38 input, and those of typical mistakes.
SHAPES_38 = [(None, 19, 19, 32), (None, 10, 10, 64), (None, 4, 4, 2)]
SHAPES_28 = [(None, 14, 14, 32), (None, 7, 7, 64), (None, 1, 1, 2)]
ROUNDED_DOWN = [(None, 19, 19, 32), (None, 9, 9, 64), (None, 3, 3, 2)]
ALL_VALID = [(None, 18, 18, 32), (None, 8, 8, 64), (None, 2, 2, 2)]
INPUT_CHANNELS = [(None, 19, 19, 1), (None, 10, 10, 32), (None, 4, 4, 64)]

ENCODER_LAYERS = [(32, 3, 2, "same"), (64, 3, 2, "same"), (2, 7, 1, "valid")]


def sizes_context(namespace):
    """What the shape exercises' solutions use from the chapter's earlier cells."""
    return {"LATENT_DIM": 2, "encoder_layers": list(ENCODER_LAYERS)}


def trained_model_context(namespace):
    """Stand-ins for the trained model and the validation data: the chapter's architecture, untrained, whose
    decoder draws 0.5 everywhere (its last layer zeroed), and 300 synthetic images in which digit d is a
    constant 0.5 + 0.035 d, so that the error grows with the digit and 9 is the hardest."""
    import course

    keras = namespace["keras"]
    keras.utils.set_random_seed(0)
    encoder, decoder = course.conv_encoder(2), course.conv_decoder(2)  # chapter 3's layers (tests/test_course.py)
    last = decoder.layers[-1]
    last.set_weights([np.zeros_like(w) for w in last.get_weights()])
    images = keras.Input(shape=(28, 28, 1))
    autoencoder = keras.Model(images, decoder(encoder(images)), name="autoencoder")

    y_val = np.arange(300) % 10
    rng = np.random.default_rng(0)
    x_val = (0.5 + 0.035 * y_val[:, None, None, None] + 0.01 * rng.standard_normal((300, 28, 28, 1))).astype("float32")
    x_val[y_val == 7, 10:18, 10:18] = 0.0  # something for the encoder to see in the 7s

    def decode(codes):
        codes = np.asarray(codes, dtype="float32").reshape(-1, 1, 1, 2)
        return decoder.predict(codes, verbose=0)

    val_codes = encoder.predict(x_val, verbose=0).reshape(len(x_val), 2)
    return {
        "encoder": encoder,
        "decoder": decoder,
        "autoencoder": autoencoder,
        "x_val": x_val,
        "y_val": y_val,
        "decode": decode,
        "val_codes": val_codes,
        "LATENT_DIM": 2,
    }


EXERCISES = {
    "ex-autoencoder-compression": {
        "minutes": 5,
        "skill": (
            "tell values from bytes: the storage types of an MNIST image (`uint8`) and of a Keras code (`float32`)"
        ),
        "context": sizes_context,
        "checks": {
            "ex-autoencoder-compression-check": {
                "wrong": [
                    ({"compression_in_bytes": 392}, "counts values, not bytes"),
                    ({"compression_in_bytes": 392.0}, "counts values, not bytes"),
                    ({"compression_in_bytes": 1568}, "denominator"),
                    ({"compression_in_bytes": 8 / 784}, "other way round"),
                    ({"compression_in_bytes": 784 / 64}, "bits"),
                    ({"compression_in_bytes": 96.0}, None),
                    ({"compression_in_bytes": "98"}, "expected a number"),
                ],
                "right": [
                    {"compression_in_bytes": 98},
                    {"compression_in_bytes": np.float32(98.0)},
                ],
            },
        },
    },
    "ex-autoencoder-shapes-38": {
        "minutes": 10,
        "skill": "chain the output-size rules through the encoder for a 38 × 38 input, rounding `same` sizes up",
        "context": sizes_context,
        "checks": {
            "ex-autoencoder-shapes-38-check": {
                "wrong": [
                    ({"shapes_for_38": SHAPES_28}, "28 x 28"),
                    ({"shapes_for_38": ROUNDED_DOWN}, "rounded up"),
                    ({"shapes_for_38": ALL_VALID}, "'same', not 'valid'"),
                    ({"shapes_for_38": INPUT_CHANNELS}, "one channel per filter"),
                    ({"shapes_for_38": SHAPES_38[:2]}, "three in all"),
                    ({"shapes_for_38": [(1, 19, 19, 32), (1, 10, 10, 64), (1, 4, 4, 2)]}, "batch size"),
                    ({"shapes_for_38": [(19, 19, 32), (10, 10, 64), (4, 4, 2)]}, "4 entries"),
                    ({"shapes_for_38": "(None, 19, 19, 32)"}, "a list of three shapes"),
                    ({"shapes_for_38": [(None, 19, 19, 32), (None, 10, 10, 64), (None, 4, 4, 1)]}, None),
                    ({"shapes_for_38": list(reversed(SHAPES_38))}, None),
                ],
                "right": [
                    {"shapes_for_38": [list(shape) for shape in SHAPES_38]},
                    {"shapes_for_38": tuple((None, np.int64(s), np.int64(s), c) for _, s, _, c in SHAPES_38)},
                ],
            },
        },
    },
    "ex-autoencoder-typical-seven": {
        "minutes": 15,
        "skill": (
            "use the encoder and decoder separately: average the codes of one class and decode the result, "
            "minding batch and channel axes (graded in two parts)"
        ),
        "context": trained_model_context,
        "checks": {
            "ex-autoencoder-typical-seven-check-centre": {
                "wrong": [
                    ({"centre_of_sevens": np.zeros((1, 2))}, "average over the images"),
                    ({"centre_of_sevens": np.zeros((30, 2))}, "average over the images"),
                    ({"centre_of_sevens": np.zeros(2)}, None),
                    ({"centre_of_sevens": np.full(2, 0.5)}, None),
                ],
                "right": [],
            },
            "ex-autoencoder-typical-seven-check-image": {
                "wrong": [
                    ({"typical_seven": np.full((1, 28, 28, 1), 0.5)}, "batch axis"),
                    ({"typical_seven": np.full((28, 28, 1), 0.5)}, "channel axis"),
                    ({"typical_seven": np.full(784, 0.5)}, "shape (28, 28)"),
                    ({"typical_seven": np.full((28, 28), 127.0)}, "sigmoid"),
                    ({"typical_seven": np.zeros((28, 28))}, None),
                ],
                "right": [{"typical_seven": np.full((28, 28), 0.5, dtype="float32").tolist()}],
            },
        },
    },
    "ex-autoencoder-error-by-digit": {
        "minutes": 15,
        "skill": (
            "measure a model per class: the validation MSE of each digit's reconstructions and the digit with"
            " the largest (graded in two parts)"
        ),
        "context": trained_model_context,
        "checks": {
            "ex-autoencoder-error-by-digit-check-mse": {
                "wrong": [
                    ({"mse_by_digit": np.full((10, 1), 0.01)}, "shape (10,)"),
                    ({"mse_by_digit": np.full(9, 0.01)}, "shape (10,)"),
                    ({"mse_by_digit": np.full(10, 0.02)}, "all ten entries are equal"),
                    ({"mse_by_digit": np.linspace(1.0, 30.0, 10)}, "sum instead of averaging"),
                    ({"mse_by_digit": np.linspace(0.0, 0.3, 10)}, "square root"),
                    ({"mse_by_digit": -np.linspace(0.0, 0.1, 10)}, "not negative"),
                    ({"mse_by_digit": np.linspace(0.0, 0.1, 10)}, None),
                ],
                "right": [],
            },
            "ex-autoencoder-error-by-digit-check-hardest": {
                "wrong": [
                    ({"hardest_digit": 9.0}, "an int"),
                    ({"hardest_digit": 10}, "between 0 and 9"),
                    ({"hardest_digit": 0}, None),
                    ({"hardest_digit": 8}, None),
                ],
                "right": [{"hardest_digit": np.int64(9)}],
            },
        },
    },
}
