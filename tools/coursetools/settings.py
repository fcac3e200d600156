"""One home for what the book's tools share: where things are, how the book is built, the time limits, the course id.

The Makefile, the tests and the classroom read these names instead of writing them again.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository
NOTEBOOKS = ROOT / "notebooks"  # the chapters, where they run (their working directory)
PACKAGE = ROOT / "src" / "course"  # the course package the chapters import
RUN_TIMES = PACKAGE / "run_times.json"  # each chapter's time to run, written by make bench, stated by the chapter
EXERCISE_TABLES = ROOT / "tests" / "exercises"  # each chapter's table of right and wrong answers
BUILD = ROOT / "_build"
KERNEL_CONFIG = ROOT / "tools" / "ipython_kernel_config.py"  # every kernel of the course environment reads it
BIN = Path(sys.executable).parent  # the course environment's commands (jupyter-book, nbgrader, jupyter)

# The course's id in nbgrader (the course folder's name on the hub, the gradebook's course).
COURSE_ID = "convolutional-autoencoders"


def _nbval_option(name: str) -> str:
    """Return the value of one of nbval's options in pytest.ini's addopts, the home of nbval's settings."""
    import configparser
    import shlex

    config = configparser.ConfigParser()
    config.read(ROOT / "pytest.ini", encoding="utf-8")
    options = shlex.split(config["pytest"]["addopts"])
    return options[options.index(name) + 1]


# Time limits, in seconds.
# One cell of a chapter where the book's tools run it (make execute, nbval in make test, make test-stability,
# make bench): pytest.ini's --nbval-cell-timeout.
CELL_TIMEOUT = int(_nbval_option("--nbval-cell-timeout"))
# A whole chapter (make bench, make test-stability).
NOTEBOOK_TIMEOUT = 1800
# One cell when nbgrader grades (c.Execute.timeout; nbgrader's default, 30 s, interrupts chapter 3's training and
# scores it 0). Derived from measurement on a 2-core CPU without a GPU: the longest cell is a training cell of up
# to LONGEST_CELL_SECONDS; on a busy machine grading took three times as long as on an idle one, and
# GRADING_TIMEOUT_MARGIN times the longest cell leaves room for that.
LONGEST_CELL_SECONDS = 180
GRADING_TIMEOUT_MARGIN = 4
GRADING_CELL_TIMEOUT = LONGEST_CELL_SECONDS * GRADING_TIMEOUT_MARGIN


# Speed and size targets on a quiet 2-core machine without a GPU: make bench prints each figure beside its target.
TARGETS = {
    "chapter": 180,  # seconds to execute one chapter
    "book build": 30,  # seconds
    "make test": 15 * 60,  # seconds
    "make test-fast": 60,  # seconds
    "chapter page": 2_000_000,  # bytes that a chapter page and what it loads weigh, text gzip-compressed
}


def book_build_command(source: Path = ROOT, out: Path = ROOT) -> list[str]:
    """Return the command that builds the book in ``source`` into ``out``/_build/html: every page again
    (``--all``), warnings as errors (``-W``), every reference checked (``-n``), all problems listed (``--keep-going``)."""
    return [
        str(BIN / "jupyter-book"),
        "build",
        str(source),
        "--path-output",
        str(out),
        "--all",
        "-W",
        "-n",
        "--keep-going",
    ]
