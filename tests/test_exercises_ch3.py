"""The exercise checks of chapter 3 (the convolutional autoencoder) really check.

Each check cell is read from the notebook by its nbgrader ``grade_id`` and run in a namespace built from the
notebook's own cheap cells (shape rules, model definitions, latent codes) on a small synthetic data set, with
no training: with a wrong answer it must raise ``course.ExerciseCheckError``, with the answer computed by the
notebook's solution cell it must pass.
"""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path

import numpy as np
import pytest

import course

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "03_conv_autoencoder.ipynb"
EXERCISES = ["compression", "shapes-32", "typical-seven", "nearest-centre"]


def _cells() -> list[dict]:
    return json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]


def _source(cell: dict) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def _by_grade_id(grade_id: str) -> str:
    matches = [c for c in _cells() if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id]
    assert len(matches) == 1, f"expected one cell with grade_id {grade_id!r}, found {len(matches)}"
    return _source(matches[0])


def _containing(marker: str) -> str:
    matches = [_source(c) for c in _cells() if c["cell_type"] == "code" and marker in _source(c)]
    assert len(matches) == 1, f"expected one code cell containing {marker!r}, found {len(matches)}"
    return matches[0]


@pytest.fixture(scope="module")
def notebook_namespace() -> dict:
    """What the check and solution cells use, as the notebook defines it, on small synthetic data."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    import tensorflow as tf
    from keras.layers import Conv2D, Conv2DTranspose

    keras.utils.set_random_seed(3)
    rng = np.random.default_rng(3)
    namespace = {
        "np": np,
        "tf": tf,
        "keras": keras,
        "course": course,
        "Conv2D": Conv2D,
        "Conv2DTranspose": Conv2DTranspose,
        "x_train": rng.random((300, 28, 28, 1), dtype=np.float32),
        "train_labels": (np.arange(300) % 10).astype(np.uint8),
        "x_test": rng.random((200, 28, 28, 1), dtype=np.float32),
        "test_labels": (np.arange(200) % 10).astype(np.uint8),
    }
    for marker in ("def conv_output_size", "encoder_layers = [", "def build_encoder", "def encode("):
        exec(_containing(marker), namespace)
    return namespace


def _run_solution(namespace: dict, slug: str) -> dict:
    exec(_by_grade_id(f"ex-autoencoder-{slug}-solution"), namespace)
    return namespace


def _run_check(namespace: dict, slug: str) -> None:
    exec(_by_grade_id(f"ex-autoencoder-{slug}-check"), namespace)


def _wrong_answers(namespace: dict, slug: str) -> list[dict]:
    """Plausible mistakes for each exercise, as the names the student would have set."""
    if slug == "compression":
        return [{"compression_ratio": 784}, {"compression_ratio": 1 / 392}, {"compression_ratio": 28 / 2}]
    if slug == "shapes-32":
        return [
            {"shapes_for_32": [(None, 14, 14, 32), (None, 7, 7, 64), (None, 1, 1, 2)]},  # the 28 x 28 answer
            {"shapes_for_32": [(None, 16, 16, 32), (None, 8, 8, 64), (None, 1, 1, 2)]},  # assumed a 1 x 1 code
            {"shapes_for_32": [(None, 16, 16, 32), (None, 8, 8, 64)]},  # a layer missing
        ]
    if slug == "typical-seven":
        right = _run_solution(dict(namespace), slug)
        all_codes_mean = namespace["test_codes"].mean(axis=0)
        return [
            {"centre_of_sevens": all_codes_mean, "typical_seven": right["typical_seven"]},  # every digit
            {"centre_of_sevens": right["centre_of_sevens"], "typical_seven": right["typical_seven"][None, ..., None]},
            {"centre_of_sevens": right["centre_of_sevens"], "typical_seven": np.zeros((28, 28))},
        ]
    if slug == "nearest-centre":
        right = _run_solution(dict(namespace), slug)["nearest_centre_accuracy"]
        return [
            {"nearest_centre_accuracy": right + 0.05},
            {"nearest_centre_accuracy": 100 * right + 1},  # a percentage
            {"nearest_centre_accuracy": np.array([right, right])},
        ]
    raise ValueError(slug)


@pytest.mark.parametrize("slug", EXERCISES)
def test_check_accepts_the_solution(notebook_namespace, slug, capsys):
    namespace = _run_solution(dict(notebook_namespace), slug)
    _run_check(namespace, slug)
    assert "Correct" in capsys.readouterr().out


@pytest.mark.parametrize("slug", EXERCISES)
def test_check_rejects_wrong_answers(notebook_namespace, slug):
    for wrong in _wrong_answers(notebook_namespace, slug):
        namespace = dict(notebook_namespace, **wrong)
        with pytest.raises(course.ExerciseCheckError):
            _run_check(namespace, slug)


def test_exercise_cells_follow_the_convention():
    cells = _cells()
    for slug in EXERCISES:
        label = f"ex-autoencoder-{slug}"
        start = next(i for i, c in enumerate(cells) if f":label: {label}\n" in _source(c))
        tags = [cells[start + k].get("metadata", {}).get("tags", []) for k in range(5)]
        assert tags == [["exercise"], ["solution-start"], ["solution"], ["solution-end"], ["check"]], (label, tags)
        solution, check = cells[start + 2], cells[start + 4]
        assert _source(solution).count("### BEGIN SOLUTION") == 1 and "### END SOLUTION" in _source(solution)
        assert solution["metadata"]["nbgrader"]["grade_id"] == f"{label}-solution"
        assert solution["metadata"]["nbgrader"]["solution"] is True
        assert check["metadata"]["nbgrader"]["grade_id"] == f"{label}-check"
        assert check["metadata"]["nbgrader"]["grade"] is True
        assert check["metadata"]["nbgrader"]["locked"] is True
        assert 1 <= check["metadata"]["nbgrader"]["points"] <= 3


def test_teaching_cells_do_not_need_solutions():
    """A student who skips an exercise can still run every other cell."""
    solution_names, other_assigned, other_loaded = set(), set(), set()
    for cell in _cells():
        if cell["cell_type"] != "code":
            continue
        tags = cell.get("metadata", {}).get("tags", [])
        tree = ast.parse(_source(cell))
        stores = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        if "solution" in tags:
            solution_names |= stores
        elif "check" not in tags:
            other_assigned |= stores
            other_loaded |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    only_in_solutions = solution_names - other_assigned
    assert not only_in_solutions & other_loaded, sorted(only_in_solutions & other_loaded)
