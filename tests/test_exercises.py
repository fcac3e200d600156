"""One harness for the exercises of every chapter listed in `_toc.yml`, on the exercise model of
coursetools.exercises (which also says the format of an exercise and of its table tests/exercises/<stem>.py).

For every check cell the harness builds a namespace as a student's kernel would have it (the chapter's `setup`
cell, the exercise's `-data` cells, the table's `context` stand-ins for slow earlier cells, the solution
cells), puts an answer into it and runs the check cell:

* the solution passes every check, and so does every listed right answer;
* a listed wrong answer with hint words fails in the visible part with an ExerciseCheckError that contains
  them; a wrong answer with hint words None passes the visible part and fails the hidden tests;
* every fingerprint a check holds is that of a wrong answer of the table (a wrong answer is written once).

It also checks the form the conventions give an exercise (cell sequence, ids, tags, nbgrader metadata), a table
entry for every exercise and check, visible parts without `assert` and without the answer in their stored
output, and teaching cells that do not use names only a solution defines. The right and wrong answer cases are
marked `slow` (`make check NB=...` runs a chapter's); the lists of exercises in the book's pages are
tests/test_pages.py's.
"""

from __future__ import annotations

import ast
import re

import numpy as np
import pytest

from coursetools import exercises

CHAPTERS = exercises.chapters()
BY_CHAPTER = pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.path.stem)


def cases():
    """One test case per (chapter, check, answer): the solution, each right answer, each wrong answer."""
    for chapter in CHAPTERS:
        for check in (c for e in chapter.exercises for c in e.checks):
            yield pytest.param(chapter, check.id, "solution", None, id=f"{chapter.path.stem}:{check.id}:solution")
            answers = exercises.answers(chapter, check.id)
            for kind in ("right", "wrong"):
                for index in range(len(answers.get(kind, []))):
                    case_id = f"{chapter.path.stem}:{check.id}:{kind}-{index + 1}"
                    yield pytest.param(chapter, check.id, kind, index, id=case_id, marks=pytest.mark.slow)


def loads(source: str) -> set[str]:
    """Every name a cell's source reads."""
    tree = ast.parse(exercises.runnable(source))
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def solution_names(solutions) -> list[str]:
    """The names a solution defines at the top level of its cells."""
    names = []
    for cell in solutions:
        for node in ast.parse(exercises.runnable(cell.source)).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                names.append(node.name)
            for target in getattr(node, "targets", []) + [getattr(node, "target", None)]:
                for sub in ast.walk(target) if target is not None else []:
                    if isinstance(sub, ast.Name):
                        names.append(sub.id)
    return names


def defined_names(source: str) -> set[str]:
    """Every name a cell binds, at any depth (assignments, definitions, imports, parameters, loop targets)."""
    return names_bound_in(ast.parse(exercises.runnable(source)))


def names_bound_in(tree: ast.AST) -> set[str]:
    """Every name a parsed cell binds, at any depth."""
    names = set()
    for node in ast.walk(tree):
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


def shown_forms(value) -> list[str]:
    """How an answer would look if a check printed it (only forms specific enough to mean something)."""
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


@BY_CHAPTER
def test_every_exercise_follows_the_sequence_and_has_a_table_entry(chapter):
    problems = chapter.problems + [f"{e.label}: {p}" for e in chapter.exercises for p in e.problems]
    assert chapter.exercises, f"{chapter.path.name} has no exercises"
    table = chapter.table
    if table is None:
        problems.append(f"no exercise table tests/exercises/{chapter.path.stem}.py")
    else:
        labels = [e.label for e in chapter.exercises]
        problems += [f"{label}: exercise without a table entry" for label in labels if label not in table]
        problems += [
            f"{label}: table entry for an exercise not in the chapter" for label in table if label not in labels
        ]
        for exercise in chapter.exercises:
            ids = [c.id for c in exercise.checks]
            listed = list(table.get(exercise.label, {}).get("checks", {}))
            problems += [f"{exercise.label}: check {i} has no table entry" for i in ids if i not in listed]
            problems += [f"{exercise.label}: table lists check {i}, not in the chapter" for i in listed if i not in ids]
    assert not problems, f"{chapter.path.name}:\n" + "\n".join(problems)


def test_a_check_may_fold_its_code_on_the_site_and_carries_no_other_tag():
    """``hide-input`` folds a check cell's code, hidden tests included, on the full site; other tags (which would
    remove the check or its output) are the sequence's problem."""
    import nbformat

    path = CHAPTERS[0].path
    for extra, accepted in ((["hide-input"], True), (["remove-input"], False), (["hide-output"], False)):
        notebook = nbformat.read(path, as_version=4)
        check = next(c for c in notebook.cells if "check" in exercises.tags(c))
        check.metadata["tags"] = ["check", *extra]
        found, outside = exercises.parse(notebook, 1)
        problems = outside + [p for e in found for p in e.problems]
        assert (not problems) is accepted, (extra, problems)
        assert accepted or any(check.id in p and "tags" in p for p in problems)


@pytest.mark.runs_code
@BY_CHAPTER
def test_visible_checks_neither_assert_nor_show_the_answer(chapter):
    problems = []
    for exercise in chapter.exercises:
        solved = (
            exercises.solved_namespace(chapter, exercise.label) if (chapter.table or {}).get(exercise.label) else {}
        )
        answer_values = [form for name in solution_names(exercise.solutions) for form in shown_forms(solved.get(name))]
        for check in exercise.checks:
            tree = ast.parse(exercises.runnable(exercises.visible(check.source)))
            if any(isinstance(node, ast.Assert) for node in ast.walk(tree)):
                problems.append(f"{check.id}: the visible part asserts (the answer belongs in the hidden tests)")
            shown = "".join(
                o.get("text", "") + str(o.get("data", {}).get("text/plain", "")) for o in check.get("outputs", [])
            )
            leaked = [form for form in answer_values if re.search(rf"(?<![\w.]){re.escape(form)}(?![\w])", shown)]
            if leaked:
                problems.append(f"{check.id}: its stored output shows the answer ({leaked[0]!r})")
    assert not problems, "\n".join(problems)


@BY_CHAPTER
def test_teaching_cells_do_not_use_names_only_a_solution_defines(chapter):
    solution_ids = {c.id for e in chapter.exercises for c in e.solutions}
    check_ids = {c.id for e in chapter.exercises for c in e.checks}
    only_in_solutions = {name for e in chapter.exercises for name in solution_names(e.solutions)}
    code = [cell for cell in chapter.notebook.cells if cell.cell_type == "code" and cell.id not in solution_ids]
    for cell in code:
        only_in_solutions -= defined_names(exercises.visible(cell.source))
    problems = [
        f"cell {cell.id} uses {name!r}, which only a solution defines"
        for cell in code
        if cell.id not in check_ids
        for name in sorted(loads(cell.source) & only_in_solutions)
    ]
    assert not problems, f"{chapter.path.name}:\n" + "\n".join(problems)


@BY_CHAPTER
def test_each_check_grades_its_own_part(chapter):
    """A check does not use what another check defines: if that one fails early, this one would fail too, and a
    student would lose the points of a part they got right."""
    check_cells = [c for e in chapter.exercises for c in e.checks]
    others = set()
    for cell in chapter.notebook.cells:
        if cell.cell_type == "code" and cell not in check_cells:
            others |= defined_names(cell.source)
    problems = [
        f"{check.id} uses {name!r}, which {other.id} defines"
        for check in check_cells
        for other in check_cells
        if other is not check
        for name in sorted((loads(check.source) - defined_names(check.source) - others) & defined_names(other.source))
    ]
    assert not problems, f"{chapter.path.name}:\n" + "\n".join(problems)


@pytest.mark.slow
@pytest.mark.runs_code
@pytest.mark.parametrize(
    "chapter, check_id",
    [(chapter, c.id) for chapter in CHAPTERS for e in chapter.exercises for c in e.checks],
    ids=lambda value: getattr(getattr(value, "path", None), "stem", value),
)
def test_every_fingerprint_of_a_check_is_a_wrong_answer_of_the_table(chapter, check_id):
    """`python -m coursetools exercises fingerprints` prints what the check should hold."""
    _, stale = exercises.fingerprints(chapter, check_id)
    assert not stale, f"{check_id}: hints for fingerprints that no wrong answer of the table has: {stale}"


@pytest.mark.slow
@pytest.mark.runs_code
def test_the_fingerprints_command_prints_the_call_a_check_holds(capsys):
    """`python -m coursetools exercises fingerprints TABLE CHECK` prints, for a check whose hints match its
    table, the very dictionary of fingerprints and hints its ``course.hint_if_known`` call holds, as a call to
    paste into the check."""
    chapter = next(c for c in CHAPTERS if any(e.checks for e in c.exercises) and c.table)
    check = next(c for e in chapter.exercises for c in e.checks if exercises.written_hints(c.source))
    assert exercises.main(["fingerprints", f"tests/exercises/{chapter.path.stem}.py", check.id]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith(f"# {check.id}\ncourse.hint_if_known(")
    assert exercises.written_hints(printed) == exercises.written_hints(check.source)
    calls = [ast.unparse(node) for node in ast.walk(ast.parse(printed)) if isinstance(node, ast.Call)]
    assert calls and all("TODO" not in call for call in calls)


@pytest.mark.runs_code
@pytest.mark.parametrize("chapter, check_id, kind, index", list(cases()))
def test_check(chapter, check_id, kind, index):
    import course

    exercise, check = chapter.check(check_id)
    namespace = exercises.solved_namespace(chapter, exercise.label, check_id)
    if kind == "solution":
        exercises.run(check.source, namespace, f"<{check_id}>")
        return
    answer = exercises.answers(chapter, check_id)[kind][index]
    if kind == "right":
        namespace.update(answer[0] if isinstance(answer, tuple) else answer)
        exercises.run(check.source, namespace, f"<{check_id}>")
        return
    values, words = answer
    namespace.update(values)
    if words is None:
        exercises.run(exercises.visible(check.source), dict(namespace), f"<{check_id} visible>")
        with pytest.raises(AssertionError):
            exercises.run(check.source, namespace, f"<{check_id}>")
    else:
        with pytest.raises(course.ExerciseCheckError) as info:
            exercises.run(exercises.visible(check.source), namespace, f"<{check_id} visible>")
        assert words.lower() in str(info.value).lower(), (
            f"the hint {str(info.value)!r} does not name the mistake ({words!r})"
        )
