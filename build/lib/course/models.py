"""Chapter 3's encoder and decoder, for the chapters after it, and a one-line-per-epoch training log."""

from __future__ import annotations

__all__ = ["conv_encoder", "conv_decoder", "EpochLog"]  # noqa: F822 - EpochLog: made on first use (below)


def conv_encoder(code_filters: int = 2):
    """Return chapter 3's convolutional encoder: a 28 x 28 x 1 image to a 1 x 1 x ``code_filters`` map.

    Two strided 3 x 3 convolutions (32 and 64 filters, ReLU) halve the image twice; a 7 x 7 'valid'
    convolution without activation covers the 7 x 7 map in one position. A plain autoencoder's code has
    ``code_filters`` numbers; a VAE's encoder has twice the code's size (means and log-variances).
    """
    import keras
    from keras.layers import Conv2D

    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            Conv2D(32, 3, strides=2, padding="same", activation="relu", name="conv_1"),
            Conv2D(64, 3, strides=2, padding="same", activation="relu", name="conv_2"),
            Conv2D(code_filters, 7, padding="valid", name="conv_3"),
        ],
        name="encoder",
    )


def conv_decoder(latent_dim: int = 2, position_bias: bool = False):
    """Return chapter 3's convolutional decoder: a 1 x 1 x ``latent_dim`` code to a 28 x 28 x 1 image in (0, 1).

    The first layer makes a 7 x 7 x 64 map (ReLU), two strided 3 x 3 transposed convolutions (32 filters,
    then 1 with a sigmoid) double it twice. In chapter 3 the first layer is a 7 x 7 'valid' transposed
    convolution, which on a 1 x 1 input has one bias per channel, shared by the 49 positions. With
    ``position_bias=True`` it is a dense layer on the code, reshaped to 7 x 7 x 64: the same weights plus
    one bias per position and channel, so that the code 0 can decode to an image with a shape.
    """
    import keras
    from keras.layers import Conv2DTranspose, Dense, Flatten, Reshape

    if position_bias:
        first = [
            Flatten(name="flatten"),
            Dense(7 * 7 * 64, activation="relu", name="dense_1"),
            Reshape((7, 7, 64), name="reshape"),
        ]
    else:
        first = [Conv2DTranspose(64, 7, padding="valid", activation="relu", name="conv_transpose_1")]
    return keras.Sequential(
        [
            keras.Input(shape=(1, 1, latent_dim)),
            *first,
            Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu", name="conv_transpose_2"),
            Conv2DTranspose(1, 3, strides=2, padding="same", activation="sigmoid", name="conv_transpose_3"),
        ],
        name="decoder",
    )


def _epoch_log_class():
    import keras

    class EpochLog(keras.callbacks.Callback):
        """Print one line per epoch with the chosen metrics (train with ``verbose=0``: no progress bars)."""

        def __init__(self, metrics=None, every: int = 1, digits: int = 4):
            super().__init__()
            self.metrics = metrics
            self.every = every
            self.digits = digits

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            epochs = self.params.get("epochs", "?")
            if (epoch + 1) % self.every and epoch + 1 != epochs:
                return
            names = self.metrics or sorted(logs)
            parts = [f"{name} {float(logs[name]):.{self.digits}f}" for name in names if name in logs]
            print(f"epoch {epoch + 1}/{epochs}: " + ", ".join(parts), flush=True)

    return EpochLog


def __getattr__(name):
    # EpochLog subclasses a Keras class: it is made on first use, so that importing the package needs no
    # TensorFlow (the loader and the figures work without it).
    if name == "EpochLog":
        cls = _epoch_log_class()
        globals()["EpochLog"] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
