"""The lists that name every chapter or exercise, written from the chapters' own files.

    python -m coursetools pages            # write every list
    python -m coursetools pages --check    # say which lists are out of date, change nothing (tests/test_pages.py)

A chapter is four files: its notebook, its questions (src/course/questions/<chapter>.py), its exercise table
(tests/exercises/<chapter>.py) and its line in `_toc.yml`. Everything else that lists the chapters is written
from those, between two marker lines that name this command, and nowhere else by hand:

* README.md, the table of chapters: number, title (the notebook's first heading), notebook;
* book/intro.md, the list of chapters: number, title, link, and the chapter's summary, the notebook's metadata
  ``course.summary`` (one or two sentences a reader chooses a chapter by);
* book/instructors.md, the table of exercises: number and title (the notebook's exercise directive), what it
  checks that a student can do and the minutes it takes (the ``skill`` and ``minutes`` of its entry in the
  exercise table: instructors' words, which may name the answer, so never in the notebook), and its points
  (the check cells');
* book/setup.md, the table of run times, from the course package's run_times.json (`make bench` writes both).

The order in which `make test` starts the chapters (tests/conftest.py) and the chapters `make bench` measures
are read from the same files when they run, so they have no list to keep.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import exercises
from .settings import ROOT, RUN_TIMES

COMMAND = "python -m coursetools pages"
WIDTH = 110  # the line length of the book's Markdown


@dataclass
class GeneratedList:
    """A list written between two marker lines of a file."""

    path: Path
    name: str
    render: Callable[[], str]
    comment: tuple[str, str] = ("% ", "")  # MyST's comment line (the site shows nothing of it)

    @property
    def start(self) -> str:
        open_, close = self.comment
        return f"{open_}{self.name}: written by `{COMMAND}` from the chapters' files{close}"

    @property
    def end(self) -> str:
        open_, close = self.comment
        return f"{open_}end of {self.name}{close}"

    def updated(self, text: str) -> str:
        """The file's text with this list written anew between its markers."""
        if self.start not in text or self.end not in text:
            raise ValueError(
                f"{self.path.relative_to(ROOT)} has no marker lines for the {self.name}: put the two lines "
                f"{self.start!r} and {self.end!r} where the list belongs"
            )
        before, rest = text.split(self.start, 1)
        _, after = rest.split(self.end, 1)
        return f"{before}{self.start}\n{self.render().strip()}\n{self.end}{after}"


def wrapped(text: str, indent: str) -> str:
    """A list item's text wrapped to the book's line length, continuation lines indented."""
    return "\n".join(
        textwrap.wrap(text, WIDTH, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False)
    )


def chapter_summary(chapter: exercises.Chapter) -> str:
    summary = chapter.notebook.metadata.get("course", {}).get("summary", "").strip()
    if not summary:
        raise ValueError(
            f"{chapter.path.name} has no summary: set its notebook metadata course.summary to the sentence or two "
            "the introduction lists it with (JupyterLab: Property Inspector, Notebook metadata)"
        )
    return " ".join(summary.split())


def readme_chapters() -> str:
    rows = ["| chapter | notebook |", "| --- | --- |"]
    rows += [f"| {c.number}. {c.title} | `{c.path.relative_to(ROOT)}` |" for c in exercises.chapters()]
    return "\n".join(rows)


def intro_chapters() -> str:
    items = []
    for chapter in exercises.chapters():
        link = f"../{chapter.path.relative_to(ROOT).as_posix()}"
        item = f"{chapter.number}. [{chapter.title}]({link}): {chapter_summary(chapter)}"
        items.append(wrapped(item, " " * len(f"{chapter.number}. ")))
    return "\n".join(items)


def instructors_exercises() -> str:
    rows = [
        "| exercise | what it checks that the student can do | time | points |",
        "| --- | --- | --- | --- |",
    ]
    for chapter in exercises.chapters():
        table = chapter.table or {}
        for exercise in chapter.exercises:
            entry = table.get(exercise.label, {})
            if not entry.get("skill") or not isinstance(entry.get("minutes"), int):
                raise ValueError(
                    f'tests/exercises/{chapter.path.stem}.py: the entry {exercise.label!r} needs "skill" (what the '
                    'exercise checks that a student can do) and "minutes" (a whole number) for book/instructors.md'
                )
            skill = " ".join(entry["skill"].split())
            rows.append(
                f"| **{exercise.number}** {exercise.title} | {skill} | {entry['minutes']} min | {exercise.points} |"
            )
    return "\n".join(rows)


def setup_run_times() -> str:
    import course.runtimes

    seconds = course.runtimes.run_times(RUN_TIMES)
    rows = ["| chapter | time to run |", "| --- | --- |"]
    for chapter in exercises.chapters():
        stem = chapter.path.stem
        measured = course.runtimes.format_run_time(seconds[stem]) if stem in seconds else "not measured yet"
        rows.append(f"| {chapter.number}. {chapter.title} | {measured} |")
    return "\n".join(rows)


def generated_lists() -> list[GeneratedList]:
    return [
        GeneratedList(ROOT / "README.md", "chapters", readme_chapters, ("<!-- ", " -->")),
        GeneratedList(ROOT / "book" / "intro.md", "chapters", intro_chapters),
        GeneratedList(ROOT / "book" / "instructors.md", "exercises", instructors_exercises),
        GeneratedList(ROOT / "book" / "setup.md", "run times", setup_run_times),
    ]


def stale() -> list[str]:
    """What is out of date: one line per list whose file differs from what this command would write."""
    found = []
    for generated in generated_lists():
        text = generated.path.read_text(encoding="utf-8")
        try:
            if generated.updated(text) != text:
                found.append(f"{generated.path.relative_to(ROOT)}: the {generated.name} are out of date: run {COMMAND}")
        except ValueError as problem:
            found.append(str(problem))
    return found


def write() -> list[Path]:
    """Write every list; return the files that changed."""
    changed = []
    for generated in generated_lists():
        text = generated.path.read_text(encoding="utf-8")
        updated = generated.updated(text)
        if updated != text:
            generated.path.write_text(updated, encoding="utf-8")
            changed.append(generated.path)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say which lists are out of date")
    args = parser.parse_args(argv)
    if args.check:
        problems = stale()
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    try:
        changed = write()
    except ValueError as problem:
        print(problem, file=sys.stderr)
        return 1
    for path in changed:
        print(f"wrote {path.relative_to(ROOT)}")
    if not changed:
        print("every list is up to date")
    return 0
