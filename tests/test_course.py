"""Unit tests of the course package: the MNIST loader (bad inputs included), the exercise checks and
the shared figure helpers."""

from __future__ import annotations

import os
import re
import sys
import types

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import course  # noqa: E402
from coursetools.settings import NOTEBOOKS  # noqa: E402

# --------------------------------------------------------------------------------------------------
# Loader
# --------------------------------------------------------------------------------------------------


def small_arrays():
    """Arrays with MNIST's layout but only a few images: cheap to write, never MNIST's contents."""
    rng = np.random.default_rng(0)
    return {
        "x_train": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
        "y_train": np.array([5, 0, 4], dtype=np.uint8),
        "x_test": rng.integers(0, 256, (2, 28, 28), dtype=np.uint8),
        "y_test": np.array([7, 2], dtype=np.uint8),
    }


def full_size_wrong_arrays():
    """Arrays with exactly MNIST's shapes and dtypes but other contents (all zeros)."""
    return {key: np.zeros(shape, dtype) for key, (shape, dtype) in course.MNIST_LAYOUT.items()}


def assert_helpful(message: str) -> None:
    """Every loader error names the variable to set and where to get the file."""
    assert course.MNIST_ENV_VAR in message
    assert course.MNIST_URL in message


def load_error(path=None) -> str:
    """The message of the MNISTDataError that loading ``path`` raises."""
    with pytest.raises(course.MNISTDataError) as info:
        course.load_mnist(path)
    return str(info.value)


def saved(tmp_path, arrays: dict, save=np.savez):
    """``arrays`` written as an .npz file (by ``save``); its path."""
    path = tmp_path / "mnist.npz"
    save(path, **arrays)
    return path


def test_missing_file_names_the_variable(tmp_path):
    message = load_error(tmp_path / "nowhere.npz")
    assert "not found" in message
    assert_helpful(message)


def test_file_that_is_not_npz(tmp_path):
    path = tmp_path / "mnist.npz"
    path.write_bytes(b"this is not a zip archive at all")
    message = load_error(path)
    assert "not a NumPy .npz archive" in message
    assert_helpful(message)


def test_single_npy_array_is_refused(tmp_path):
    path = tmp_path / "mnist.npz"
    with open(path, "wb") as handle:
        np.save(handle, np.zeros(3))
    assert "single array" in load_error(path)


def test_missing_keys(tmp_path):
    arrays = small_arrays()
    del arrays["y_test"]
    message = load_error(saved(tmp_path, arrays))
    assert "missing y_test" in message
    assert_helpful(message)


def test_wrong_shapes(tmp_path):
    message = load_error(saved(tmp_path, small_arrays()))
    assert "'x_train' has shape (3, 28, 28)" in message
    assert "(60000, 28, 28)" in message
    assert_helpful(message)


def test_wrong_dtype(tmp_path):
    arrays = full_size_wrong_arrays()
    arrays["x_test"] = arrays["x_test"].astype(np.float32)
    assert "dtype float32" in load_error(saved(tmp_path, arrays, np.savez_compressed))


def test_pickled_object_array_is_refused(tmp_path):
    arrays = small_arrays()
    arrays["x_train"] = np.array([{"not": "an image"}], dtype=object)
    assert "cannot be read safely" in load_error(saved(tmp_path, arrays))


def test_right_layout_wrong_contents_fails_the_hash(tmp_path):
    message = load_error(saved(tmp_path, full_size_wrong_arrays(), np.savez_compressed))
    assert "SHA-256" in message
    assert_helpful(message)


def test_environment_variable_is_used(tmp_path, monkeypatch):
    monkeypatch.setenv(course.MNIST_ENV_VAR, str(tmp_path / "from-env.npz"))
    assert "from-env.npz" in load_error()


def fake_tensorflow(load_data):
    """A stand-in for the `tensorflow` module whose keras.datasets.mnist.load_data is `load_data`."""
    mnist = types.SimpleNamespace(load_data=load_data)
    keras = types.SimpleNamespace(datasets=types.SimpleNamespace(mnist=mnist))
    return types.SimpleNamespace(keras=keras)


def test_without_a_file_keras_is_called(monkeypatch):
    monkeypatch.delenv(course.MNIST_ENV_VAR, raising=False)
    arrays = small_arrays()
    expected = ((arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"]))
    monkeypatch.setitem(sys.modules, "tensorflow", fake_tensorflow(lambda: expected))
    assert course.load_mnist() is expected


def test_empty_variable_means_no_file(monkeypatch):
    monkeypatch.setenv(course.MNIST_ENV_VAR, "")
    monkeypatch.setitem(sys.modules, "tensorflow", fake_tensorflow(lambda: "from keras"))
    assert course.load_mnist() == "from keras"


def test_offline_without_a_file(monkeypatch):
    monkeypatch.delenv(course.MNIST_ENV_VAR, raising=False)

    def offline():
        raise Exception("URL fetch failure on https://storage.googleapis.com/...: None -- [Errno -3]")

    monkeypatch.setitem(sys.modules, "tensorflow", fake_tensorflow(offline))
    message = load_error()
    assert "could not download" in message
    assert_helpful(message)


def test_sha256_of_array_bytes():
    # The digest is of the raw C-order bytes, whatever the memory layout of the array.
    array = np.arange(12, dtype=np.uint8).reshape(3, 4)
    assert course.array_sha256(array) == course.array_sha256(np.asfortranarray(array))
    assert course.array_sha256(array) != course.array_sha256(array.T)


@pytest.mark.skipif(not os.environ.get(course.MNIST_ENV_VAR), reason="MNIST_NPZ is not set")
def test_real_file_loads_like_keras():
    (x_train, y_train), (x_test, y_test) = course.load_mnist()
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8
    assert y_train.shape == (60000,) and y_train.dtype == np.uint8
    assert x_test.shape == (10000, 28, 28) and x_test.dtype == np.uint8
    assert y_test.shape == (10000,) and y_test.dtype == np.uint8
    # Known MNIST statistics (see the data file's README).
    assert x_train.mean() == pytest.approx(33.318421449829934)
    assert x_test.mean() == pytest.approx(33.791224489795916)
    assert list(y_train[:10]) == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert list(y_test[:10]) == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


# --------------------------------------------------------------------------------------------------
# Exercise checks
# --------------------------------------------------------------------------------------------------


def test_check_error_is_an_assertion_error():
    # Graders that treat AssertionError as a failed test (nbgrader, pytest) see check failures as such.
    assert issubclass(course.ExerciseCheckError, AssertionError)


# --------------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------------


def test_importing_course_sets_the_course_figure_resolution(tmp_path):
    """A chapter's figures are stored at FIGURE_DPI, whatever matplotlib's default on the machine."""
    import subprocess

    (tmp_path / "matplotlibrc").write_text("figure.dpi: 200\n")  # another machine's default
    probe = (
        "import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt; import course, io; "
        "figure = plt.figure(figsize=(5, 2)); buffer = io.BytesIO(); figure.savefig(buffer, format='png'); "
        "print(matplotlib.rcParams['figure.dpi'], int.from_bytes(buffer.getvalue()[16:20], 'big'))"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(float(course.FIGURE_DPI)), str(5 * course.FIGURE_DPI)]


def test_draw_number_grid_writes_every_value():
    fig, ax = plt.subplots()
    values = np.array([[1, 2, 3], [4, 5, 6]])
    course.draw_number_grid(ax, values, title="input", highlight=(0, 1, 2, 2))
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts == ["1", "2", "3", "4", "5", "6"]
    assert ax.get_title() == "input"
    assert ax.get_xlabel() == "column" and ax.get_ylabel() == "row"
    assert len(ax.patches) == 1  # the highlight
    plt.close(fig)


def test_draw_number_grid_hatches_missing_values_and_takes_several_highlights():
    fig, ax = plt.subplots()
    values = np.array([[np.nan, 1.5], [2.25, np.nan]])
    course.draw_number_grid(ax, values, highlight=[(0, 0, 1, 1), (1, 1, 1, 1)], fmt="{:.2f}", labels=False)
    assert sorted(t.get_text() for t in ax.texts) == ["1.50", "2.25"]
    assert len(ax.patches) == 4  # two hatched cells, two highlights
    assert list(ax.get_xticks()) == []
    plt.close(fig)


def test_show_digits_lays_out_a_grid():
    images = np.zeros((12, 28, 28, 1), dtype=np.float32)
    fig = course.show_digits(images, titles=list(range(12)), ncols=5, suptitle="digits")
    visible = [ax for ax in fig.axes if ax.axison]
    assert len(fig.axes) == 15 and len(visible) == 12
    assert visible[11].get_title() == "11"
    plt.close(fig)


def test_show_digits_leaves_room_for_titles_and_suptitle():
    images = np.zeros((20, 28, 28), dtype=np.float32)
    plain = course.show_digits(images, ncols=10, size=1.0)
    titled = course.show_digits(images, titles=list(range(20)), ncols=10, size=1.0, suptitle="digits")
    plain_height, titled_height = plain.get_size_inches()[1], titled.get_size_inches()[1]
    assert plain_height == pytest.approx(2.0)  # two rows of 1-inch images
    assert titled_height >= plain_height + 2 * 0.4  # a title line per row, and the suptitle
    plt.close(plain)
    plt.close(titled)


def test_show_image_rows_labels_rows_and_columns():
    rows = [np.zeros((3, 28, 28, 1)), np.ones((3, 28, 28))]
    fig = course.show_image_rows(rows, ["input", "output"], column_titles=["a", "b", "c"], title="pairs")
    assert len(fig.axes) == 6
    assert [ax.get_ylabel() for ax in fig.axes] == ["input", "", "", "output", "", ""]
    assert [ax.get_title() for ax in fig.axes[:3]] == ["a", "b", "c"] and fig.axes[3].get_title() == ""
    assert fig._suptitle.get_text() == "pairs"
    plt.close(fig)
    with pytest.raises(ValueError, match="row labels"):
        course.show_image_rows(rows, ["input"])
    with pytest.raises(ValueError, match="same number"):
        course.show_image_rows([np.zeros((3, 4, 4)), np.zeros((2, 4, 4))], ["a", "b"])


# --------------------------------------------------------------------------------------------------
# Data splits
# --------------------------------------------------------------------------------------------------


def test_prepare_images_scales_and_adds_a_channel():
    images = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    prepared = course.prepare_images(images)
    assert prepared.shape == (1, 2, 2, 1) and prepared.dtype == np.float32
    np.testing.assert_allclose(prepared[0, :, :, 0], [[0, 1], [0.2, 0.4]])
    with pytest.raises(ValueError, match="shape"):
        course.prepare_images(np.zeros((2, 28, 28, 1), dtype=np.uint8))


def test_prepare_images_gives_the_bits_of_a_plain_division_and_leaves_its_input_alone():
    # the stored outputs were computed from `images.astype("float32") / 255.0`: the in-place division must give
    # the very same float32 values, for every pixel value, and must not write into a float array it was given
    every_value = np.arange(256, dtype=np.uint8).reshape(1, 16, 16)
    np.testing.assert_array_equal(
        course.prepare_images(every_value)[..., 0], every_value.astype("float32") / 255.0, strict=True
    )
    floats = every_value.astype("float32")
    course.prepare_images(floats)
    np.testing.assert_array_equal(floats, every_value.astype("float32"))


def test_mnist_splits_holds_out_the_last_training_images(monkeypatch):
    """Stand-in MNIST: image i has every pixel equal to i % 256 and label i % 10 (i counts 0..6999)."""
    train = np.arange(6000)
    test = np.arange(6000, 7000)

    def images(indices):
        return np.broadcast_to((indices % 256).astype(np.uint8)[:, None, None], (len(indices), 28, 28))

    fake = ((images(train), (train % 10).astype(np.uint8)), (images(test), (test % 10).astype(np.uint8)))
    monkeypatch.setattr(course.data, "load_mnist", lambda path=None: fake)
    splits = course.mnist_splits()
    assert [len(part) for part in splits] == [1000, 1000, 5000, 5000, 1000, 1000]
    assert splits.x_train.shape[1:] == splits.x_val.shape[1:] == splits.x_test.shape[1:] == (28, 28, 1)
    np.testing.assert_array_equal(splits.y_val, train[1000:] % 10)  # the last 5,000, in order
    np.testing.assert_allclose(splits.x_val[:, 0, 0, 0] * 255, train[1000:] % 256, atol=1e-3)
    np.testing.assert_allclose(splits.x_train[:, 0, 0, 0] * 255, train[:1000] % 256, atol=1e-3)
    assert course.mnist_splits(validation_size=10).x_val.shape[0] == 10
    with pytest.raises(ValueError, match="validation_size"):
        course.mnist_splits(validation_size=6000)


@pytest.fixture(scope="module")
def keras():
    import keras

    return keras


# --------------------------------------------------------------------------------------------------
# Training log
# --------------------------------------------------------------------------------------------------


def test_epoch_log_prints_one_line_per_epoch_and_no_progress_bar(keras, capfd):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((8, 2), dtype="float32"), np.zeros((8, 1), dtype="float32")
    capfd.readouterr()
    model.fit(x, y, epochs=3, verbose=0, callbacks=[course.EpochLog(metrics=["loss"])])
    lines = capfd.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["epoch 1/3", "epoch 2/3", "epoch 3/3"]
    assert all(re.fullmatch(r"epoch \d/3: loss \d+\.\d{4}", line) for line in lines), lines
    model.fit(x, y, epochs=5, verbose=0, callbacks=[course.EpochLog(every=2)])
    assert [line.split(":")[0] for line in capfd.readouterr().out.splitlines()] == [
        "epoch 2/5",
        "epoch 4/5",
        "epoch 5/5",
    ]


# --------------------------------------------------------------------------------------------------
# Hint-based exercise checks
# --------------------------------------------------------------------------------------------------


def test_fingerprint_is_equal_for_equal_answers_and_different_otherwise():
    same = [((None, 14, 14, 8), [None, 14, 14, 8]), ((3, 4), [3, 4]), (392, 392.0), (np.eye(2), [[1, 0], [0, 1]]),
            (0.12341, 0.1234), ("Stride ", "stride")]  # fmt: skip
    for first, second in same:
        assert course.fingerprint(first) == course.fingerprint(second), (first, second)
    different = [((None, 14, 14, 8), (None, 14, 14, 16)), (392, 393), (0.123, 0.124), ((3, 4), (4, 3)),
                 (np.zeros(4), np.zeros((2, 2))), (1, True)]  # fmt: skip
    for first, second in different:
        assert course.fingerprint(first) != course.fingerprint(second), (first, second)
    assert len(course.fingerprint(7)) == 12


def test_hint_if_known_names_the_mistake_and_lets_other_answers_pass():
    known = {course.fingerprint(288): "counts the weights but not the biases"}
    with pytest.raises(course.ExerciseCheckError, match="^parameters: counts the weights but not the biases$"):
        course.hint_if_known("parameters", 288.0, known)
    assert course.hint_if_known("parameters", 320, known) is None


def test_expect_type():
    course.expect_type("count", 3, int, "a whole number")
    course.expect_type("flag", True, bool, "True or False")
    with pytest.raises(course.ExerciseCheckError, match="expected a whole number, got a bool"):
        course.expect_type("count", True, int, "a whole number")
    with pytest.raises(course.ExerciseCheckError, match="expected a whole number, got str"):
        course.expect_type("count", "3", int, "a whole number")


def test_expect_shape_form():
    class FakeTensorShape:
        def as_list(self):
            return [None, 7, 7, 2]

    assert course.expect_shape_form("shape", [None, 14, 14, 8], 4) == (None, 14, 14, 8)
    assert course.expect_shape_form("shape", FakeTensorShape(), 4) == (None, 7, 7, 2)
    assert course.expect_shape_form("size", (5,), 1) == (5,)
    mistakes = [("14x14", "expected a shape"), ((None, 14, 14), "4 entries"), ((None, 14, 0, 8), "entry 2"),
                ((None, 14.0, 14, 8), "entry 1"), ((None, True, 14, 8), "entry 1"),
                ((1, 14, 14, 8), "write None")]  # fmt: skip
    for value, words in mistakes:
        with pytest.raises(course.ExerciseCheckError, match=re.escape(words)):
            course.expect_shape_form("shape", value, 4)


def test_passed_says_the_check_found_no_mistake_without_the_value(capsys):
    course.passed("latent_size")
    out = capsys.readouterr().out
    assert out.startswith("latent_size: no known mistake found") and out.count("\n") == 1
    assert not re.search(r"\d", out)


# --------------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------------

CHAPTER_3 = NOTEBOOKS / "03_conv_autoencoder.ipynb"


def chapter_3_models(keras, latent_dim: int):
    """Run chapter 3's cell that builds its encoder and decoder layer by layer (the chapter keeps them visible,
    since they are its lesson) and return the two models it builds for ``latent_dim``."""
    import nbformat

    cell = next(c for c in nbformat.read(CHAPTER_3, as_version=4).cells if c.get("id") == "build-models")
    namespace = {"keras": keras, "Conv2D": keras.layers.Conv2D, "Conv2DTranspose": keras.layers.Conv2DTranspose}
    exec(cell.source, namespace)
    return namespace["build_encoder"](latent_dim), namespace["build_decoder"](latent_dim)


def architecture(model) -> list:
    return [(type(layer).__name__, layer.get_config()) for layer in model.layers]


@pytest.mark.parametrize("latent_dim", [2, 4])
def test_course_models_are_the_ones_chapter_3_builds(keras, latent_dim):
    # Chapters 4 and 5 build chapter 3's models with course.conv_encoder and conv_decoder: they must not drift
    # from the cell where chapter 3 builds them in view.
    encoder, decoder = chapter_3_models(keras, latent_dim)
    assert architecture(course.conv_encoder(latent_dim)) == architecture(encoder)
    assert architecture(course.conv_decoder(latent_dim)) == architecture(decoder)
    assert course.conv_encoder(latent_dim).output_shape == (None, 1, 1, latent_dim)
    assert course.conv_decoder(latent_dim).output_shape == (None, 28, 28, 1)


def test_a_position_bias_decoder_has_one_bias_per_position_and_channel(keras):
    shared, per_position = course.conv_decoder(2), course.conv_decoder(2, position_bias=True)
    first_shared = shared.layers[0].count_params()  # 7 x 7 x 64 x 2 weights, 64 biases
    first_dense = per_position.get_layer("dense_1").count_params()  # the same weights, 7 x 7 x 64 biases
    assert (first_shared, first_dense) == (7 * 7 * 64 * 2 + 64, 7 * 7 * 64 * 2 + 7 * 7 * 64)
    assert per_position.output_shape == (None, 28, 28, 1)
    assert [layer.get_config() for layer in per_position.layers[-2:]] == [
        layer.get_config() for layer in shared.layers[-2:]
    ]
