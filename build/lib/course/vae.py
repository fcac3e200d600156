"""Chapter 5's models and measures: the plain autoencoder and the VAE
trained alike, their samplers, the digit score.

``import course.vae`` (it imports Keras, unlike the rest of the package).
Chapter 5 calls these functions and shows their source (course.show_source);
`make evidence` calls them over several seeds (course.experiments). Lines
stay under 80 characters.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from .autoencoder import make_optimizer, predict
from .models import EpochLog, conv_decoder, conv_encoder

__all__ = [
    "RECIPE",
    "LATENT_DIM",
    "summed_bce",
    "image_batches",
    "train_plain",
    "VariationalAutoencoder",
    "build_vae",
    "train_vae",
    "codes_of",
    "decode",
    "fitted_codes",
    "coverage",
    "aggregate_moments",
    "train_judge",
    "class_probabilities",
    "score_of",
    "digit_score",
    "share_right",
]

RECIPE = "warm-up + cosine"  # chapter 3's learning-rate rule (course.RECIPES)
LATENT_DIM = 2


def summed_bce(images, reconstructions):
    """Return the binary cross-entropy summed over each image's pixels."""
    per_pixel = ops.binary_crossentropy(images, reconstructions)
    return ops.sum(per_pixel, axis=(1, 2, 3))


def image_batches(images, batch_size, shuffle=False, seed=0):
    """Return batches of images; a new order every epoch, the same every run."""
    dataset = tf.data.Dataset.from_tensor_slices(images)
    if shuffle:
        dataset = dataset.shuffle(len(images), seed=seed)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def train_plain(images, val_images, seed, epochs=5, batch_size=64, log=True):
    """Train a plain autoencoder with the summed binary cross-entropy.

    Returns its encoder, its decoder and the training history.
    """
    keras.utils.set_random_seed(seed)
    encoder = conv_encoder(LATENT_DIM)
    decoder = conv_decoder(LATENT_DIM, position_bias=True)
    inputs = keras.Input(shape=(28, 28, 1))
    model = keras.Model(inputs, decoder(encoder(inputs)), name="autoencoder")
    steps = epochs * int(np.ceil(len(images) / batch_size))
    model.compile(optimizer=make_optimizer(RECIPE, steps), loss=summed_bce)
    pairs = image_batches(images, batch_size, shuffle=True, seed=seed)
    validation = image_batches(val_images, 1000) if log else None
    history = model.fit(
        pairs.map(lambda batch: (batch, batch)),  # the target is the input
        validation_data=validation.map(lambda b: (b, b)) if log else None,
        epochs=epochs,
        shuffle=False,  # the pipeline shuffles
        verbose=0,
        callbacks=[EpochLog(["loss", "val_loss"], digits=1)] if log else [],
    )
    return encoder, decoder, history


class VariationalAutoencoder(keras.Model):
    """A VAE: the encoder outputs means and log-variances, the loss adds
    beta times the KL divergence to the summed binary cross-entropy."""

    def __init__(self, encoder, decoder, beta=1.0, seed=0, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.beta = beta
        self.seed = seed  # for the noise and for the order of the images
        self.noise = keras.random.SeedGenerator(seed)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        self.kl_tracker = keras.metrics.Mean(name="kl")

    @property
    def metrics(self):
        return [self.loss_tracker, self.reconstruction_tracker, self.kl_tracker]

    def encode(self, images):
        # (N, 1, 1, 2 * latent) -> means and log-variances, (N, 1, 1, latent)
        z_mean, z_log_var = ops.split(self.encoder(images), 2, axis=-1)
        return z_mean, z_log_var

    def call(self, images):
        z_mean, _ = self.encode(images)
        return self.decoder(z_mean)

    def loss_terms(self, images):
        z_mean, z_log_var = self.encode(images)
        epsilon = keras.random.normal(ops.shape(z_mean), seed=self.noise)
        z = z_mean + ops.exp(0.5 * z_log_var) * epsilon  # reparameterised
        reconstruction = ops.mean(summed_bce(images, self.decoder(z)))
        kl_per_image = 0.5 * ops.sum(
            ops.square(z_mean) + ops.exp(z_log_var) - 1.0 - z_log_var,
            axis=(1, 2, 3),
        )
        return reconstruction, ops.mean(kl_per_image)

    def record(self, reconstruction, kl):
        self.loss_tracker.update_state(reconstruction + self.beta * kl)
        self.reconstruction_tracker.update_state(reconstruction)
        self.kl_tracker.update_state(kl)
        return {metric.name: metric.result() for metric in self.metrics}

    def train_step(self, images):
        with tf.GradientTape() as tape:
            reconstruction, kl = self.loss_terms(images)
            loss = reconstruction + self.beta * kl
        gradients = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_weights))
        return self.record(reconstruction, kl)

    def test_step(self, images):
        return self.record(*self.loss_terms(images))


def build_vae(beta=1.0, seed=0, position_bias=True):
    """Return a new VAE with chapter 3's encoder (4 filters: 2 means, 2
    log-variances) and decoder; the same initial weights for every beta."""
    keras.utils.set_random_seed(seed)
    encoder = conv_encoder(2 * LATENT_DIM)
    decoder = conv_decoder(LATENT_DIM, position_bias=position_bias)
    return VariationalAutoencoder(encoder, decoder, beta=beta, seed=seed)


def train_vae(model, images, val_images, epochs=5, batch_size=64, log=True):
    """Train a VAE with the same recipe as the plain autoencoder."""
    steps = epochs * int(np.ceil(len(images) / batch_size))
    model.compile(optimizer=make_optimizer(RECIPE, steps))
    shown = ["reconstruction", "kl", "val_reconstruction", "val_kl"]
    return model.fit(
        image_batches(images, batch_size, shuffle=True, seed=model.seed),
        validation_data=image_batches(val_images, 1000) if log else None,
        epochs=epochs,
        shuffle=False,
        verbose=0,
        callbacks=[EpochLog(shown, digits=2)] if log else [],
    )


def codes_of(encoder, images):
    """Return the encoder's outputs for images (N, 28, 28, 1) as rows."""
    return predict(encoder, images).reshape(len(images), -1)


def decode(decoder, codes):
    """Return the decoder's images (N, 28, 28, 1) for codes (N, 2)."""
    codes = np.asarray(codes, dtype="float32").reshape(-1, 1, 1, LATENT_DIM)
    return predict(decoder, codes)


def fitted_codes(mean, cov, standard_draws):
    """Return draws from N(mean, cov), made from standard normal draws.

    With the Cholesky factor L of cov (L L^T = cov), m + L e has this
    distribution when e is drawn from N(0, I).
    """
    factor = np.linalg.cholesky(cov)
    return (mean + standard_draws @ factor.T).astype("float32")


def coverage(codes, draws, radius=0.2):
    """Return the share of the draws with one of the codes within radius."""
    from scipy.spatial import cKDTree

    distances, _ = cKDTree(codes).query(draws)
    return float(np.mean(distances < radius))


def aggregate_moments(means, log_vars):
    """Return the mean and covariance of the average of the normal
    distributions N(means[i], diag(exp(log_vars[i])))."""
    variances = np.exp(log_vars).mean(axis=0)
    return means.mean(axis=0), np.cov(means.T) + np.diag(variances)


def train_judge(images, labels, seed=42, epochs=2):
    """Return the digit score's judge: a small classifier of real digits."""
    from keras.layers import Conv2D, Dense, Flatten

    keras.utils.set_random_seed(seed)
    classifier = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            Conv2D(16, 3, strides=2, padding="same", activation="relu"),
            Conv2D(32, 3, strides=2, padding="same", activation="relu"),
            Flatten(),
            Dense(10),  # logits of the ten digits
        ],
        name="classifier",
    )
    classifier.compile(
        optimizer=keras.optimizers.Adam(3e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    classifier.fit(images, labels, batch_size=128, epochs=epochs, verbose=0)
    return classifier


def class_probabilities(classifier, images):
    """Return the judge's probabilities of the ten digits, a row per image."""
    logits = predict(classifier, np.asarray(images))
    return ops.convert_to_numpy(ops.softmax(logits)).astype("float64")


def score_of(probabilities):
    """Return exp(mean KL(p(y|x) || p(y))): 10 for confident, balanced
    classes; 1 when every image gets the same class or none is recognised."""
    average = probabilities.mean(axis=0)
    log_ratio = np.log(probabilities + 1e-12) - np.log(average + 1e-12)
    kl = np.sum(probabilities * log_ratio, axis=1)
    return float(np.exp(kl.mean()))


def digit_score(classifier, images):
    """Return the digit score of a set of images."""
    return score_of(class_probabilities(classifier, images))


def share_right(classifier, images, labels):
    """Return the share of images the judge assigns to their true digit."""
    guesses = np.argmax(class_probabilities(classifier, images), axis=1)
    return float(np.mean(guesses == labels))
