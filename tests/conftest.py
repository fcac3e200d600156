"""Shared fixtures: the project's paths, the helper module on sys.path, and one build of the book."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
sys.path.insert(0, str(NOTEBOOKS))
sys.path.insert(0, str(ROOT / "tools"))


def pytest_collection_modifyitems(items):
    """Mark nbval's cells `notebook` and `slow`, so that `-m "not notebook"` runs no notebook."""
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebook)
            item.add_marker(pytest.mark.slow)


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
            command = [
                str(Path(sys.executable).parent / "jupyter-book"),
                *("build", str(ROOT), "--path-output", str(out), "--all", "-W", "-n", "--keep-going"),
            ]
            result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
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
