"""A real nbgrader round trip on the course that `make assignments` writes (nbgrader's command line, no server).

Every chapter goes through `nbgrader generate_assignment`. Chapters 1 and 2 are then graded for simulated
students, built from the chapter's exercise table (tests/exercises/<stem>.py):

* right: the solutions; full marks;
* wrong-<n>: the solutions with the typical wrong answer of several parts, none next to another (one wrong
  answer per part over all wrong-<n>); loses exactly those parts' points;
* tampered: a wrong answer whose check cell was replaced by print("Correct."); nbgrader restores the check
  and grades it: the part's points are lost;
* empty: the released notebook as it is; 0 points.

`nbgrader autograde` runs with the course's nbgrader_config.py (cell timeout, kernel arguments) and MNIST_NPZ;
the feedback holds no TensorFlow log lines, and per-exercise scores come out of `python -m coursetools scores`.
"""

from __future__ import annotations

import ast
import csv
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest

from coursetools import chapters as toc
from coursetools import coursework
from coursetools.exercises import load_table, nbgrader_metadata, parse
from test_coursework import assert_no_secret, assert_plain

CHAPTERS = toc.chapters()
GRADED = CHAPTERS[:2]  # chapters 1 and 2: quick enough to grade many simulated students in a test run
BIN = Path(sys.executable).parent
# What TensorFlow's C++ runtime and absl write to file descriptor 2 when TensorFlow is imported: phrases of
# those lines, not the names they contain (chapter 2's prose names oneDNN and TF_ENABLE_ONEDNN_OPTS).
TF_LOG = re.compile(
    r"oneDNN custom operations|To turn them off, set the environment variable|absl::|tensorflow/core|"
    r"cuda drivers|cuInit|cuda_[a-z_]+\.cc|[IWE]0000 |computation placer|rebuild TensorFlow|cpu_feature_guard",
    re.IGNORECASE,
)


def nbgrader(course: Path, *args: str, timeout: int = 3600) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    # ipykernel never captures file descriptors in a process that sees PYTEST_CURRENT_TEST: without this line a
    # kernel started here would keep TensorFlow's lines out of the cells whatever the course's configuration says.
    env.pop("PYTEST_CURRENT_TEST", None)
    result = subprocess.run(
        [str(BIN / "nbgrader"), *args], cwd=course, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, (
        f"nbgrader {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result


def meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("course")
    coursework.write_assignments(root)
    for chapter in CHAPTERS:
        nbgrader(root, "generate_assignment", chapter.stem, "--force")
    return root


# --------------------------------------------------------------------------------------------------
# generate_assignment, every chapter
# --------------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_generate_assignment_releases_every_chapter_without_answers(course, chapter):
    release = course / "release" / chapter.stem
    assert (release / "course" / "__init__.py").is_file() and not (release / "course" / "answers.py").exists()
    released = nbformat.read(release / chapter.name, as_version=4)
    text = "\n".join(cell.source for cell in released.cells)
    assert_no_secret(chapter, text, f"released {chapter.name}")
    assert not re.search(r"(`{3,}|:{3,})\{[\w-]+\}|\{[a-z][\w:-]*\}`", text), "site-only markup left in the release"
    solutions = [c for c in released.cells if meta(c).get("solution") and c.cell_type == "code"]
    checks = [c for c in released.cells if meta(c).get("grade")]
    assert solutions and all("raise NotImplementedError()" in c.source for c in solutions)
    assert checks and all(meta(c).get("checksum") for c in checks)
    assert all(not c.get("outputs") for c in released.cells if c.cell_type == "code")
    assert_plain(released, f"released {chapter.name}")


# --------------------------------------------------------------------------------------------------
# The kernels nbgrader starts keep file descriptor 2 out of the cells (fast: no TensorFlow)
# --------------------------------------------------------------------------------------------------


def tiny_assignment(root: Path, extra_config: str = "") -> None:
    root.mkdir(parents=True)
    (root / "nbgrader_config.py").write_text(coursework.nbgrader_config() + extra_config)
    source = root / "source" / "fd"
    source.mkdir(parents=True)
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    answer = nbformat.v4.new_code_cell("### BEGIN SOLUTION\nanswer = 1\n### END SOLUTION")
    answer.id = "ex-fd-answer-solution"
    answer.metadata["nbgrader"] = nbgrader_metadata(answer.id)
    check = nbformat.v4.new_code_cell(
        "import os, time\nos.write(2, b'a line from C++ on fd 2\\n')\ntime.sleep(1)\nassert answer == 1"
    )
    check.id = "ex-fd-answer-check"
    check.metadata["nbgrader"] = nbgrader_metadata(check.id, points=1)
    notebook.cells = [answer, check]
    nbformat.write(notebook, source / "fd.ipynb")
    nbgrader(root, "generate_assignment", "fd", "--force")
    submitted = root / "submitted" / "student" / "fd"
    submitted.mkdir(parents=True)
    solved = nbformat.read(root / "release" / "fd" / "fd.ipynb", as_version=4)
    solved.cells[0].source = "answer = 1"
    nbformat.write(solved, submitted / "fd.ipynb")
    nbgrader(root, "autograde", "fd", "--force")


def graded_output(root: Path) -> str:
    graded = nbformat.read(root / "autograded" / "student" / "fd" / "fd.ipynb", as_version=4)
    return json.dumps([cell.get("outputs", []) for cell in graded.cells])


@pytest.mark.slow
def test_nbgrader_kernels_keep_fd2_out_of_cells(tmp_path):
    """With the course's config, what a kernel writes to fd 2 (where TensorFlow's C++ logs go) is not in a
    graded cell; with capture turned back on in the same setup, it is (so the setting is what keeps it out).
    The one test of nbgrader_config()'s kernel arguments; the course environment's kernels get the same setting
    from tools/ipython_kernel_config.py (test_coursework.py's postBuild test)."""
    tiny_assignment(tmp_path / "course")
    assert "a line from C++" not in graded_output(tmp_path / "course")
    tiny_assignment(tmp_path / "control", '\nc.Execute.extra_arguments = ["--IPKernelApp.capture_fd_output=True"]\n')
    assert "a line from C++" in graded_output(tmp_path / "control")


# --------------------------------------------------------------------------------------------------
# Simulated students for chapters 1 and 2
# --------------------------------------------------------------------------------------------------


def python_source(name: str, value) -> str | None:
    """Return Python that binds ``name`` to ``value`` in a notebook, or None if it cannot be written."""
    if callable(value):
        try:
            source = inspect.getsource(value)
        except (OSError, TypeError):
            return None
        source = textwrap.dedent(source)
        if not source.startswith("def ") or value.__name__ == "<lambda>":
            return None
        return f"{source}\n{name} = {value.__name__}"
    if isinstance(value, np.ndarray):
        return f"{name} = np.array({value.tolist()!r}, dtype={str(value.dtype)!r})"
    try:
        if ast.literal_eval(repr(value)) == value:
            return f"{name} = {value!r}"
    except (ValueError, SyntaxError):
        return None
    return None


def wrong_answer_source(answers: list) -> str | None:
    """The first listed wrong answer of a check that can be written as notebook code."""
    for values, _words in answers:
        lines = [python_source(name, value) for name, value in values.items()]
        if all(line is not None for line in lines):
            return "\n# a typical wrong answer\n" + "\n".join(lines)
    return None


def submissions(chapter: Path, course: Path) -> tuple[dict, dict, list]:
    """Return the simulated students' notebooks, the score each should get for each graded part, and the parts
    without a wrong answer that a notebook can hold."""
    source = nbformat.read(chapter, as_version=4)
    released = nbformat.read(course / "release" / chapter.stem / chapter.name, as_version=4)
    table = load_table(chapter)
    exercises, _ = parse(source)
    solution_of = {c.id: c.source for e in exercises for c in e.solutions}
    points = {c.id: float(meta(c)["points"]) for e in exercises for c in e.checks}

    def solved():
        notebook = nbformat.from_dict(json.loads(json.dumps(released)))
        for cell in notebook.cells:
            if cell.id in solution_of:
                cell.source = solution_of[cell.id]
        return notebook

    students = {"right": solved(), "empty": nbformat.from_dict(json.loads(json.dumps(released)))}
    expected = {"right": dict(points), "empty": {part: 0.0 for part in points}}
    # One typical wrong answer per part. To keep grading time down they share submissions, but never with the
    # part just before them (often the same exercise) nor with another answer for the same name: so each wrong
    # part is graded next to right parts, and must lose exactly its own points.
    groups: list[list[tuple]] = []
    previous = None
    for exercise in exercises:
        for check in exercise.checks:
            answers = table.get(exercise.label, {}).get("checks", {}).get(check.id, {}).get("wrong", [])
            wrong = wrong_answer_source(answers)
            if wrong is None:
                previous = None
                continue
            names = set(re.findall(r"^(\w+) = ", wrong, re.MULTILINE))
            part = (exercise, check.id, wrong, names)
            group = next((g for g in groups if previous not in g and not names & set().union(*(p[3] for p in g))), None)
            if group is None:
                group = []
                groups.append(group)
            group.append(part)
            previous = part
    for number, group in enumerate(groups, start=1):
        notebook = solved()
        for exercise, _check_id, wrong, _names in group:
            next(c for c in notebook.cells if c.id == exercise.solutions[-1].id).source += "\n" + wrong
        students[f"wrong-{number}"] = notebook
        expected[f"wrong-{number}"] = dict(points, **{check_id: 0.0 for _, check_id, _, _ in group})
    if groups:
        exercise, check_id, wrong, _ = groups[0][0]
        tampered = solved()
        next(c for c in tampered.cells if c.id == exercise.solutions[-1].id).source += "\n" + wrong
        next(c for c in tampered.cells if c.id == check_id).source = 'print("Correct.")'
        students["tampered"] = tampered
        expected["tampered"] = dict(points, **{check_id: 0.0})
    covered = {check_id for g in groups for _, check_id, _, _ in g}
    return students, expected, [part for part in points if part not in covered]


@pytest.mark.slow
@pytest.mark.parametrize("chapter", GRADED, ids=lambda p: p.stem)
def test_autograde_scores_simulated_students_exactly(course, chapter):
    if load_table(chapter) is None:
        pytest.skip(f"no exercise table tests/exercises/{chapter.stem}.py yet (test_exercises.py fails for it)")
    students, expected, uncovered = submissions(chapter, course)
    for student, notebook in students.items():
        folder = course / "submitted" / student / chapter.stem
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, folder / chapter.name)
        shutil.copytree(course / "release" / chapter.stem / "course", folder / "course", dirs_exist_ok=True)
    start = time.perf_counter()
    nbgrader(course, "autograde", chapter.stem, "--force")
    seconds = time.perf_counter() - start
    print(
        f"\n{chapter.stem}: autograded {len(students)} submissions in {seconds:.0f} s "
        f"({seconds / len(students):.0f} s per student)"
    )
    nbgrader(course, "generate_feedback", chapter.stem, "--force")

    rows = [r for r in coursework.score_rows(course) if r["assignment"] == chapter.stem]
    got = {}
    for row in rows:
        if row["part"] in expected["right"]:
            got.setdefault(row["student"], {})[row["part"]] = row["score"]
    for student in students:
        print(f"  {student}: {sum(got[student].values()):g} of {sum(expected['right'].values()):g}")
    assert got == expected

    # the tampered check was restored from the source and graded normally
    graded = nbformat.read(course / "autograded" / "tampered" / chapter.stem / chapter.name, as_version=4)
    source = nbformat.read(course / "source" / chapter.stem / chapter.name, as_version=4)
    source_checks = {c.id: c.source for c in source.cells if meta(c).get("grade")}
    assert all(c.source == source_checks[c.id] for c in graded.cells if c.id in source_checks)
    assert 'print("Correct.")' not in json.dumps(graded)

    # feedback and graded notebooks carry no TensorFlow log lines
    for student in students:
        feedback = (course / "feedback" / student / chapter.stem / f"{chapter.stem}.html").read_text()
        found = TF_LOG.search(re.sub(r"<[^>]+>", "", feedback))
        assert not found, f"{student}: TensorFlow log text in the feedback: {found.group(0)!r}"

    # per-exercise scores: nbgrader export gives totals; python -m coursetools scores gives every part
    nbgrader(course, "export", "--to", str(course / "grades.csv"))
    with open(course / "grades.csv") as handle:
        assert {row["student_id"] for row in csv.DictReader(handle)} >= set(students)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "coursetools",
            "scores",
            "--course",
            str(course),
            "--out",
            str(course / "scores.csv"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    with open(course / "scores.csv") as handle:
        exported = [row for row in csv.DictReader(handle) if row["assignment"] == chapter.stem]
    assert {(r["student"], r["part"]) for r in exported} >= {(s, p) for s in students for p in expected["right"]}
    assert {r["exercise"] for r in exported} == {coursework.exercise_of(p) for p in expected["right"]}
    assert not uncovered, (
        f"parts without a typical wrong answer in the table (or none a notebook can hold): {uncovered}"
    )
