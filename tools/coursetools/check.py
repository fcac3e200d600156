"""An editor's loop for one chapter: re-execute it, test it and build the book, then say what failed and where.

    python -m coursetools check notebooks/03_conv_autoencoder.ipynb       # make check NB=notebooks/03_conv_autoencoder.ipynb

The steps, each run even when an earlier one failed:

1. execute: the chapter re-executed in place (coursetools.execute; left unchanged if a cell raises);
2. nbval: the stored outputs compared with a fresh run;
3. tests: the chapter's exercise and coursework tests (tests/test_exercises.py, tests/test_coursework.py), every
   right and wrong answer of its table included, the checks of the stored notebook (tests/test_hygiene.py:
   executed in order, clean outputs, size) and the test of the pages that list the chapters;
4. book: `jupyter-book build` of the whole book into _build/html, warnings as errors.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

from .settings import BIN, ROOT, book_build_command

PYTEST_PROBLEM = re.compile(r"^(FAILED|ERROR) .*$", re.MULTILINE)
CHAPTER_TESTS = ["tests/test_exercises.py", "tests/test_coursework.py", "tests/test_hygiene.py"]
BUILD_PROBLEM = re.compile(r"^.*\b(WARNING|ERROR|CRITICAL)\b.*$", re.MULTILINE)


def steps(notebook: Path) -> list[tuple[str, list[str], object]]:
    """The steps of the loop: a name, a command, and what picks the lines that say what failed and where."""
    pytest = [str(BIN / "python"), "-m", "pytest", "-q", "-rfE", "--tb=short"]
    return [
        ("execute", [str(BIN / "python"), "-m", "coursetools", "execute", str(notebook)], execution_problems),
        ("nbval", [*pytest, str(notebook)], partial(lines_matching, PYTEST_PROBLEM)),
        (
            "tests",
            [*pytest, *CHAPTER_TESTS, "-k", f"{notebook.stem} or pages"],
            partial(lines_matching, PYTEST_PROBLEM),
        ),
        (
            "book",
            book_build_command(),
            partial(lines_matching, BUILD_PROBLEM),
        ),
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


def run(name: str, command: list[str]) -> tuple[int, str, float]:
    """Run one step with its output shown as it comes; return its exit code, its output and its wall time."""
    print(f"\n==> {name}: {' '.join(command)}", flush=True)
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = []
    for line in process.stdout:
        sys.stdout.write(line)
        output.append(line)
    return process.wait(), "".join(output), time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or not argv[0].endswith(".ipynb"):
        print("usage: make check NB=notebooks/NN_name.ipynb", file=sys.stderr)
        return 2
    notebook = Path(argv[0])
    if not (ROOT / notebook).is_file():
        print(f"{notebook}: no such notebook (make check NB=notebooks/NN_name.ipynb)", file=sys.stderr)
        return 2
    results = []
    for name, command, problems in steps(notebook):
        code, output, seconds = run(name, command)
        results.append((name, code, seconds, problems(output) if code else []))
    print(f"\n==> make check NB={notebook}")
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
