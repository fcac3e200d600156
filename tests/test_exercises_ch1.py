"""Chapter 1's exercise checks catch wrong answers and accept right ones.

Each test runs the source of a check cell, read from notebooks/01_conv2d.ipynb by its nbgrader
``grade_id``, in a namespace prepared by the notebook's setup cell (and the exercise's data cell), with
the student's variables set to a wrong answer (the check must raise ``course.ExerciseCheckError``) or to
the notebook's own solution (it must pass). Nothing is trained; the slowest part is importing TensorFlow.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import nbformat
import numpy as np
import pytest

import course

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "01_conv2d.ipynb"
EXERCISES = ["predict", "by-hand", "28-to-7", "forward"]


@pytest.fixture(scope="module")
def notebook():
    return nbformat.read(NOTEBOOK, as_version=4)


def grade_cell(notebook, grade_id: str):
    matches = [cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id]
    assert len(matches) == 1, f"expected one cell with grade_id {grade_id!r}, found {len(matches)}"
    return matches[0]


def cell_by_id(notebook, cell_id: str):
    matches = [cell for cell in notebook.cells if cell.get("id") == cell_id]
    assert len(matches) == 1, f"expected one cell with id {cell_id!r}, found {len(matches)}"
    return matches[0]


@pytest.fixture(scope="module")
def setup_namespace(notebook):
    """The names the notebook's setup cell defines (np, tf, keras, course, ...)."""
    namespace: dict = {}
    exec(compile(cell_by_id(notebook, "setup").source, "setup", "exec"), namespace)
    return namespace


def namespace_for(notebook, setup_namespace, slug: str, **answers) -> dict:
    namespace = dict(setup_namespace)
    data = [cell for cell in notebook.cells if cell.get("id") == f"ex-conv2d-{slug}-data"]
    for cell in data:
        exec(compile(cell.source, f"{slug}-data", "exec"), namespace)
    namespace.update(answers)
    return namespace


def run_check(notebook, namespace: dict, slug: str) -> None:
    source = grade_cell(notebook, f"ex-conv2d-{slug}-check").source
    exec(compile(source, f"ex-conv2d-{slug}-check", "exec"), namespace)


def run_solution(notebook, namespace: dict, slug: str) -> None:
    source = grade_cell(notebook, f"ex-conv2d-{slug}-solution").source
    exec(compile(source, f"ex-conv2d-{slug}-solution", "exec"), namespace)


def assert_rejected(notebook, setup_namespace, slug: str, expected_words: str = "", **answers) -> str:
    namespace = namespace_for(notebook, setup_namespace, slug, **answers)
    with pytest.raises(course.ExerciseCheckError) as caught:
        run_check(notebook, namespace, slug)
    message = str(caught.value)
    assert expected_words in message, message
    return message


def assert_accepted(notebook, setup_namespace, slug: str, **answers) -> None:
    namespace = namespace_for(notebook, setup_namespace, slug, **answers)
    run_check(notebook, namespace, slug)


def assert_solution_accepted(notebook, setup_namespace, slug: str) -> None:
    namespace = namespace_for(notebook, setup_namespace, slug)
    run_solution(notebook, namespace, slug)
    run_check(notebook, namespace, slug)


# --------------------------------------------------------------------------------------------------
# Structure: every exercise follows the course's cell sequence, so that student versions can be made.
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", EXERCISES)
def test_exercise_cell_sequence(notebook, slug):
    label = f"ex-conv2d-{slug}"
    ids = [cell.get("id") for cell in notebook.cells]
    start = ids.index(f"{label}-prompt")
    tags = [cell.metadata.get("tags", []) for cell in notebook.cells]
    assert "exercise" in tags[start]
    assert notebook.cells[start].source.startswith("```{exercise}")
    assert f":label: {label}\n" in notebook.cells[start].source
    solution_start = ids.index(f"{label}-solution-start")
    assert notebook.cells[solution_start].source == f"```{{solution-start}} {label}\n:class: dropdown\n```"
    solution = grade_cell(notebook, f"{label}-solution")
    assert "### BEGIN SOLUTION" in solution.source and "### END SOLUTION" in solution.source
    assert solution.metadata["nbgrader"]["solution"] is True and solution.metadata["nbgrader"]["grade"] is False
    check = grade_cell(notebook, f"{label}-check")
    assert check.metadata["nbgrader"]["grade"] is True and check.metadata["nbgrader"]["locked"] is True
    assert 1 <= check.metadata["nbgrader"]["points"] <= 3
    order = [start, solution_start, ids.index(solution.id), ids.index(f"{label}-solution-end"), ids.index(check.id)]
    assert order == sorted(order)
    assert notebook.cells[order[3]].source == "```{solution-end}\n```"


def test_no_teaching_cell_uses_a_solution_name(notebook):
    """Cells after the first exercise must run in a student notebook whose solutions are stubs."""
    solution_names = {"predicted_shape", "predicted_params", "output_by_hand", "kernel_size_choice",
                      "strides_choice", "padding_choice", "conv2d_forward"}
    first_exercise = [cell.get("id") for cell in notebook.cells].index("ex-conv2d-predict-prompt")
    for cell in notebook.cells[first_exercise:]:
        if cell.cell_type != "code" or "solution" in cell.metadata.get("tags", []) or "check" in cell.metadata.get("tags", []):
            continue
        for name in solution_names:
            assert name not in cell.source, f"cell {cell.get('id')} uses {name}, which only a solution defines"


# --------------------------------------------------------------------------------------------------
# Exercise 1: predict a shape and a parameter count
# --------------------------------------------------------------------------------------------------


def test_predict_rejects_wrong_answers(notebook, setup_namespace):
    assert_rejected(notebook, setup_namespace, "predict", "expected shape (None, 14, 14, 16)",
                    predicted_shape=(None, 28, 28, 16), predicted_params=1216)  # stride forgotten
    assert_rejected(notebook, setup_namespace, "predict", "(None, 14, 14, 16)",
                    predicted_shape=(None, 14, 14, 3), predicted_params=1216)  # channels from the input
    assert_rejected(notebook, setup_namespace, "predict", "biases",
                    predicted_shape=(None, 14, 14, 16), predicted_params=1200)
    assert_rejected(notebook, setup_namespace, "predict", "input channels",
                    predicted_shape=(None, 14, 14, 16), predicted_params=416)
    assert_rejected(notebook, setup_namespace, "predict", "expected 1216",
                    predicted_shape=(None, 14, 14, 16), predicted_params=1215)


def test_predict_accepts_right_answers(notebook, setup_namespace):
    assert_accepted(notebook, setup_namespace, "predict", predicted_shape=(None, 14, 14, 16), predicted_params=1216)
    assert_accepted(notebook, setup_namespace, "predict", predicted_shape=[None, 14, 14, 16], predicted_params=1216)
    assert_solution_accepted(notebook, setup_namespace, "predict")


# --------------------------------------------------------------------------------------------------
# Exercise 2: a 3x3 output by hand
# --------------------------------------------------------------------------------------------------


def test_by_hand_rejects_wrong_answers(notebook, setup_namespace):
    namespace = namespace_for(notebook, setup_namespace, "by-hand")
    image, kernel = namespace["exercise_image"], namespace["exercise_kernel"]
    right = course.conv2d_reference(image, kernel, strides=2, padding="same")
    # 'valid' at stride 1 also gives a 3x3 array, with other values
    assert_rejected(notebook, setup_namespace, "by-hand", "values differ",
                    output_by_hand=course.conv2d_reference(image, kernel))
    assert_rejected(notebook, setup_namespace, "by-hand", "flipped",
                    output_by_hand=course.conv2d_reference(image, np.flip(kernel), strides=2, padding="same"))
    assert_rejected(notebook, setup_namespace, "by-hand", "shape (5, 5)",
                    output_by_hand=course.conv2d_reference(image, kernel, padding="same"))
    off_by_one = right.copy()
    off_by_one[1, 2] += 1
    assert_rejected(notebook, setup_namespace, "by-hand", "index (1, 2)", output_by_hand=off_by_one)
    # rows and columns swapped
    assert_rejected(notebook, setup_namespace, "by-hand", "values differ", output_by_hand=right.T)


def test_by_hand_accepts_right_answers(notebook, setup_namespace):
    namespace = namespace_for(notebook, setup_namespace, "by-hand")
    right = course.conv2d_reference(namespace["exercise_image"], namespace["exercise_kernel"], strides=2, padding="same")
    assert_accepted(notebook, setup_namespace, "by-hand", output_by_hand=right)
    assert_accepted(notebook, setup_namespace, "by-hand", output_by_hand=right.astype(int).tolist())
    assert_solution_accepted(notebook, setup_namespace, "by-hand")


# --------------------------------------------------------------------------------------------------
# Exercise 3: from 28x28 to 7x7 in one layer
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kernel_size", "strides", "padding", "expected_words"),
    [
        (3, 2, "same", "expected shape (None, 7, 7, 8), got (None, 14, 14, 8)"),
        (3, 4, "same", "lie in no window"),  # gaps between windows
        (3, 4, "valid", "lie in no window"),
        (8, 3, "valid", "lie in no window"),  # the last window ends before the last rows
        (30, 1, "valid", "Keras cannot build this layer"),
    ],
)
def test_28_to_7_rejects_wrong_answers(notebook, setup_namespace, kernel_size, strides, padding, expected_words):
    assert_rejected(notebook, setup_namespace, "28-to-7", expected_words,
                    kernel_size_choice=kernel_size, strides_choice=strides, padding_choice=padding)


@pytest.mark.parametrize(("kernel_size", "strides", "padding"),
                         [(4, 4, "valid"), (5, 4, "same"), ((4, 7), 4, "same"), (10, 3, "valid"), (4, (4, 4), "valid")])
def test_28_to_7_accepts_right_answers(notebook, setup_namespace, kernel_size, strides, padding):
    assert_accepted(notebook, setup_namespace, "28-to-7",
                    kernel_size_choice=kernel_size, strides_choice=strides, padding_choice=padding)


def test_28_to_7_accepts_the_solution(notebook, setup_namespace):
    assert_solution_accepted(notebook, setup_namespace, "28-to-7")


# --------------------------------------------------------------------------------------------------
# Exercise 4: the whole layer in NumPy
# --------------------------------------------------------------------------------------------------


def _reference_forward(images, kernel, bias):
    batch, height, width, _ = images.shape
    kernel_h, kernel_w, _, filters = kernel.shape
    output = np.zeros((batch, height - kernel_h + 1, width - kernel_w + 1, filters))
    for i in range(output.shape[1]):
        for j in range(output.shape[2]):
            window = images[:, i : i + kernel_h, j : j + kernel_w, :, np.newaxis]
            output[:, i, j, :] = np.sum(window * kernel, axis=(1, 2, 3)) + bias
    return output


def test_forward_rejects_wrong_answers(notebook, setup_namespace):
    wrong_functions = {
        "bias forgotten": lambda images, kernel, bias: _reference_forward(images, kernel, 0 * bias),
        "first channel only": lambda images, kernel, bias: _reference_forward(
            images[..., :1], kernel[:, :, :1, :], bias),
        "kernel flipped": lambda images, kernel, bias: _reference_forward(images, kernel[::-1, ::-1], bias),
        "channels averaged": lambda images, kernel, bias: _reference_forward(
            images, kernel / kernel.shape[2], bias) if kernel.shape[2] > 1 else _reference_forward(images, kernel, bias),
        "one filter only": lambda images, kernel, bias: _reference_forward(images, kernel[..., :1], bias[:1]),
    }
    for description, function in wrong_functions.items():
        message = assert_rejected(notebook, setup_namespace, "forward", "conv2d_forward on images",
                                  conv2d_forward=function)
        assert message, description


def test_forward_accepts_right_answers(notebook, setup_namespace):
    assert_accepted(notebook, setup_namespace, "forward", conv2d_forward=_reference_forward)
    assert_solution_accepted(notebook, setup_namespace, "forward")
