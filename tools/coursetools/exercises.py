"""The exercises of every chapter, read in one place: prompts, data cells, solutions, checks, hidden tests,
points and nbgrader metadata; and each chapter's table of right and wrong answers.

    python -m coursetools exercises list                            # chapters, exercises, points
    python -m coursetools exercises fingerprints tests/exercises/01_conv2d.py [CHECK_ID ...]

The chapters are the notebooks of `_toc.yml` (coursetools.chapters). An exercise is this sequence of cells:

* the prompt, a markdown cell ``<label>-prompt`` tagged ``exercise``: ```` ```{exercise} Title ````, then
  ``:label: ex-<chapter slug>-<name>``, a blank line and the task;
* optional code cells ``<label>-data...`` that set up what the task works on;
* the gate ``<label>-solution-start`` (tag ``solution-start``), the solution cells ``<label>-solution``,
  ``<label>-solution-2``... (tag ``solution``, nbgrader solution cells, the answer between
  ``### BEGIN SOLUTION`` and ``### END SOLUTION``) and the gate ``<label>-solution-end``;
* its check cells, ``<label>-check`` or ``<label>-check-<part>`` (tag ``check``, and ``hide-input`` where the
  full site should fold the code with its hidden tests; locked nbgrader grade cells of
  1 to 3 points): a visible part that gives hints (course.py's exercise checks) and the graded part between
  ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``.

The table tests/exercises/<notebook stem>.py holds ``EXERCISES = {label: {"minutes": ..., "skill": ..., "context":
..., "checks": {check id: {"right": [...], "wrong": [(values, hint words or None), ...]}}}}``: the minutes an
exercise takes and what it checks that a student can do (the instructors' table of exercises, written by
`python -m coursetools pages`), what stands in for slow earlier cells, and each check's right and wrong
answers. The table is the instructors' and the tests', never the students'. A wrong answer is written there once:
``fingerprints`` runs a check's visible part on each wrong answer and prints the dictionary of fingerprints that
its ``course.hint_if_known(...)`` calls take, keeping the hints already written in the check.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import importlib.util
import io
import json
import os
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from . import chapters as toc
from .settings import EXERCISE_TABLES, NOTEBOOKS, ROOT

TABLES = Path(os.environ.get("EXERCISE_TABLES", EXERCISE_TABLES))  # another folder: a draft table

LABEL = re.compile(r"ex-[a-z0-9]+(-[a-z0-9]+)+")
# An exercise directive: its title, its options (``:label: ...``) and, after a blank line, the task.
EXERCISE = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{exercise\}[ \t]*(?P<title>[^\n]*)\n(?P<options>(:[\w-]+:[^\n]*\n)*)(?P<rest>.*)",
    re.DOTALL | re.MULTILINE,
)
SOLUTION_REGION = re.compile(
    r"^[ \t]*### BEGIN SOLUTION[^\n]*\n(?P<body>.*?)^[ \t]*### END SOLUTION[^\n]*\n?", re.M | re.S
)
HIDDEN_TESTS = re.compile(
    r"^[ \t]*### BEGIN HIDDEN TESTS[^\n]*\n(?P<body>.*?)^[ \t]*### END HIDDEN TESTS[^\n]*\n?", re.M | re.S
)
GATE_START = "```{{solution-start}} {label}\n:class: dropdown\n```"
GATE_END = "```{solution-end}\n```"


def nbgrader_metadata(grade_id: str, points: int | None = None) -> dict:
    """Return nbgrader's metadata of a solution cell (``points`` None) or of a locked check cell."""
    if points is None:
        return {"grade": False, "grade_id": grade_id, "locked": False, "schema_version": 3, "solution": True,
                "task": False}  # fmt: skip
    return {"grade": True, "grade_id": grade_id, "locked": True, "points": points, "schema_version": 3,
            "solution": False, "task": False}  # fmt: skip


def tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def nbgrader(cell) -> dict:
    """A cell's nbgrader metadata ({} for a cell nbgrader does not grade)."""
    return cell.get("metadata", {}).get("nbgrader", {})


def visible(source: str) -> str:
    """A check cell as a student receives it: without its hidden tests, as nbgrader's ClearHiddenTests (which
    makes every release) removes them."""
    import nbformat

    cell = nbformat.v4.new_code_cell(source)
    return _clear_hidden_tests().preprocess_cell(cell, {}, 0)[0].source


@cache
def _clear_hidden_tests():
    from nbgrader.preprocessors import ClearHiddenTests

    return ClearHiddenTests(enforce_metadata=False)


def secret_regions(source: str) -> list[str]:
    """The solution regions and hidden tests of a cell's source: what a student never receives."""
    return [m.group("body") for pattern in (SOLUTION_REGION, HIDDEN_TESTS) for m in pattern.finditer(source)]


def runnable(source: str) -> str:
    """A cell's source as plain Python: IPython's magics and shell lines become the calls IPython makes of them."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def exercise_of(grade_id: str) -> str:
    """Return the exercise label of a check's grade id (``ex-conv2d-predict-check-shape`` -> ``ex-conv2d-predict``)."""
    return re.sub(r"-check(-[\w-]+)?$", "", grade_id)


# --------------------------------------------------------------------------------------------------
# Reading a chapter
# --------------------------------------------------------------------------------------------------


@dataclass
class Exercise:
    label: str
    title: str
    number: str  # as on the site: "1.2"
    prompt: object
    prompt_index: int  # the prompt's place among the notebook's cells
    data: list = field(default_factory=list)
    solutions: list = field(default_factory=list)
    checks: list = field(default_factory=list)
    problems: list = field(default_factory=list)

    @property
    def points(self) -> int:
        return sum(nbgrader(check).get("points", 0) for check in self.checks)


def _gate(cells, index: int, cell_id: str, tag: str, source: str) -> bool:
    """Whether cells[index] is the markdown gate with this id, this one tag and exactly this source."""
    gate = cells[index] if index < len(cells) else None
    return (
        gate is not None
        and gate.cell_type == "markdown"
        and gate.get("id") == cell_id
        and tags(gate) == [tag]
        and gate.source.strip() == source
    )


def _take(cells, index: int, accept) -> tuple[list, int]:
    """The code cells from ``index`` on that ``accept`` takes, and the index after them."""
    taken = []
    while index < len(cells) and cells[index].cell_type == "code" and accept(cells[index]):
        taken.append(cells[index])
        index += 1
    return taken, index


def _read_sequence(exercise: Exercise, cells, index: int) -> int:
    """Read the cells after an exercise's prompt into it, noting where they break the conventions."""
    label, problems = exercise.label, exercise.problems
    exercise.data, index = _take(cells, index, lambda c: c.get("id", "").startswith(f"{label}-data"))
    start = GATE_START.format(label=label)
    if not _gate(cells, index, f"{label}-solution-start", "solution-start", start):
        problems.append(f"after the prompt (and data cells): the gate {label}-solution-start, tags "
                        f"['solution-start'], source exactly {start!r}")  # fmt: skip
        return index
    exercise.solutions, index = _take(cells, index + 1, lambda c: "solution" in tags(c))
    for number, solution in enumerate(exercise.solutions, start=1):
        want = f"{label}-solution" + ("" if number == 1 else f"-{number}")
        if solution.get("id") != want or tags(solution) != ["solution"]:
            problems.append(f"solution {number}: id {solution.get('id')!r} (want {want!r}), tags {tags(solution)}")
        if nbgrader(solution) != nbgrader_metadata(solution.get("id")):
            problems.append(f"solution {solution.get('id')}: nbgrader metadata {nbgrader(solution)}")
        if not SOLUTION_REGION.search(solution.source):
            problems.append(f"solution {solution.get('id')}: no ### BEGIN SOLUTION ... ### END SOLUTION")
    if not exercise.solutions:
        problems.append("no solution cell after the solution-start gate")
    if not _gate(cells, index, f"{label}-solution-end", "solution-end", GATE_END):
        problems.append(f"after the solutions: the gate {label}-solution-end, tags ['solution-end'], source "
                        f"exactly {GATE_END!r}")  # fmt: skip
        return index
    exercise.checks, index = _take(cells, index + 1, lambda c: "check" in tags(c))
    several = len(exercise.checks) > 1
    for check in exercise.checks:
        check_id, meta = check.get("id", ""), nbgrader(check)
        if not (check_id == f"{label}-check" and not several) and not (
            several and re.fullmatch(rf"{re.escape(label)}-check-[a-z0-9-]+", check_id)
        ):
            problems.append(f"check id {check_id!r}: want {label}-check (one part) or {label}-check-<part> (several)")
        if meta.get("points") not in (1, 2, 3) or meta != nbgrader_metadata(check_id, meta.get("points")):
            problems.append(f"check {check_id}: nbgrader metadata {meta} (points 1..3)")
        if tags(check) not in (["check"], ["check", "hide-input"]):
            problems.append(f"check {check_id}: tags {tags(check)} (want ['check'], or ['check', 'hide-input'] to fold "
                            "its code, hidden tests included, on the full site)")  # fmt: skip
        if not HIDDEN_TESTS.search(check.source):
            problems.append(f"check {check_id}: no hidden tests (### BEGIN HIDDEN TESTS ... ### END HIDDEN TESTS)")
    if not exercise.checks:
        problems.append("no check cell after the solution-end gate")
    return index


def parse(notebook, chapter_number: int = 0) -> tuple[list[Exercise], list[str]]:
    """Return a chapter's exercises in order, each with the cells of its sequence, and the problems found
    outside any one exercise (cells that look like part of an exercise but are in none)."""
    cells = notebook.cells
    exercises, problems, claimed = [], [], set()
    index = 0
    while index < len(cells):
        cell = cells[index]
        match = EXERCISE.search(cell.source) if cell.cell_type == "markdown" else None
        if not match and not (cell.cell_type == "markdown" and "exercise" in tags(cell)):
            index += 1
            continue
        if match and match.start():
            problems.append(f"cell {cell.get('id')}: an exercise directive that does not start its cell")
        options = dict(re.findall(r"^:([\w-]+):[ \t]*(.*?)[ \t]*$", match.group("options"), re.M)) if match else {}
        label = options.get("label", f"(cell {cell.get('id')})")
        number = f"{chapter_number}.{len(exercises) + 1}"
        exercise = Exercise(label, match.group("title").strip() if match else "", number, cell, index)
        exercises.append(exercise)
        if not (
            match and match.group("title").strip() and "label" in options and re.match(r"\n\S", match.group("rest"))
        ):
            exercise.problems.append("a prompt starts with ```{exercise} Title, then :label:, a blank line, the task")
        if not LABEL.fullmatch(label):
            exercise.problems.append(f"label {label!r} is not ex-<chapter slug>-<name>")
        if cell.get("id") != f"{label}-prompt" or tags(cell) != ["exercise"]:
            exercise.problems.append(
                f"prompt: id {cell.get('id')!r} (want {label}-prompt), tags {tags(cell)} (want ['exercise'])"
            )
        start = index
        index = _read_sequence(exercise, cells, index + 1)
        claimed |= {c.get("id") for c in cells[start:index]}
    exercise_tags = {"exercise", "solution", "solution-start", "solution-end", "check"}
    for cell in cells:
        if (set(tags(cell)) & exercise_tags or nbgrader(cell)) and cell.get("id") not in claimed:
            problems.append(f"cell {cell.get('id')}: tagged {tags(cell)} or graded, but in no exercise's sequence")
    return exercises, problems


@dataclass
class Chapter:
    path: Path
    number: int
    notebook: object
    exercises: list[Exercise]
    problems: list[str]

    @property
    def title(self) -> str:
        """The notebook's first heading."""
        for cell in self.notebook.cells:
            match = re.search(r"^# (.+)$", cell.source, re.M) if cell.cell_type == "markdown" else None
            if match:
                return match.group(1).strip()
        return self.path.stem

    @property
    def table(self) -> dict | None:
        return load_table(self.path)

    def exercise(self, label: str) -> Exercise:
        return next(e for e in self.exercises if e.label == label)

    def check(self, check_id: str) -> tuple[Exercise, object]:
        return next((e, c) for e in self.exercises for c in e.checks if c.id == check_id)


@cache
def chapter(path: Path) -> Chapter:
    """Read a chapter notebook (once per process), numbered by its place in `_toc.yml`."""
    import nbformat

    path = Path(path).resolve()
    number = {p: n for n, p in enumerate(toc.chapters(), start=1)}.get(path, 0)
    notebook = nbformat.read(path, as_version=4)
    return Chapter(path, number, notebook, *parse(notebook, number))


def chapters() -> list[Chapter]:
    return [chapter(path) for path in toc.chapters()]


@cache
def load_table(notebook: Path) -> dict | None:
    """Return a chapter's table of right and wrong answers, or None if it has none."""
    path = TABLES / f"{Path(notebook).stem}.py"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location(f"exercise_table_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.EXERCISES


def answers(chapter_: Chapter, check_id: str) -> dict:
    """The table's right and wrong answers of one check: ``{"right": [...], "wrong": [...]}``."""
    label = exercise_of(check_id)
    return ((chapter_.table or {}).get(label, {}).get("checks", {})).get(check_id, {})


# --------------------------------------------------------------------------------------------------
# Running a check as a student's kernel would
# --------------------------------------------------------------------------------------------------


def run(source: str, namespace: dict, name: str) -> str:
    """Run a cell's source in ``namespace`` (in the notebooks' folder); return what it printed."""
    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(NOTEBOOKS)
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(runnable(source), name, "exec"), namespace)
    finally:
        os.chdir(cwd)
    return out.getvalue()


_PREPARED: dict[tuple[Path, str], dict] = {}


def _prepared(chapter_: Chapter, exercise: Exercise) -> dict:
    """The names after the setup cell, the exercise's data cells and the table's context (computed once)."""
    key = (chapter_.path, exercise.label)
    if key not in _PREPARED:
        import matplotlib

        # Figures drawn by cells run in this process go to a non-interactive backend. Set for this process
        # only: an MPLBACKEND variable would reach the kernels nbval starts in the same run, which store figures.
        matplotlib.use("Agg")
        cells = {c.get("id"): c for c in chapter_.notebook.cells}
        assert "setup" in cells, f"{chapter_.path.name}: no cell with id 'setup'"
        namespace = {"__name__": "__main__"}
        for cell_id in ("course-package", "setup"):  # the first code cell imports the course package
            if cell_id in cells:
                run(cells[cell_id].source, namespace, f"<{cell_id}>")
        for cell in exercise.data:
            run(cell.source, namespace, f"<{cell.id}>")
        context = (chapter_.table or {}).get(exercise.label, {}).get("context")
        if context is not None:
            namespace.update(context(namespace))
        _PREPARED[key] = namespace
    return dict(_PREPARED[key])


def solved_namespace(chapter_: Chapter, label: str, check_id: str | None = None) -> dict:
    """The names a check sees when the solution has run: setup, data cells, context, solution cells, and the
    exercise's checks before ``check_id`` (earlier parts may define what later parts' hidden tests use)."""
    exercise = chapter_.exercise(label)
    namespace = _prepared(chapter_, exercise)
    for cell in exercise.solutions:
        run(cell.source, namespace, f"<{cell.id}>")
    for cell in exercise.checks:
        if cell.id == check_id:
            break
        run(cell.source, namespace, f"<{cell.id}>")
    return namespace


# --------------------------------------------------------------------------------------------------
# Fingerprints of the wrong answers
# --------------------------------------------------------------------------------------------------


def _hint_if_known_calls(source: str) -> list[ast.Call]:
    """The ``hint_if_known(what, value, {fingerprint: hint})`` calls of a check's source."""
    return [
        node
        for node in ast.walk(ast.parse(runnable(source)))
        if isinstance(node, ast.Call)
        and getattr(node.func, "attr", getattr(node.func, "id", None)) == "hint_if_known"
        and len(node.args) >= 3
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[2], ast.Dict)
    ]


def written_hints(source: str) -> dict[str, dict[str, str]]:
    """The ``{fingerprint: hint}`` dictionary of each ``hint_if_known`` call of a check, by the answer's name."""
    found = {}
    for call in _hint_if_known_calls(source):
        found.setdefault(call.args[0].value, {}).update(ast.literal_eval(call.args[2]))
    return found


def _hint_calls(chapter_: Chapter, check_id: str, values: dict | None) -> list[tuple[str, str]]:
    """Run a check's visible part with ``values`` put in (None: the solution) and return the (what,
    fingerprint) of each ``hint_if_known`` call it makes before it stops."""
    exercise, check = chapter_.check(check_id)
    namespace = solved_namespace(chapter_, exercise.label, check_id)
    import course  # the module the setup cell imported

    namespace.update(values or {})
    calls = []
    original = course.hint_if_known
    course.hint_if_known = lambda what, value, known, decimals=3: calls.append(
        (what, course.fingerprint(value, decimals))
    )
    try:
        run(visible(check.source), namespace, f"<{check_id} visible>")
    except course.ExerciseCheckError:
        pass  # a hint about the answer's form: no fingerprint needed for it
    finally:
        course.hint_if_known = original
    return calls


def fingerprints(chapter_: Chapter, check_id: str) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    """Return, for one check, the ``{fingerprint: hint}`` dictionary of each ``hint_if_known`` call as the table's
    wrong answers need it (hints kept from the check, a placeholder naming the table's hint words for a new
    one), and the entries of the check that no wrong answer of the table produces."""
    _, check = chapter_.check(check_id)
    written = written_hints(check.source)
    right = set(_hint_calls(chapter_, check_id, None))
    wanted: dict[str, dict[str, str]] = {what: {} for what in written}
    for values, words in answers(chapter_, check_id).get("wrong", []):
        if words is None:
            continue  # passes the visible part by design: the hidden tests catch it
        for what, print_ in set(_hint_calls(chapter_, check_id, values)) - right:
            hint = written.get(what, {}).get(
                print_, f"TODO: a hint that names the mistake (the table expects {words!r})"
            )
            wanted.setdefault(what, {})[print_] = hint
    stale = {what: {k: v for k, v in hints.items() if k not in wanted.get(what, {})} for what, hints in written.items()}
    return wanted, {what: hints for what, hints in stale.items() if hints}


def format_hints(what: str, hints: dict[str, str], source: str = "") -> str:
    """A ``course.hint_if_known`` call with these hints, its value written as in the check's ``source``."""
    values = {call.args[0].value: ast.unparse(call.args[1]) for call in _hint_if_known_calls(source)}
    lines = [f"course.hint_if_known({json.dumps(what)}, {values.get(what, what)}, {{"]
    lines += [f"    {json.dumps(key)}: {json.dumps(hint, ensure_ascii=False)}," for key, hint in hints.items()]
    return "\n".join(lines + ["})"])


# --------------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coursetools exercises", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="every chapter's exercises, with their numbers, titles and points")
    prints = commands.add_parser("fingerprints", help="a check's hint_if_known dictionaries, from the exercise table")
    prints.add_argument("table", type=Path, help="tests/exercises/NN_name.py (or the chapter's notebook)")
    prints.add_argument("check_ids", nargs="*", help="check ids (default: every check of the chapter)")
    args = parser.parse_args(argv)

    if args.command == "list":
        for c in chapters():
            print(f"{c.number}. {c.title} ({c.path.relative_to(ROOT)})")
            for e in c.exercises:
                print(f"   {e.number} {e.title} [{e.label}]: {e.points} points in {len(e.checks)} part(s)")
    elif args.command == "fingerprints":
        path = NOTEBOOKS / f"{args.table.stem}.ipynb"
        if not path.is_file():
            parser.error(f"no chapter notebooks/{args.table.stem}.ipynb for {args.table}")
        chapter_ = chapter(path)
        for check_id in args.check_ids or [c.id for e in chapter_.exercises for c in e.checks]:
            wanted, stale = fingerprints(chapter_, check_id)
            for what, hints in wanted.items():
                print(f"# {check_id}\n{format_hints(what, hints, chapter_.check(check_id)[1].source)}\n")
            for what, hints in stale.items():
                print(f"# {check_id}: {what!r} has hints that no wrong answer of the table gives: {sorted(hints)}\n")
    return 0
