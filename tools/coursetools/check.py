"""An editor's loop for one chapter: test it and build the book, re-executing it only when its code changed.

    python -m coursetools check notebooks/03_conv_autoencoder.ipynb       # make check NB=notebooks/03_conv_autoencoder.ipynb

First the chapter is compared with the last commit (``git show HEAD:<notebook>``). When its code cells (source,
tags and metadata, stored outputs, execution counts) and the notebook's metadata are identical to the
committed ones, and nothing the chapter runs changed either (the course package in src/, the kernel
configuration, the locked requirements), only its prose changed: no output can differ, so execution and nbval
are skipped, and so are the tests that run the chapter's code (marker ``runs_code``; they run when its
exercise table, tests/exercises/<chapter>.py, changed). Otherwise, and for a chapter git does not know yet,
every step runs.

The steps, each run even when an earlier one failed:

1. execute (code changed): the chapter re-executed in place (coursetools.execute; left unchanged if a cell
   raises);
2. nbval (code changed): the stored outputs compared with a fresh run;
3. book: `jupyter-book build` of the whole book into _build/html, warnings as errors;
4. tests, on that build: in CHAPTER_TESTS (questions, hygiene, exercises, coursework, generated pages, book,
   site), the chapter's tests and those of no chapter in particular but the slow ones (the book's and the
   site's kept); with code changes, the right and wrong answers of its exercise table and its student version
   run too.

Then it says what failed and where: the failing cell, test or page.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from .chapters import chapters
from .settings import BIN, BUILD, ROOT, book_build_command

PYTEST_PROBLEM = re.compile(r"^(FAILED|ERROR) .*$", re.MULTILINE)
BUILD_PROBLEM = re.compile(r"^.*\b(WARNING|ERROR|CRITICAL)\b.*$", re.MULTILINE)
CHAPTER_TESTS = [
    "tests/test_questions.py",
    "tests/test_hygiene.py",
    "tests/test_exercises.py",
    "tests/test_coursework.py",
    "tests/test_pages.py",
    "tests/test_book.py",
    "tests/test_site.py",
]
# What a chapter runs besides its own cells: a change here can change its outputs although its cells did not.
RUN_INPUTS = ["src", "tools/ipython_kernel_config.py", "requirements-lock.txt"]
# Where the book step leaves its build for the tests (tests/conftest.py reads BUILT_BOOK_ENV instead of building).
BUILT_BOOK_ENV = "COURSE_BUILT_BOOK"


@dataclass
class Step:
    name: str
    command: list[str]
    problems: object  # what picks the lines that say what failed and where, from the step's output
    env: dict = field(default_factory=dict)


def code_of(notebook: dict) -> dict:
    """What of a notebook can change an output or what nbval compares: its metadata and its code cells, whole
    (source, metadata and tags, outputs, execution count), in order; markdown and raw cells are left out."""
    cells = [cell for cell in notebook.get("cells", []) if cell.get("cell_type") == "code"]
    return _normal({"metadata": notebook.get("metadata", {}), "code": cells})


def _normal(value):
    """A notebook value with its multi-line strings joined (a cell's source may be stored as a list of lines)."""
    if isinstance(value, dict):
        return {key: _normal(item) for key, item in value.items() if key != "id"}  # a cell's id runs nothing
    if isinstance(value, list) and all(isinstance(item, str) for item in value) and value:
        return "".join(value)
    if isinstance(value, list):
        return [_normal(item) for item in value]
    return value


def git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)


def prose_only(notebook: Path) -> tuple[bool, str]:
    """Whether only the chapter's prose changed since the last commit, and why (or why not)."""
    relative = notebook.resolve().relative_to(ROOT).as_posix()
    committed = git("show", f"HEAD:{relative}")
    if committed.returncode:
        return False, f"{relative} is not in the last commit"
    if code_of(json.loads(committed.stdout)) != code_of(json.loads((ROOT / relative).read_text(encoding="utf-8"))):
        return False, "its code cells, their outputs or the notebook's metadata differ from the last commit"
    changed = git("status", "--porcelain", "--", *RUN_INPUTS)
    if changed.returncode or changed.stdout.strip():
        files = ", ".join(line[3:] for line in changed.stdout.splitlines()[:3]) or changed.stderr.strip()
        return False, f"what the chapter runs changed since the last commit ({files})"
    return True, "its code cells and stored outputs are those of the last commit: only its prose changed"


def steps(notebook: Path, prose: bool) -> list[Step]:
    """The steps of the loop for a chapter, with the chapter's code unchanged (``prose``) or changed."""
    python = str(BIN / "python")
    pytest = [python, "-m", "pytest", "-q", "-rfE", "--tb=short"]
    # This chapter's tests and those of no chapter, but of the latter only the quick ones, the book's and the site's.
    others = " or ".join(path.stem for path in chapters() if path.stem != notebook.stem) or "no_other_chapter"
    selection = ["-k", f"not ({others}) and ({notebook.stem} or not slow or test_book.py or test_site.py)"]
    # An exercise table read by the answers' tests only: its change runs them, not the chapter.
    table = git("status", "--porcelain", "--", f"tests/exercises/{notebook.stem}.py").stdout.strip()
    selection += ["-m", "not runs_code"] if prose and not table else []
    problems = partial(lines_matching, PYTEST_PROBLEM)
    executed = [
        Step("execute", [python, "-m", "coursetools", "execute", str(notebook)], execution_problems),
        Step("nbval", [*pytest, str(notebook)], problems),
    ]
    return [
        *([] if prose else executed),
        Step("book", book_build_command(ROOT, ROOT), partial(lines_matching, BUILD_PROBLEM)),
        Step("tests", [*pytest, *CHAPTER_TESTS, *selection], problems, {BUILT_BOOK_ENV: str(BUILD)}),
    ]


def lines_matching(pattern: re.Pattern, text: str) -> list[str]:
    return [match.group(0).strip() for match in pattern.finditer(text)]


def execution_problems(text: str) -> list[str]:
    """The error a failed execution ended with, and the first line of the cell that raised it."""
    if "FAILED" not in text:
        return [line for line in text.splitlines() if "no such notebook" in line]
    blocks = text.split("------------------")
    cell = blocks[1].strip().splitlines()[0] if len(blocks) > 2 and blocks[1].strip() else "?"
    errors = [line for line in text.splitlines() if re.match(r"^\w*(Error|Exception)\b.*:", line)]
    return [f"{errors[-1] if errors else 'the execution failed'} (in the cell that starts: {cell})"]


def run(step: Step) -> tuple[int, str, float]:
    """Run one step with its output shown as it comes; return its exit code, its output and its wall time."""
    print(f"\n==> {step.name}: {' '.join(step.command)}", flush=True)
    start = time.perf_counter()
    process = subprocess.Popen(
        step.command,
        cwd=ROOT,
        env={**os.environ, **step.env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = []
    for line in process.stdout:
        sys.stdout.write(line)
        output.append(line)
    return process.wait(), "".join(output), time.perf_counter() - start


def record_build(code: int, output: str, folder: Path = BUILD) -> None:
    """Leave the book step's result where the tests' ``built_site`` fixture reads it (BUILT_BOOK_ENV)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "build.log").write_text(output)
    (folder / "build.returncode").write_text(str(code))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or not argv[0].endswith(".ipynb"):
        print("usage: make check NB=notebooks/NN_name.ipynb", file=sys.stderr)
        return 2
    notebook = Path(argv[0])
    if not (ROOT / notebook).is_file():
        print(f"{notebook}: no such notebook (make check NB=notebooks/NN_name.ipynb)", file=sys.stderr)
        return 2
    prose, why = prose_only(ROOT / notebook)
    print(f"==> {notebook}: {why}: " + ("no execution, no nbval" if prose else "every step"), flush=True)
    results = []
    for step in steps(notebook, prose):
        code, output, seconds = run(step)
        if step.name == "book":
            record_build(code, output)
        results.append((step.name, code, seconds, step.problems(output) if code else []))
    print(f"\n==> make check NB={notebook} ({'prose only' if prose else 'code changed'}: {why})")
    for name, code, seconds, problems in results:
        print(f"{'ok    ' if code == 0 else 'FAILED'} {name:<10} {seconds:6.1f} s")
        for problem in problems or ([] if code == 0 else ["(see its output above)"]):
            print(f"         {problem}")
    total = sum(seconds for _, _, seconds, _ in results)
    failed = [name for name, code, _, _ in results if code]
    print(
        f"steps: {len(results) - len(failed)} ok, {len(failed)} failed ({', '.join(failed) or 'none'}), {total:.0f} s"
    )
    return 1 if failed else 0
