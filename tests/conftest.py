"""Shared fixtures: the project's paths, the helper module on sys.path, and one build of the book."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

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


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> BuiltSite:
    """Build the book once per test session, exactly as `make book` does, into a temporary directory."""
    out = tmp_path_factory.mktemp("book")
    command = [
        str(Path(sys.executable).parent / "jupyter-book"),
        *("build", str(ROOT), "--path-output", str(out), "--all", "-W", "-n", "--keep-going"),
    ]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    return BuiltSite(result.returncode, result.stdout + result.stderr, out / "_build" / "html")


@pytest.fixture(scope="session")
def html(built_site) -> Path:
    """The built site's folder (the test fails with the build's log if the book did not build)."""
    if not (built_site.html / "index.html").is_file():
        pytest.fail(f"the book was not built:\n{built_site.log[-3000:]}", pytrace=False)
    return built_site.html
