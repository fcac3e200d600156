"""Shared fixtures: the project's paths and one build of the book."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock

from coursetools.settings import ROOT, book_build_command

# The files that take longest, longest first (measured with --durations; see the README's "Tests"). `make test`
# hands whole files to its pytest-xdist workers in collection order (--dist loadfile --no-loadscope-reorder):
# starting with the longest ones and leaving the many short files to fill the gaps ends the run soonest.
LONGEST_FIRST = [
    "notebooks/03_conv_autoencoder.ipynb",
    "notebooks/05_variational_autoencoder.ipynb",
    "notebooks/04_autoencoders_at_work.ipynb",
    "tests/test_kit.py",
    "tests/test_nbgrader.py",
    "classroom/tests/test_grade.py",
    "tests/test_browser.py",
    "tests/test_explorer.py",
    "tests/test_coursework.py",
    "notebooks/02_transposed_conv.ipynb",
    "notebooks/01_conv2d.ipynb",
    "tests/test_jupyterlab.py",
]


def pytest_collection_modifyitems(items):
    """Mark nbval's cells `notebook` and `slow`, so that `-m "not notebook"` runs no notebook; put the longest
    files first (a stable sort: the order within a file, which nbval needs, is kept)."""
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebook)
            item.add_marker(pytest.mark.slow)

    def rank(item) -> int:
        path = item.path.relative_to(ROOT).as_posix() if item.path.is_relative_to(ROOT) else ""
        return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)

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

    The first worker that needs it builds it; the others wait for that build and read its log.
    """
    out, lock = shared_folder(tmp_path_factory, "book")
    log = out / "build.log"
    with lock:
        if not log.is_file():
            out.mkdir(parents=True, exist_ok=True)
            result = subprocess.run(book_build_command(ROOT, out), capture_output=True, text=True, cwd=ROOT)
            (out / "returncode").write_text(str(result.returncode))
            log.write_text(result.stdout + result.stderr)
    returncode = int((out / "returncode").read_text())
    return BuiltSite(returncode, log.read_text(), out / "_build" / "html")


@pytest.fixture(scope="session")
def html(built_site) -> Path:
    """The built site's folder (the test fails with the build's log if the book did not build)."""
    if not (built_site.html / "index.html").is_file():
        pytest.fail(f"the book was not built:\n{built_site.log[-3000:]}", pytrace=False)
    return built_site.html
