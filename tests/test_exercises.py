"""One harness for the exercises of every chapter listed in `_toc.yml`.

Each chapter has a table of right and wrong answers, tests/exercises/<notebook stem>.py (format: the course
conventions). For every check cell the harness builds a namespace as a student's kernel would have it (the
chapter's `setup` cell, the exercise's `-data` cells, the table's `context` stand-ins for slow earlier
cells, the solution cells), puts an answer into it and runs the check cell:

* the solution passes every check, and so does every listed right answer;
* a listed wrong answer with hint words fails in the visible part with an ExerciseCheckError that contains
  them; a wrong answer with hint words None passes the visible part and fails the hidden tests.

It also checks the form the conventions give an exercise: the cell sequence, ids, tags and nbgrader
metadata; a table entry for every exercise and check; visible parts without `assert` and without the
answer in their stored output; teaching cells that do not use names only a solution defines.
"""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib
import nbformat
import pytest

import chapters as toc
from conftest import NOTEBOOKS, ROOT

# Figures drawn while the harness runs chapter cells in this process go to a non-interactive backend. This is
# set for this process only: an MPLBACKEND environment variable would reach the kernels that nbval starts in the
# same pytest run, and their figures would no longer be stored.
matplotlib.use("Agg")

TABLES = Path(os.environ.get("EXERCISE_TABLES", ROOT / "tests" / "exercises"))  # another folder: to try a draft table
HIDDEN_REGION = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[^\n]*\n?", re.DOTALL | re.MULTILINE)
LABEL = re.compile(r"ex-[a-z0-9]+(-[a-z0-9]+)+")
SOLUTION_META = {"grade": False, "locked": False, "schema_version": 3, "solution": True, "task": False}
CHECK_META = {"grade": True, "locked": True, "schema_version": 3, "solution": False, "task": False}


def tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def visible(source: str) -> str:
    """A check cell as a student receives it: without its hidden tests."""
    return HIDDEN_REGION.sub("", source)


def runnable(source: str) -> str:
    """A cell's source without IPython magics and shell lines."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def is_gate(cells, index: int, cell_id: str, tag: str, source: str) -> bool:
    """Whether cells[index] is the markdown gate with this id, this one tag and exactly this source."""
    gate = cells[index] if index < len(cells) else None
    return (
        gate is not None
        and gate.cell_type == "markdown"
        and gate.get("id") == cell_id
        and tags(gate) == [tag]
        and gate.source.strip() == source
    )


@dataclass
class Exercise:
    label: str
    prompt: object
    data: list = field(default_factory=list)
    solutions: list = field(default_factory=list)
    checks: list = field(default_factory=list)
    problems: list = field(default_factory=list)


def parse(notebook) -> tuple[list[Exercise], list[str]]:
    """Return the exercises of a chapter in order, each with the cells of its sequence, and the problems found."""
    cells = notebook.cells
    exercises, problems = [], []
    index = 0
    while index < len(cells):
        cell = cells[index]
        is_prompt = cell.cell_type == "markdown" and ("exercise" in tags(cell) or "{exercise}" in cell.source)
        if not is_prompt:
            index += 1
            continue
        match = re.match(r"^(`{3,}|:{3,})\{exercise\}[ \t]*\S[^\n]*\n:label:[ \t]*(\S+)[ \t]*\n\n\S", cell.source)
        if not match:
            problems.append(
                f"cell {cell.get('id')}: a prompt starts with ```{{exercise}} Title, then :label:, a blank line, the task"
            )
            index += 1
            continue
        label = match.group(2)
        exercise = Exercise(label, cell)
        exercises.append(exercise)
        if not LABEL.fullmatch(label):
            exercise.problems.append(f"label {label!r} is not ex-<chapter slug>-<name>")
        if cell.get("id") != f"{label}-prompt" or tags(cell) != ["exercise"]:
            exercise.problems.append(
                f"prompt: id {cell.get('id')!r} (want {label}-prompt), tags {tags(cell)} (want ['exercise'])"
            )
        index += 1
        while (
            index < len(cells)
            and cells[index].cell_type == "code"
            and cells[index].get("id", "").startswith(f"{label}-data")
        ):
            exercise.data.append(cells[index])
            index += 1
        start_gate = f"```{{solution-start}} {label}\n:class: dropdown\n```"
        if not is_gate(cells, index, f"{label}-solution-start", "solution-start", start_gate):
            exercise.problems.append(
                f"after the prompt (and data cells): the gate {label}-solution-start, tags ['solution-start'], "
                f"source exactly {start_gate!r}"
            )
            continue
        index += 1
        while index < len(cells) and cells[index].cell_type == "code" and "solution" in tags(cells[index]):
            exercise.solutions.append(cells[index])
            index += 1
        for number, solution in enumerate(exercise.solutions, start=1):
            want = f"{label}-solution" + ("" if number == 1 else f"-{number}")
            meta = solution.metadata.get("nbgrader", {})
            if solution.get("id") != want or tags(solution) != ["solution"]:
                exercise.problems.append(
                    f"solution {number}: id {solution.get('id')!r} (want {want!r}), tags {tags(solution)}"
                )
            if meta != dict(SOLUTION_META, grade_id=solution.get("id")):
                exercise.problems.append(f"solution {solution.get('id')}: nbgrader metadata {meta}")
            if not re.search(r"### BEGIN SOLUTION\n.*### END SOLUTION", solution.source, re.DOTALL):
                exercise.problems.append(f"solution {solution.get('id')}: no ### BEGIN SOLUTION ... ### END SOLUTION")
        if not exercise.solutions:
            exercise.problems.append("no solution cell after the solution-start gate")
        if not is_gate(cells, index, f"{label}-solution-end", "solution-end", "```{solution-end}\n```"):
            exercise.problems.append(
                f"after the solutions: the gate {label}-solution-end, tags ['solution-end'], source exactly "
                "'```{solution-end}\\n```'"
            )
            continue
        index += 1
        while index < len(cells) and cells[index].cell_type == "code" and "check" in tags(cells[index]):
            exercise.checks.append(cells[index])
            index += 1
        for check in exercise.checks:
            meta = check.metadata.get("nbgrader", {})
            check_id = check.get("id", "")
            several = len(exercise.checks) > 1
            if not (check_id == f"{label}-check" and not several) and not (
                several and re.fullmatch(rf"{re.escape(label)}-check-[a-z0-9-]+", check_id)
            ):
                exercise.problems.append(
                    f"check id {check_id!r}: want {label}-check (one part) or {label}-check-<part> (several)"
                )
            points = meta.get("points")
            if {k: v for k, v in meta.items() if k != "points"} != dict(
                CHECK_META, grade_id=check_id
            ) or points not in (1, 2, 3):
                exercise.problems.append(f"check {check_id}: nbgrader metadata {meta} (points 1..3)")
            if tags(check) != ["check"]:
                exercise.problems.append(f"check {check_id}: tags {tags(check)}")
            if "### BEGIN HIDDEN TESTS" not in check.source:
                exercise.problems.append(
                    f"check {check_id}: no hidden tests (### BEGIN HIDDEN TESTS ... ### END HIDDEN TESTS)"
                )
        if not exercise.checks:
            exercise.problems.append("no check cell after the solution-end gate")
    return exercises, problems


def load_table(chapter: Path) -> dict | None:
    path = TABLES / f"{chapter.stem}.py"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location(f"exercise_table_{chapter.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.EXERCISES


def read(path: Path):
    return nbformat.read(path, as_version=4)


CHAPTERS = toc.chapters()


def cases():
    """One test case per (chapter, check, answer): the solution, each right answer, each wrong answer."""
    for chapter in CHAPTERS:
        table = load_table(chapter) or {}
        exercises, _ = parse(read(chapter))
        for exercise in exercises:
            entry = table.get(exercise.label, {})
            for check in exercise.checks:
                answers = entry.get("checks", {}).get(check.id, {})
                yield pytest.param(
                    chapter, exercise.label, check.id, "solution", None, id=f"{chapter.stem}:{check.id}:solution"
                )
                for kind in ("right", "wrong"):
                    for index in range(len(answers.get(kind, []))):
                        yield pytest.param(
                            chapter,
                            exercise.label,
                            check.id,
                            kind,
                            index,
                            id=f"{chapter.stem}:{check.id}:{kind}-{index + 1}",
                        )


_NOTEBOOKS: dict[Path, object] = {}


def chapter_notebook(chapter: Path):
    if chapter not in _NOTEBOOKS:
        _NOTEBOOKS[chapter] = read(chapter)
    return _NOTEBOOKS[chapter]


def run(source: str, namespace: dict, name: str) -> str:
    """Run a cell's source in ``namespace``; return what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(runnable(source), name, "exec"), namespace)
    return out.getvalue()


_PREPARED: dict[tuple[Path, str], dict] = {}


def prepared(chapter: Path, exercise: Exercise) -> dict:
    """The names after the setup cell, the exercise's data cells and the table's context (computed once)."""
    key = (chapter, exercise.label)
    if key not in _PREPARED:
        notebook = chapter_notebook(chapter)
        setup = [c for c in notebook.cells if c.get("id") == "setup"]
        assert setup, f"{chapter.name}: no cell with id 'setup'"
        namespace = {"__name__": "__main__"}
        run(setup[0].source, namespace, "<setup>")
        for cell in exercise.data:
            run(cell.source, namespace, f"<{cell.id}>")
        context = (load_table(chapter) or {}).get(exercise.label, {}).get("context")
        if context is not None:
            namespace.update(context(namespace))
        _PREPARED[key] = namespace
    return dict(_PREPARED[key])


def namespace_for(chapter: Path, label: str, check_id: str | None = None) -> tuple[dict, Exercise]:
    """The names a check sees when the solution has run: setup, data cells, context, solution cells, and the
    exercise's checks before ``check_id``."""
    notebook = chapter_notebook(chapter)
    exercise = next(e for e in parse(notebook)[0] if e.label == label)
    cwd = os.getcwd()
    os.chdir(NOTEBOOKS)
    try:
        namespace = prepared(chapter, exercise)
        for cell in exercise.solutions:
            run(cell.source, namespace, f"<{cell.id}>")
        for cell in exercise.checks:  # earlier parts may define what later parts' hidden tests use
            if cell.id == check_id:
                break
            run(cell.source, namespace, f"<{cell.id}>")
    finally:
        os.chdir(cwd)
    return namespace, exercise


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_every_exercise_follows_the_sequence_and_has_a_table_entry(chapter):
    exercises, problems = parse(read(chapter))
    problems += [f"{e.label}: {p}" for e in exercises for p in e.problems]
    assert exercises, f"{chapter.name} has no exercises"
    table = load_table(chapter)
    if table is None:
        problems.append(f"no exercise table tests/exercises/{chapter.stem}.py")
    else:
        labels = [e.label for e in exercises]
        problems += [f"{label}: exercise without a table entry" for label in labels if label not in table]
        problems += [
            f"{label}: table entry for an exercise that is not in the chapter" for label in table if label not in labels
        ]
        for exercise in exercises:
            entry = table.get(exercise.label, {})
            ids = [c.id for c in exercise.checks]
            listed = list(entry.get("checks", {}))
            problems += [f"{exercise.label}: check {i} has no table entry" for i in ids if i not in listed]
            problems += [
                f"{exercise.label}: table lists check {i}, which is not in the chapter" for i in listed if i not in ids
            ]
    assert not problems, f"{chapter.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_visible_checks_neither_assert_nor_show_the_answer(chapter):
    notebook = read(chapter)
    problems = []
    for exercise in parse(notebook)[0]:
        answer_values = []
        solved, _ = (
            namespace_for(chapter, exercise.label) if (load_table(chapter) or {}).get(exercise.label) else ({}, None)
        )
        for name in solution_names(exercise.solutions):
            value = solved.get(name)
            answer_values += shown_forms(value)
        for check in exercise.checks:
            tree = ast.parse(runnable(visible(check.source)))
            if any(isinstance(node, ast.Assert) for node in ast.walk(tree)):
                problems.append(f"{check.id}: the visible part asserts (the answer belongs in the hidden tests)")
            shown = "".join(
                o.get("text", "") + str(o.get("data", {}).get("text/plain", "")) for o in check.get("outputs", [])
            )
            leaked = [form for form in answer_values if re.search(rf"(?<![\w.]){re.escape(form)}(?![\w])", shown)]
            if leaked:
                problems.append(f"{check.id}: its stored output shows the answer ({leaked[0]!r})")
    assert not problems, "\n".join(problems)


def shown_forms(value) -> list[str]:
    """How an answer would look if a check printed it (only forms specific enough to mean something)."""
    import numpy as np

    if isinstance(value, bool) or value is None or callable(value):
        return []
    if isinstance(value, (int, np.integer)):
        return [str(int(value))] if abs(int(value)) >= 10 else []
    if isinstance(value, (float, np.floating)):
        return [f"{float(value):.{d}f}" for d in (2, 3, 4)] + (
            [str(int(value))] if float(value).is_integer() and abs(value) >= 10 else []
        )
    if (
        isinstance(value, (tuple, list))
        and len(value) >= 2
        and all(v is None or isinstance(v, (int, np.integer)) for v in value)
    ):
        return [str(tuple(value)), str(list(value))]
    return []


def solution_names(solutions) -> list[str]:
    """The names a solution defines at the top level of its cells."""
    names = []
    for cell in solutions:
        for node in ast.parse(runnable(cell.source)).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                names.append(node.name)
            for target in getattr(node, "targets", []) + [getattr(node, "target", None)]:
                for sub in ast.walk(target) if target is not None else []:
                    if isinstance(sub, ast.Name):
                        names.append(sub.id)
    return names


def defined_names(source: str) -> set[str]:
    """Every name a cell binds, at any depth (assignments, definitions, imports, parameters, loop targets)."""
    names = set()
    for node in ast.walk(ast.parse(runnable(source))):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_teaching_cells_do_not_use_names_only_a_solution_defines(chapter):
    notebook = read(chapter)
    exercises = parse(notebook)[0]
    solution_ids = {c.id for e in exercises for c in e.solutions}
    check_ids = {c.id for e in exercises for c in e.checks}
    only_in_solutions = set()
    for exercise in exercises:
        only_in_solutions |= set(solution_names(exercise.solutions))
    elsewhere = set()
    for cell in notebook.cells:
        if cell.cell_type == "code" and cell.id not in solution_ids:
            elsewhere |= defined_names(visible(cell.source))
    only_in_solutions -= elsewhere
    problems = []
    for cell in notebook.cells:
        if cell.cell_type != "code" or cell.id in solution_ids or cell.id in check_ids:
            continue
        used = {
            n.id
            for n in ast.walk(ast.parse(runnable(cell.source)))
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
        }
        for name in sorted(used & only_in_solutions):
            problems.append(f"cell {cell.id} uses {name!r}, which only a solution defines")
    assert not problems, f"{chapter.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_each_check_grades_its_own_part(chapter):
    """A check does not use what another check defines: if that one fails early, this one would fail too, and a
    student would lose the points of a part they got right."""
    notebook = read(chapter)
    exercises = parse(notebook)[0]
    check_cells = [c for e in exercises for c in e.checks]
    others = set()
    for cell in notebook.cells:
        if cell.cell_type == "code" and cell not in check_cells:
            others |= defined_names(cell.source)
    problems = []
    for check in check_cells:
        own = defined_names(check.source)
        used = {
            n.id
            for n in ast.walk(ast.parse(runnable(check.source)))
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
        }
        for other in check_cells:
            if other is not check:
                for name in sorted((used - own - others) & defined_names(other.source)):
                    problems.append(f"{check.id} uses {name!r}, which {other.id} defines")
    assert not problems, f"{chapter.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_every_exercise_cell_has_a_meaningful_id(chapter):
    notebook = read(chapter)
    bad = [
        c.get("id")
        for c in notebook.cells
        if set(tags(c)) & {"exercise", "solution", "solution-start", "solution-end", "check"}
        and not LABEL.match(c.get("id", ""))
    ]
    assert not bad, f"{chapter.name}: exercise cells with ids that do not name their exercise: {bad}"


@pytest.mark.parametrize("chapter, label, check_id, kind, index", list(cases()))
def test_check(chapter, label, check_id, kind, index):
    namespace, exercise = namespace_for(chapter, label, check_id)
    check = next(c for c in exercise.checks if c.id == check_id)
    import course

    if kind == "solution":
        run(check.source, namespace, f"<{check_id}>")
        return
    answers = load_table(chapter)[label]["checks"][check_id][kind][index]
    if kind == "right":
        namespace.update(answers[0] if isinstance(answers, tuple) else answers)
        run(check.source, namespace, f"<{check_id}>")
        return
    values, words = answers
    namespace.update(values)
    if words is None:
        run(visible(check.source), dict(namespace), f"<{check_id} visible>")
        with pytest.raises(AssertionError):
            run(check.source, namespace, f"<{check_id}>")
    else:
        with pytest.raises(course.ExerciseCheckError) as info:
            run(visible(check.source), namespace, f"<{check_id} visible>")
        assert words.lower() in str(info.value).lower(), (
            f"the hint {str(info.value)!r} does not name the mistake ({words!r})"
        )
