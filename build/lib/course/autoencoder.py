"""Chapter 3's training: the recipes, the input pipeline and the training function.

Chapter 3 trains its autoencoder with these functions, and `make evidence` trains the same models with the same
functions over several seeds (course.experiments), so that what the chapter shows is one draw of what the evidence
measured. The chapter shows their source (course.show_source); their lines stay within 80 characters for that.
"""

from __future__ import annotations

import numpy as np

__all__ = ["RECIPES", "make_optimizer", "image_pipeline", "fresh_autoencoder", "train_autoencoder", "predict"]

# The training recipes that `make evidence` compares: Adam with four learning-rate rules, on one budget.
RECIPES = {
    "constant 1e-3": "Adam at a constant 1e-3, Keras' default",
    "constant 1e-2": "Adam at a constant 1e-2",
    "cosine": "Adam, from 1e-2 down to 0 along a cosine",
    "warm-up + cosine": "Adam, from 1e-3 up to 1e-2 over the first tenth of the steps, then down to 0 along a cosine",
}


# fmt: off
def make_optimizer(recipe, total_steps):
    """Return Adam with the learning-rate rule ``recipe`` (RECIPES)."""
    import keras

    if recipe not in RECIPES:
        raise ValueError(
            f"unknown recipe {recipe!r}: choose one of "
            f"{', '.join(map(repr, RECIPES))}"
        )
    if recipe.startswith("constant"):
        return keras.optimizers.Adam(learning_rate=float(recipe.split()[1]))
    warmup_steps = total_steps // 10 if recipe == "warm-up + cosine" else 0
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=1e-3 if warmup_steps else 1e-2,
        warmup_target=1e-2 if warmup_steps else None,
        warmup_steps=warmup_steps,
        decay_steps=total_steps - warmup_steps,
    )
    return keras.optimizers.Adam(learning_rate=schedule)
# fmt: on


def image_pipeline(images, batch_size, shuffle=False, seed=0):
    """Return a tf.data pipeline of (input, target) batches: target = input."""
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices(images)
    if shuffle:  # a new order every epoch, the same orders every run
        dataset = dataset.shuffle(len(images), seed=seed)
    dataset = dataset.batch(batch_size)
    dataset = dataset.map(lambda batch: (batch, batch))
    return dataset.prefetch(tf.data.AUTOTUNE)


def fresh_autoencoder(latent_dim=2, seed=0):
    """Return a new (encoder, decoder, autoencoder) of chapter 3, with initial weights drawn from ``seed``."""
    import keras

    from .models import conv_decoder, conv_encoder

    keras.utils.set_random_seed(seed)
    encoder, decoder = conv_encoder(latent_dim), conv_decoder(latent_dim)
    images = keras.Input(shape=(28, 28, 1))
    autoencoder = keras.Model(images, decoder(encoder(images)), name="autoencoder")
    return encoder, decoder, autoencoder


def train_autoencoder(
    model,
    images,
    val_images,
    recipe,
    epochs,
    batch_size=128,
    seed=0,
    loss="mse",
    log=True,
):
    """Train ``model`` to reconstruct ``images``; return the history."""
    import keras

    from .models import EpochLog

    keras.utils.set_random_seed(seed)  # the same image order for every model
    total_steps = epochs * int(np.ceil(len(images) / batch_size))
    model.compile(
        optimizer=make_optimizer(recipe, total_steps),
        loss=loss,  # what is minimised
        metrics=[keras.metrics.MeanSquaredError(name="mse")],  # reported
    )
    return model.fit(
        image_pipeline(images, batch_size, shuffle=True, seed=seed),
        validation_data=image_pipeline(val_images, 1000),
        epochs=epochs,
        validation_freq=1 if log else epochs,  # without a log: at the end
        shuffle=False,  # the pipeline shuffles
        verbose=0,  # no progress bars: EpochLog prints one line per epoch
        callbacks=[EpochLog(["mse", "val_mse"])] if log else [],
    )


def predict(model, inputs, batch_size=1000) -> np.ndarray:
    """Return a model's outputs for ``inputs``, ``batch_size`` at a time, as one NumPy array.

    A direct call per batch (``model(batch, training=False)``): the same numbers as ``model.predict``, without
    the function that Keras compiles for each new model.
    """
    return np.concatenate(
        [
            np.asarray(model(inputs[start : start + batch_size], training=False))
            for start in range(0, len(inputs), batch_size)
        ]
    )
