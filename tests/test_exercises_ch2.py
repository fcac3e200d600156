"""Chapter 2's exercise checks really check: each check cell, read from the notebook by its grade_id, fails
with course.ExerciseCheckError on wrong answers and passes on the notebook's own solution.

The check cells need only the chapter's setup cell (imports), so that is all these tests run: no training,
no other teaching cell.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import course
from conftest import NOTEBOOKS

NOTEBOOK = NOTEBOOKS / "02_transposed_conv.ipynb"
PREFIX = "ex-transposed-conv-"


def _cells() -> list[dict]:
    return json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]


def _source(cell: dict) -> str:
    return "".join(cell["source"])


def cell_source(grade_id: str) -> str:
    """The source of the cell with this nbgrader grade_id."""
    matches = [c for c in _cells() if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id]
    assert len(matches) == 1, f"expected one cell with grade_id {grade_id!r}, found {len(matches)}"
    return _source(matches[0])


def solution_sources(slug: str) -> list[str]:
    """The solution cells of one exercise, in notebook order."""
    return [
        _source(c)
        for c in _cells()
        if c.get("metadata", {}).get("nbgrader", {}).get("grade_id", "").startswith(f"{PREFIX}{slug}-solution")
    ]


@pytest.fixture(scope="module")
def setup_namespace() -> dict:
    """The names the chapter's first code cell defines (numpy, keras, tensorflow, course, ...)."""
    code_cells = [c for c in _cells() if c["cell_type"] == "code"]
    namespace: dict = {}
    exec(_source(code_cells[0]), namespace)
    assert "keras" in namespace and "course" in namespace
    return namespace


def run_check(namespace: dict, slug: str, **answers) -> None:
    scope = dict(namespace)
    scope.update(answers)
    exec(cell_source(f"{PREFIX}{slug}-check"), scope)


def run_solution_then_check(namespace: dict, slug: str) -> None:
    scope = dict(namespace)
    sources = solution_sources(slug)
    assert sources, f"no solution cell for {slug}"
    for source in sources:
        exec(source, scope)
    exec(cell_source(f"{PREFIX}{slug}-check"), scope)


SLUGS = ["shape", "output-padding", "by-hand", "even-overlap"]


@pytest.mark.parametrize("slug", SLUGS)
def test_the_solution_passes_its_check(setup_namespace, slug, capsys):
    run_solution_then_check(setup_namespace, slug)
    assert "Correct" in capsys.readouterr().out


@pytest.mark.parametrize(
    "answers",
    [
        {"predicted_shape": (None, 13, 13, 8), "predicted_params": 408},  # (n - 1) * s + k - 1
        {"predicted_shape": (None, 14, 14, 2), "predicted_params": 408},  # channels of the input
        {"predicted_shape": (None, 14, 14, 8), "predicted_params": 400},  # biases forgotten
    ],
)
def test_shape_check_rejects_wrong_answers(setup_namespace, answers):
    with pytest.raises(course.ExerciseCheckError):
        run_check(setup_namespace, "shape", **answers)


@pytest.mark.parametrize("wrong", [0, 1, 3, -1, 2.5, "2"])
def test_output_padding_check_rejects_wrong_answers(setup_namespace, wrong):
    with pytest.raises(course.ExerciseCheckError):
        run_check(setup_namespace, "output-padding", chosen_output_padding=wrong)


def test_output_padding_check_accepts_a_numpy_integer(setup_namespace):
    run_check(setup_namespace, "output-padding", chosen_output_padding=np.int64(2))


@pytest.mark.parametrize(
    "wrong",
    [
        np.array([[1, 1, -2], [5, 5, -4], [6, 8, 1]]),  # one value off
        np.array([[0, 2, 4], [-1, 5, 6], [-2, -4, 4]]),  # a convolution (correlation), not a transposed one
        np.array([[1, 2], [3, 4]]),  # the input's shape
        "by hand",
    ],
)
def test_by_hand_check_rejects_wrong_answers(setup_namespace, wrong):
    with pytest.raises(course.ExerciseCheckError):
        run_check(setup_namespace, "by-hand", by_hand=wrong)


def test_even_overlap_check_rejects_a_wrong_condition(setup_namespace):
    with pytest.raises(course.ExerciseCheckError):
        run_check(
            setup_namespace, "even-overlap",
            even_overlap=lambda kernel_size, stride: kernel_size >= stride,  # large enough is not enough
            kernel_size_for_stride_3=6,
        )


@pytest.mark.parametrize("wrong_size", [3, 4, 5, 9])
def test_even_overlap_check_rejects_a_wrong_kernel_size(setup_namespace, wrong_size):
    with pytest.raises(course.ExerciseCheckError):
        run_check(
            setup_namespace, "even-overlap",
            even_overlap=lambda kernel_size, stride: kernel_size % stride == 0,
            kernel_size_for_stride_3=wrong_size,
        )
