"""The book's tools on one command line: ``python -m coursetools COMMAND ...`` (each command has its --help).

The Makefile calls these; so can a maintainer.
"""

from __future__ import annotations

import sys
from importlib import import_module

# command: (module, what it does); the coursework commands hand their name on to coursetools.coursework.
COMMANDS = {
    "execute": ("execute", "re-execute chapters in place, in fresh kernels, with normalised metadata (make execute)"),
    "check": ("check", "an editor's loop for one chapter: execute, nbval, its tests, the book (make check)"),
    "build": ("build", "build the site into _build/html, warnings as errors, with the course kit (make book)"),
    "wheel": ("kit", "build the course package's wheel (make wheel); the site's build also makes the course kit"),
    "site-url": ("kit", "write the site's public address into every chapter's first cell (make site-url SITE_URL=...)"),
    "pdf": ("pdf", "the book as one PDF, printed by Debian's Chromium from the built site (make pdf)"),
    "bench": ("bench", "time each chapter and the book build, weigh every page (make bench)"),
    "evidence": (
        "evidence",
        "measure the chapters' comparisons over their seeds into src/course/evidence.json (make evidence)",
    ),
    "stability": (
        "stability",
        "re-execute chapters under other floating-point paths and compare (make test-stability)",
    ),
    "exercises": ("exercises", "list the exercises, print the fingerprints of a check's wrong answers"),
    "pages": ("pages", "write the lists of chapters and exercises in the README and the book's pages (--check)"),
    "sitecheck": ("sitecheck", "the weight of every page of a built site"),
    "student": ("coursework", "student notebooks and the student edition of the package (make student)"),
    "assignments": ("coursework", "a ready nbgrader course (make assignments)"),
    "book-student": ("coursework", "the solution-free site (make book-student)"),
    "scores": ("coursework", "per-exercise scores as CSV from an nbgrader gradebook"),
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        print("usage: python -m coursetools COMMAND ...", file=sys.stderr)
        for name, (_, what) in COMMANDS.items():
            print(f"  {name:13s} {what}", file=sys.stderr)
        return 2
    module_name, _ = COMMANDS[argv[0]]
    module = import_module(f"coursetools.{module_name}")
    if argv[0] == "site-url":
        return module.site_url_main(argv[1:])
    return module.main(argv if module_name == "coursework" else argv[1:])


if __name__ == "__main__":
    sys.exit(main())
