"""Unit tests of notebooks/course.py: the MNIST loader (bad inputs included), the exercise checks and
the shared figure helpers."""

from __future__ import annotations

import os
import sys
import types

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import course  # noqa: E402

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


def test_missing_file_names_the_variable(tmp_path):
    with pytest.raises(course.MNISTDataError) as info:
        course.load_mnist(tmp_path / "nowhere.npz")
    assert "not found" in str(info.value)
    assert_helpful(str(info.value))


def test_file_that_is_not_npz(tmp_path):
    path = tmp_path / "mnist.npz"
    path.write_bytes(b"this is not a zip archive at all")
    with pytest.raises(course.MNISTDataError) as info:
        course.load_mnist(path)
    assert "not a NumPy .npz archive" in str(info.value)
    assert_helpful(str(info.value))


def test_single_npy_array_is_refused(tmp_path):
    path = tmp_path / "mnist.npz"
    with open(path, "wb") as handle:
        np.save(handle, np.zeros(3))
    with pytest.raises(course.MNISTDataError) as info:
        course.load_mnist(path)
    assert "single array" in str(info.value)


def test_missing_keys(tmp_path):
    path = tmp_path / "mnist.npz"
    arrays = small_arrays()
    del arrays["y_test"]
    np.savez(path, **arrays)
    with pytest.raises(course.MNISTDataError) as info:
        course.load_mnist(path)
    assert "missing y_test" in str(info.value)
    assert_helpful(str(info.value))


def test_wrong_shapes(tmp_path):
    path = tmp_path / "mnist.npz"
    np.savez(path, **small_arrays())
    with pytest.raises(course.MNISTDataError) as info:
        course.load_mnist(path)
    message = str(info.value)
    assert "'x_train' has shape (3, 28, 28)" in message
    assert "(60000, 28, 28)" in message
    assert_helpful(message)


def test_wrong_dtype(tmp_path):
    path = tmp_path / "mnist.npz"
    arrays = full_size_wrong_arrays()
    arrays["x_test"] = arrays["x_test"].astype(np.float32)
    np.savez_compressed(path, **arrays)
    with pytest.raises(course.MNISTDataError) as info:
        course.load_mnist(path)
    assert "dtype float32" in str(info.value)


def test_pickled_object_array_is_refused(tmp_path):
    path = tmp_path / "mnist.npz"
    arrays = small_arrays()
    arrays["x_train"] = np.array([{"not": "an image"}], dtype=object)
    np.savez(path, **arrays)
    with pytest.raises(course.MNISTDataError) as info:
        course.load_mnist(path)
    assert "cannot be read safely" in str(info.value)


def test_right_layout_wrong_contents_fails_the_hash(tmp_path):
    path = tmp_path / "mnist.npz"
    np.savez_compressed(path, **full_size_wrong_arrays())
    with pytest.raises(course.MNISTDataError) as info:
        course.load_mnist(path)
    assert "SHA-256" in str(info.value)
    assert_helpful(str(info.value))


def test_environment_variable_is_used(tmp_path, monkeypatch):
    path = tmp_path / "from-env.npz"
    monkeypatch.setenv(course.MNIST_ENV_VAR, str(path))
    with pytest.raises(course.MNISTDataError) as info:
        course.load_mnist()
    assert "from-env.npz" in str(info.value)


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
    with pytest.raises(course.MNISTDataError) as info:
        course.load_mnist()
    assert "could not download" in str(info.value)
    assert_helpful(str(info.value))


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


def test_check_shape_passes_and_fails_helpfully(capsys):
    course.check_shape("encoder output", (None, 7, 7, 64), [None, 7, 7, 64])
    assert "Correct" in capsys.readouterr().out
    with pytest.raises(course.ExerciseCheckError) as info:
        course.check_shape("encoder output", (None, 14, 14, 64), (None, 7, 7, 64))
    assert str(info.value) == "encoder output: expected shape (None, 7, 7, 64), got (None, 14, 14, 64)"


def test_check_shape_rejects_non_shapes():
    with pytest.raises(course.ExerciseCheckError, match="expected a shape"):
        course.check_shape("output", 7, (7, 7))
    with pytest.raises(course.ExerciseCheckError, match="expected a shape"):
        course.check_shape("output", "14x14", (14, 14))


def test_check_shape_accepts_tensor_shapes():
    class FakeTensorShape:
        def as_list(self):
            return [None, 2, 2, 1]

    course.check_shape("output", FakeTensorShape(), (None, 2, 2, 1))


def test_check_equal():
    course.check_equal("parameters", 320, 320)
    with pytest.raises(course.ExerciseCheckError, match="parameters: expected 320, got 288"):
        course.check_equal("parameters", 288, 320)


def test_check_close_reports_first_wrong_value():
    expected = np.array([[1.0, 2.0], [3.0, 4.0]])
    course.check_close("feature map", expected + 1e-7, expected)
    wrong = expected.copy()
    wrong[1, 0] = 5.0
    with pytest.raises(course.ExerciseCheckError) as info:
        course.check_close("feature map", wrong, expected)
    assert "1 of 4 values differ; first at index (1, 0): expected 3, got 5" in str(info.value)
    with pytest.raises(course.ExerciseCheckError, match="expected an array of shape \\(2, 2\\), got shape \\(4,\\)"):
        course.check_close("feature map", wrong.ravel(), expected)
    with pytest.raises(course.ExerciseCheckError, match="expected numbers"):
        course.check_close("feature map", "not numbers", expected)


def test_check_true():
    course.check_true(True, "never shown")
    with pytest.raises(course.ExerciseCheckError, match="stride must divide"):
        course.check_true(False, "stride must divide the kernel size")


def test_check_error_is_an_assertion_error():
    # Graders that treat AssertionError as a failed test (nbgrader, pytest) see check failures as such.
    assert issubclass(course.ExerciseCheckError, AssertionError)


# --------------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------------


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
