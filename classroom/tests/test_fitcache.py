"""The trained-weights cache of grading (classroom/fitcache.py): a hit gives exactly what training gave, anything
that changes what training would give is a miss, and an entry gives nothing to whoever lacks its inputs."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from classroom import fitcache
from coursetools.settings import KERNEL_CONFIG

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

pytestmark = pytest.mark.slow  # about a minute of small trainings: make test, not make test-fast


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A cache folder and its log; Keras' fit patched for the test only. ``cache.mode(...)`` switches."""
    original = keras.Model.fit
    fitcache.patch(keras)
    monkeypatch.setenv(fitcache.DIR_VARIABLE, str(tmp_path / "weights"))
    monkeypatch.setenv(fitcache.LOG_VARIABLE, str(tmp_path / "log.jsonl"))

    class Cache:
        folder = tmp_path / "weights"

        @staticmethod
        def mode(mode):
            monkeypatch.setenv(fitcache.MODE_VARIABLE, mode)

        @staticmethod
        def events():
            path = tmp_path / "log.jsonl"
            lines = path.read_text().splitlines() if path.exists() else []
            path.unlink(missing_ok=True)
            return [json.loads(line)["event"] for line in lines]

    yield Cache
    keras.Model.fit = original


def seed_all(seed=0):
    keras.utils.set_random_seed(seed)


def data(rows=64, pixel=None):
    generator = np.random.default_rng(1)
    inputs = generator.normal(size=(rows, 6)).astype("float32")
    if pixel is not None:
        inputs[0, 0] += pixel
    targets = inputs @ generator.normal(size=(6, 1)).astype("float32")
    return inputs, targets


def dense_model(units=4, learning_rate=0.01):
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(units, activation="relu"), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
    return model


def run(build=dense_model, fit_kwargs=None, seed=0, inputs=None, **build_kwargs):
    """Seed, build, fit; then what the program sees after fit: weights, history, and the next random draws."""
    seed_all(seed)
    model = build(**build_kwargs)
    x, y = data() if inputs is None else inputs
    history = model.fit(x, y, **({"epochs": 2, "batch_size": 16, "verbose": 0} | (fit_kwargs or {})))
    after = {
        "numpy": np.random.normal(size=3).tolist(),
        "python": random.random(),
        "tf": tf.random.normal((3,)).numpy().tolist(),
        "keras": fitcache._numpy(keras.random.normal((3,))).tolist(),
    }
    return model, history, after


def same_run(first, second):
    (model_a, history_a, after_a), (model_b, history_b, after_b) = first, second
    assert len(model_a.variables) == len(model_b.variables)
    for a, b in zip(model_a.variables, model_b.variables):
        np.testing.assert_array_equal(fitcache._numpy(a), fitcache._numpy(b))
    for a, b in zip(model_a.optimizer.variables, model_b.optimizer.variables):
        np.testing.assert_array_equal(fitcache._numpy(a), fitcache._numpy(b))
    assert history_a.history == history_b.history
    assert history_a.epoch == history_b.epoch
    assert after_a == after_b


def test_a_hit_leaves_the_program_where_training_left_it(cache, capsys):
    cache.mode("write")
    written = run(fit_kwargs={"verbose": 2})
    printed = capsys.readouterr().out
    assert cache.events() == ["stored"]
    assert "Epoch 2/2" in printed

    cache.mode("read")
    read = run(fit_kwargs={"verbose": 2})
    assert cache.events() == ["hit"]
    assert capsys.readouterr().out == printed  # the lines fit printed, replayed
    same_run(written, read)
    assert read[1].model is read[0] and read[0].history is read[1]


def test_a_hit_gives_what_training_gives_without_the_cache(cache, monkeypatch):
    monkeypatch.delenv(fitcache.MODE_VARIABLE, raising=False)
    untouched = run()  # the cache is off without a mode
    assert cache.events() == []
    cache.mode("write")
    run()
    cache.mode("read")
    read = run()
    assert cache.events() == ["stored", "hit"]
    same_run(untouched, read)


@pytest.mark.parametrize(
    "change",
    [
        {"learning_rate": 0.02},
        {"units": 5},
        {"seed": 1},
        {"inputs": data(pixel=1e-3)},
        {"fit_kwargs": {"epochs": 3}},
        {"fit_kwargs": {"batch_size": 8}},
        {"fit_kwargs": {"shuffle": False}},
    ],
    ids=["learning rate", "units", "seed", "one input value", "epochs", "batch size", "shuffle"],
)
def test_any_change_to_the_inputs_of_fit_misses_and_trains(cache, change):
    cache.mode("write")
    run()
    cache.events()
    cache.mode("read")
    changed = run(**change)
    assert cache.events() == ["miss"]
    cache.mode("")
    untouched = run(**change)
    same_run(untouched, changed)  # a miss trains as if there were no cache


def test_the_same_model_built_after_other_layers_hits(cache):
    """Layer names count the layers made before (dense_3 instead of dense_1): they do not change the model."""
    cache.mode("write")
    run()
    keras.layers.Dense(3)  # one more layer made: the next model's layers get other names
    cache.mode("read")
    run()
    assert cache.events() == ["stored", "hit"]


class Scaled(keras.layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor
        self.beta = 1.0

    def call(self, inputs):
        return inputs * self.factor * self.beta


def scaled_model(beta=1.0, factor=2.0):
    layer = Scaled(factor)
    layer.beta = beta  # an attribute that is not in the layer's configuration
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4), layer, keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model


def test_a_user_class_counts_by_its_code_and_its_attributes(cache, monkeypatch):
    cache.mode("write")
    run(scaled_model)
    cache.mode("read")
    run(scaled_model)
    run(scaled_model, beta=0.5)
    assert cache.events() == ["stored", "hit", "miss"]

    def call(self, inputs):  # the same class with other code in one method
        return inputs * self.factor * self.beta + 1.0

    monkeypatch.setattr(Scaled, "call", call)
    run(scaled_model)
    assert cache.events() == ["miss"]


class Noisy(keras.Model):
    """A subclassed model with its own train_step and a seed generator (as the VAE of chapter 5)."""

    def __init__(self, noise=0.1, **kwargs):
        super().__init__(**kwargs)
        self.noise = noise
        self.hidden = keras.layers.Dense(4, activation="relu")
        self.out = keras.layers.Dense(1)
        self.seed_generator = keras.random.SeedGenerator(3)

    def call(self, inputs):
        return self.out(self.hidden(inputs))

    def train_step(self, batch):
        inputs, targets = batch
        inputs = inputs + self.noise * keras.random.normal(keras.ops.shape(inputs), seed=self.seed_generator)
        with tf.GradientTape() as tape:
            loss = keras.ops.mean((self(inputs) - targets) ** 2)
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))
        return {"loss": loss}


def noisy_model(noise=0.1):
    model = Noisy(noise)
    model(np.zeros((1, 6), "float32"))  # builds the layers
    model.compile(optimizer="adam")
    return model


def test_a_subclassed_model_with_its_own_train_step(cache):
    cache.mode("write")
    written = run(noisy_model)
    cache.mode("read")
    read = run(noisy_model)
    assert cache.events() == ["stored", "hit"]
    same_run(written, read)
    np.testing.assert_array_equal(  # the seed generator's state moved on as in training
        fitcache._numpy(written[0].seed_generator.state), fitcache._numpy(read[0].seed_generator.state)
    )
    run(noisy_model, noise=0.2)
    assert cache.events() == ["miss"]


def pipeline(scale=1.0):
    inputs, targets = data()
    return (
        tf.data.Dataset.from_tensor_slices((inputs, targets))
        .shuffle(64, seed=5)
        .batch(16)
        .map(lambda x, y: (x * scale, y))
    )


def test_a_tf_data_pipeline_counts_by_its_stages(cache):
    def fit_pipeline(**kwargs):
        seed_all(0)
        model = dense_model()
        model.fit(pipeline(**kwargs), epochs=2, shuffle=False, verbose=0)
        return model

    cache.mode("write")
    written = fit_pipeline()
    cache.mode("read")
    read = fit_pipeline()
    assert cache.events() == ["stored", "hit"]
    for a, b in zip(written.variables, read.variables):
        np.testing.assert_array_equal(fitcache._numpy(a), fitcache._numpy(b))
    fit_pipeline(scale=0.5)  # the mapped function's closure changed
    assert cache.events() == ["miss"]


def test_an_unknown_callback_is_not_cached(cache):
    class Stop(keras.callbacks.Callback):
        pass

    cache.mode("write")
    run(fit_kwargs={"callbacks": [Stop()]})
    assert cache.events() == ["not cacheable"]
    assert not cache.folder.exists() or not any(cache.folder.iterdir())


def test_an_entry_gives_nothing_without_its_inputs(cache):
    cache.mode("write")
    model, _, _ = run()
    (entry,) = cache.folder.iterdir()
    content = entry.read_bytes()
    for variable in model.variables:  # no trained weight is stored in the clear
        assert fitcache._numpy(variable).tobytes()[:16] not in content
    assert b"loss" not in content and b"PK" not in content[:64]

    entry.write_bytes(content[:100] + bytes([content[100] ^ 1]) + content[101:])  # one bit altered
    cache.mode("read")
    run()
    assert cache.events() == ["stored", "miss"]


def test_the_kernel_configuration_installs_the_cache_before_keras_is_imported(tmp_path):
    """A grading kernel loads the module from its configuration, long before the notebook imports Keras
    (which TensorFlow's import does, after asking for Keras' spec without importing it)."""
    import subprocess
    import sys

    config = KERNEL_CONFIG
    program = (
        "import sys\n"
        "from traitlets.config import get_config\n"
        "exec(open(sys.argv[1]).read(), {'get_config': get_config})\n"
        "assert 'keras' not in sys.modules\n"
        "import tensorflow as tf\n"
        "print(getattr(tf.keras.Model.fit, 'course_fit_cache', False))\n"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        fitcache.DIR_VARIABLE: str(tmp_path),
        fitcache.MODE_VARIABLE: "read",
        fitcache.MODULE_VARIABLE: fitcache.__file__,
    }
    for with_cache in (True, False):
        result = subprocess.run(
            [sys.executable, "-c", program, str(config)],
            capture_output=True,
            text=True,
            timeout=300,
            env=env if with_cache else {"PATH": env["PATH"]},
        )
        assert result.returncode == 0, result.stderr[-2000:]
        assert result.stdout.strip() == str(with_cache)
