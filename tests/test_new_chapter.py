"""A new chapter is four files: its notebook, its questions, its exercise table and its line in `_toc.yml`.

In a copy of the repository a throwaway sixth chapter is written as those four files, as the README's "Adding a
chapter" says; then the commands that the README names do the rest: `python -m coursetools bench` measures it
(its run time, its "Time to run" line and every list, `python -m coursetools pages`), and `python -m coursetools
check` executes it, compares it under nbval, builds the book with warnings as errors and runs its tests and
the tests of no chapter in particular (questions, hygiene, exercises with every right and wrong answer,
coursework, generated lists, book, site). Every one of them passes, and no file but the four and what those
commands write has changed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from coursetools import exercises
from coursetools.check import BUILT_BOOK_ENV
from coursetools.settings import NOTEBOOKS, ROOT

pytestmark = pytest.mark.slow

STEM = "06_tiny"
LABEL = "ex-tiny-positions"
WRONG_STEPS = 7  # n - k: the steps between window positions, not the positions
# What the commands write: the lists (coursetools.pages), the run times (make bench), the chapter's outputs.
GENERATED = {"README.md", "book/intro.md", "book/instructors.md", "book/setup.md", "src/course/run_times.json"}
FOUR_FILES = {
    f"notebooks/{STEM}.ipynb",
    f"src/course/questions/{STEM}.py",
    f"tests/exercises/{STEM}.py",
    "_toc.yml",
}

NUMERIC = """    Numeric(
        id="valid-{n}",
        section="{section}",
        prompt="A 3×3 kernel slides over a {n}×{n} input with stride 1 and 'valid' padding. How many rows come out?",
        answer=course.conv_output_size({n}, 3, 1, "valid"),
        explanation="n − k + 1 window positions.",
        mistakes=(Mistake({n} - 3, "That counts the steps between positions, not the positions."),),
    ),
"""
QUESTIONS = (
    f'''"""Self-check questions of the throwaway chapter {STEM}."""

import course
from course import Choice, Mistake, Numeric, Option

QUESTIONS = [
'''
    + "".join(NUMERIC.format(n=n, section=section) for n, section in ((6, "positions"), (7, "positions"), (9, "same")))
    + """    Numeric(
        id="same-rows",
        section="same",
        prompt="With 'same' padding and stride 1, how many rows does a 3×3 kernel give from 12 rows?",
        answer=course.conv_output_size(12, 3, 1, "same"),
        explanation="'same' keeps the input's size at stride 1.",
        mistakes=(Mistake(10, "That is 'valid' padding's count: 'same' adds the zeros that keep the size."),),
    ),
    Numeric(
        id="same-rows-stride",
        section="same",
        prompt="With 'same' padding and stride 2, how many rows does a 3×3 kernel give from 12 rows?",
        answer=course.conv_output_size(12, 3, 2, "same"),
        explanation="'same' gives n / s, rounded up.",
        mistakes=(Mistake(12, "The stride still divides the size with 'same' padding."),),
    ),
    Choice(
        id="same-size",
        section="same",
        prompt="What does 'same' padding keep at stride 1?",
        options=(
            Option("The input's size", "Right: it adds the zeros that keep it.", right=True),
            Option("The kernel's size", "The kernel does not set the output's size."),
            Option("The number of channels", "Channels are set by the number of filters."),
        ),
    ),
    Choice(
        id="channels-out",
        section="same",
        prompt="A 'same' Conv2D with 5 filters gets an input with 3 channels. How many channels come out?",
        options=(
            Option("One per filter", "Right: each filter gives one channel.", right=True),
            Option("As many as the input has", "The filters, not the input, set the output's channels."),
            Option("The product of both numbers", "Each filter sums over all input channels into one."),
        ),
    ),
]
"""
)

TABLE = f'''"""Right and wrong answers for the exercise of the throwaway chapter {STEM}."""

EXERCISES = {{
    "{LABEL}": {{
        "minutes": 5,
        "skill": "count the window positions of a 'valid' convolution",
        "context": None,
        "checks": {{
            "{LABEL}-check": {{
                "wrong": [
                    ({{"positions": {WRONG_STEPS}}}, "steps between"),
                    ({{"positions": "8"}}, "a whole number"),
                    ({{"positions": 9}}, None),
                ],
                "right": [{{"positions": 8}}],
            }},
        }},
    }},
}}
'''


def cell(kind: str, cell_id: str, source: str, tags: list[str] | None = None, **metadata):
    made = (nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell)(source)
    made.id = cell_id
    if tags:
        made.metadata["tags"] = tags
    made.metadata.update(metadata)
    return made


def tiny_chapter(course_package_cell: str) -> nbformat.NotebookNode:
    """A chapter written to the conventions of the others (tests/test_questions.py, tests/test_exercises.py)."""
    import course

    fingerprint = course.fingerprint(WRONG_STEPS)
    check = (
        'course.expect_type("positions", positions, int, "a whole number")\n'
        f'course.hint_if_known("positions", positions, {{"{fingerprint}": "counts the steps between window '
        'positions, not the positions"})\n'
        'course.passed("positions")\n'
        "### BEGIN HIDDEN TESTS\n"
        'assert positions == course.conv_output_size(10, 3, 1, "valid"), "positions is not right yet"\n'
        "### END HIDDEN TESTS"
    )
    cells = [
        cell("markdown", "title", "# A tiny chapter\n\nA chapter that exists to show what a chapter needs."),
        cell(
            "markdown",
            "learning-objectives",
            "## Learning objectives\n\nAfter this chapter you can:\n\n"
            "- count the positions of a window ({ref}`sec-tiny-positions`);\n"
            "- say what 'same' padding keeps ({ref}`sec-tiny-same`);\n"
            "- check a count against the course's rule ({ref}`sec-tiny-positions`).\n\n"
            "**Prerequisites:** [chapter 1](01_conv2d.ipynb).",
        ),
        cell("markdown", "run-time", "**Time to run:** not measured yet (measured by `make bench`)."),
        cell("code", "course-package", course_package_cell, ["hide-input"]),
        cell("code", "setup", "import course"),
        cell(
            "markdown", "positions", "(sec-tiny-positions)=\n## Window positions\n\nA window of 3 fits 8 times in 10."
        ),
        cell("code", "positions-rule", 'print(course.conv_output_size(10, 3, 1, "valid"))'),
        cell("code", "self-check-positions", f'course.self_check("{STEM}", "positions")', ["remove-input"]),
        cell("markdown", "same", "(sec-tiny-same)=\n## 'Same' padding\n\nAt stride 1 it keeps the input's size."),
        cell("code", "self-check-same", f'course.self_check("{STEM}", "same")', ["remove-input"]),
        cell("markdown", "summary", "## Summary\n\n- A 'valid' window of k fits n − k + 1 times.\n\n## Exercises"),
        cell(
            "markdown",
            f"{LABEL}-prompt",
            f"```{{exercise}} Count the positions\n:label: {LABEL}\n\n"
            "Set `positions` to the number of places a window of 3 takes along 10 pixels at stride 1.\n```",
            ["exercise"],
        ),
        cell("markdown", f"{LABEL}-solution-start", exercises.GATE_START.format(label=LABEL), ["solution-start"]),
        cell(
            "code",
            f"{LABEL}-solution",
            "### BEGIN SOLUTION\npositions = 10 - 3 + 1\n### END SOLUTION",
            ["solution"],
            nbgrader=exercises.nbgrader_metadata(f"{LABEL}-solution"),
        ),
        cell("markdown", f"{LABEL}-solution-end", exercises.GATE_END, ["solution-end"]),
        cell("code", f"{LABEL}-check", check, ["check"], nbgrader=exercises.nbgrader_metadata(f"{LABEL}-check", 1)),
    ]
    metadata = {
        "course": {"summary": "a chapter that shows what a chapter needs: four files."},
        "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"},
        "language_info": {"name": "python"},
    }
    return nbformat.v4.new_notebook(cells=cells, metadata=metadata)


def copy_of_the_repository(target: Path) -> Path:
    """The repository's files as they are in this working tree (what git tracks, and new files not ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def run(copy: Path, *args: str, timeout: int = 1800) -> subprocess.CompletedProcess:
    """Run one of the book's commands in the copy: its own tools and course package come first on the path."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(copy / "tools"), str(copy / "src")]))
    env.pop("PYTEST_CURRENT_TEST", None)
    env.pop(BUILT_BOOK_ENV, None)
    return subprocess.run([sys.executable, *args], cwd=copy, env=env, capture_output=True, text=True, timeout=timeout)


def changed_files(copy: Path) -> set[str]:
    """The files of the copy that differ from, or are not in, this working tree (builds and caches aside)."""
    changed = set()
    for path in copy.rglob("*"):
        name = path.relative_to(copy).as_posix()
        if not path.is_file() or name.startswith("_build/") or "__pycache__" in path.parts:
            continue
        original = ROOT / name
        if not original.is_file() or original.read_bytes() != path.read_bytes():
            changed.add(name)
    return changed


def test_a_new_chapter_is_four_files(tmp_path):
    copy = copy_of_the_repository(tmp_path / "repository")
    first = nbformat.read(NOTEBOOKS / exercises.toc.chapters()[0].name, as_version=4)
    course_package = next(c.source for c in first.cells if c.get("id") == "course-package")
    nbformat.write(tiny_chapter(course_package), copy / "notebooks" / f"{STEM}.ipynb")
    (copy / "src" / "course" / "questions" / f"{STEM}.py").write_text(QUESTIONS, encoding="utf-8")
    (copy / "tests" / "exercises" / f"{STEM}.py").write_text(TABLE, encoding="utf-8")
    toc = (copy / "_toc.yml").read_text(encoding="utf-8")
    last = f"      - file: notebooks/{exercises.toc.chapters()[-1].stem}\n"
    (copy / "_toc.yml").write_text(toc.replace(last, f"{last}      - file: notebooks/{STEM}\n"), encoding="utf-8")

    bench = run(copy, "-m", "coursetools", "bench", "--only-chapters", "--chapters", STEM, "--out", "_build/b.json")
    assert bench.returncode == 0, bench.stdout[-3000:] + bench.stderr[-3000:]
    check = run(copy, "-m", "coursetools", "check", f"notebooks/{STEM}.ipynb")
    summary = check.stdout[check.stdout.rfind("==> make check") :]
    assert check.returncode == 0, f"make check of the new chapter failed:\n{summary}\n{check.stderr[-2000:]}"
    assert "code changed" in summary and "ok     nbval" in summary and "ok     book" in summary, summary

    assert changed_files(copy) == FOUR_FILES | GENERATED, "files beyond the four and what the commands write"
    seconds = json.loads((copy / "src" / "course" / "run_times.json").read_text())["seconds"]
    assert STEM in seconds, "make bench measured the new chapter"
    intro = (copy / "book" / "intro.md").read_text(encoding="utf-8")
    assert f"6. [A tiny chapter](../notebooks/{STEM}.ipynb): a chapter that shows" in intro
    assert (
        "| **6.1** Count the positions | count the window positions" in (copy / "book" / "instructors.md").read_text()
    )
