"""Shared fixtures: the project's paths and one build of the book."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock

from course.runtimes import run_times
from coursetools.chapters import chapters
from coursetools.check import BUILT_BOOK_ENV, record_build
from coursetools.settings import ROOT, RUN_TIMES, book_build_command

# `make test` hands whole files to its pytest-xdist workers in collection order (--dist loadfile
# --no-loadscope-reorder): starting with the longest ones and leaving the many short files to fill the gaps ends
# the run soonest. The chapters come in by their run time (run_times.json, which `make bench` writes): those that
# train (a minute or more) first, then the slowest test files (measured with --durations), then the quick chapters.
SLOW_TEST_FILES = [
    "tests/test_kit.py",
    "tests/test_nbgrader.py",
    "tests/test_new_chapter.py",
    "classroom/tests/test_grade.py",
    "tests/test_browser.py",
    "tests/test_explorer.py",
    "tests/test_coursework.py",
]
LAST_SLOW_TEST_FILES = ["tests/test_jupyterlab.py"]
TRAINING_SECONDS = 60


def longest_first() -> list[str]:
    """The files to start first, longest first: the chapters that train, the slow test files, the other chapters."""
    seconds = run_times(RUN_TIMES)
    by_time = sorted(chapters(), key=lambda path: -seconds.get(path.stem, 0.0))
    training = [path for path in by_time if seconds.get(path.stem, 0.0) >= TRAINING_SECONDS]
    quick = [path.relative_to(ROOT).as_posix() for path in by_time if path not in training]
    return [path.relative_to(ROOT).as_posix() for path in training] + SLOW_TEST_FILES + quick + LAST_SLOW_TEST_FILES


def pytest_collection_modifyitems(items):
    """Mark nbval's cells `notebook` and `slow`, so that `-m "not notebook"` runs no notebook; put the longest
    files first (a stable sort: the order within a file, which nbval needs, is kept)."""
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebook)
            item.add_marker(pytest.mark.slow)

    order = longest_first()

    def rank(item) -> int:
        path = item.path.relative_to(ROOT).as_posix() if item.path.is_relative_to(ROOT) else ""
        return order.index(path) if path in order else len(order)

    items.sort(key=rank)


@dataclass
class BuiltSite:
    """The result of one `jupyter-book build` of the project into a temporary directory."""

    returncode: int
    log: str
    html: Path


def shared_folder(tmp_path_factory, name: str) -> tuple[Path, FileLock]:
    """A folder of this test run that every pytest-xdist worker sees, and a lock to make its content once.

    Under xdist each worker has its own temporary directory below one directory of the run; without xdist
    that directory is the run's own. Either way nothing is shared with an earlier run.
    """
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    folder = base / f"shared-{name}"
    return folder, FileLock(str(folder) + ".lock")


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> BuiltSite:
    """Build the book once per test run, exactly as `make book` does, into a temporary directory.

    The first worker that needs it builds it; the others wait for that build and read its log. `make check`
    builds the book just before its tests and names that build's folder in COURSE_BUILT_BOOK: then that build
    is the one tested.
    """
    if os.environ.get(BUILT_BOOK_ENV):
        return read_build(Path(os.environ[BUILT_BOOK_ENV]))
    out, lock = shared_folder(tmp_path_factory, "book")
    with lock:
        if not (out / "_build" / "build.log").is_file():
            out.mkdir(parents=True, exist_ok=True)
            result = subprocess.run(book_build_command(ROOT, out), capture_output=True, text=True, cwd=ROOT)
            record_build(result.returncode, result.stdout + result.stderr, out / "_build")
    return read_build(out / "_build")


def read_build(folder: Path) -> BuiltSite:
    """The build that coursetools.check.record_build left in ``folder`` (its html/, its log, its exit code)."""
    log, returncode = folder / "build.log", folder / "build.returncode"
    if not (log.is_file() and returncode.is_file()):
        pytest.fail(f"{folder} holds no build.log and build.returncode of a book build", pytrace=False)
    return BuiltSite(int(returncode.read_text()), log.read_text(), folder / "html")


@pytest.fixture(scope="session")
def html(built_site) -> Path:
    """The built site's folder (the test fails with the build's log if the book did not build)."""
    if not (built_site.html / "index.html").is_file():
        pytest.fail(f"the book was not built:\n{built_site.log[-3000:]}", pytrace=False)
    return built_site.html
