"""The locks pin every package for every Python the course supports (3.11.0 and newer); the student lock is the
part of the maintainer's lock that the student environment installs; `make lock` checks every platform."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from coursetools import lock
from coursetools.settings import ROOT

PIN = re.compile(r'^([a-z0-9][a-z0-9.-]*)==([^\s;]+)(?: ; python_full_version (>=|<) "([\d.]+)")?$')


LOCKS = ["requirements-lock.txt", "requirements-student-lock.txt"]


def pins(lock: str = "requirements-lock.txt") -> list[re.Match]:
    lines = (ROOT / lock).read_text().splitlines()
    return [PIN.match(line) or line for line in lines if line and not line.startswith("#")]


@pytest.mark.parametrize("lock_file", LOCKS)
def test_every_line_of_the_lock_is_an_exact_pin(lock_file):
    bad = [line for line in pins(lock_file) if not isinstance(line, re.Match)]
    assert not bad, f"lines that are not name==version [; python_full_version >=|< X]: {bad}"


def test_the_student_lock_is_part_of_the_maintainers_lock():
    """Students and maintainers run the chapters with the same versions: every line of the student lock is a line
    of the maintainer's, and the student requirements ask for nothing of the maintainer's toolchain."""
    full = {match.group(0) for match in pins()}
    student = [match.group(0) for match in pins("requirements-student-lock.txt")]
    assert [line for line in student if line not in full] == []
    names = {match.group(1) for match in pins("requirements-student-lock.txt")}
    assert {"tensorflow", "jupyterlab", "jupyterlab-myst", "scikit-learn"} <= names
    assert not names & {"jupyter-book", "sphinx", "nbgrader", "jupyterhub", "pytest", "nbval", "playwright", "ruff"}


def test_the_supported_pythons_are_said_the_same_everywhere():
    """CPython 3.11-3.13: make's check, the platforms make lock resolves, the package's Requires-Python floor."""
    from coursetools import platforms

    assert platforms.PYTHONS == ("3.11", "3.12", "3.13")
    makefile = (ROOT / "Makefile").read_text()
    assert "(3, 11) <= sys.version_info[:2] <= (3, 13)" in makefile
    assert 'requires-python = ">=3.11"' in (ROOT / "pyproject.toml").read_text()


@pytest.mark.parametrize("lock_file", LOCKS)
def test_a_release_for_a_later_python_comes_with_one_for_older_pythons(lock_file):
    by_name: dict[str, set] = {}
    for match in pins(lock_file):
        by_name.setdefault(match.group(1), set()).add((match.group(3), match.group(4)))
    for name, markers in by_name.items():
        if markers == {(None, None)}:
            continue
        bounds = {bound for _, bound in markers}
        assert {op for op, _ in markers} == {">=", "<"} and len(bounds) == 1, f"{name}: {sorted(markers)}"


def test_lock_script_marks_a_release_that_needs_a_later_python(tmp_path):
    report = {
        "install": [
            {"metadata": {"name": "soupsieve", "version": "4.1.3", "requires_python": ">=3.11.5"}},
            {"metadata": {"name": "Some_Package", "version": "1.0", "requires_python": ">=3.9"}},
        ]
    }
    (tmp_path / "report.json").write_text(json.dumps(report))
    script = [sys.executable, str(ROOT / "tools" / "coursetools" / "lock.py"), str(tmp_path / "report.json")]
    out = subprocess.run(script, capture_output=True, text=True, check=True).stdout.splitlines()
    assert "some-package==1.0" in out
    assert 'soupsieve==4.1.3 ; python_full_version >= "3.11.5"' in out
    assert f'soupsieve=={lock.OLDER_PYTHON["soupsieve"]} ; python_full_version < "3.11.5"' in out


def test_lock_script_stops_on_a_later_python_it_has_no_older_release_for(tmp_path):
    report = {"install": [{"metadata": {"name": "newpkg", "version": "2", "requires_python": ">=3.12"}}]}
    (tmp_path / "report.json").write_text(json.dumps(report))
    script = [sys.executable, str(ROOT / "tools" / "coursetools" / "lock.py"), str(tmp_path / "report.json")]
    result = subprocess.run(script, capture_output=True, text=True)
    assert result.returncode != 0
    assert "newpkg 2 needs Python 3.12.0" in result.stderr and "OLDER_PYTHON" in result.stderr


def test_make_stops_on_an_unsupported_python_before_creating_anything(tmp_path):
    """A Python 3.14 (TensorFlow 2.21 has no wheels for it): make says which Pythons and creates no environment."""
    fake = tmp_path / "python3.14"
    fake.write_text(
        "#!/bin/bash\n"  # the real interpreter, telling every -c program that it is 3.14.0
        f'exec {sys.executable} -c \'import platform, sys; sys.version_info = (3, 14, 0, "final", 0); '
        'platform.python_version = lambda: "3.14.0"; code = sys.argv[1]; sys.argv = ["-c", *sys.argv[2:]]; '
        'exec(code)\' "$2" "${@:3}"\n'
    )
    fake.chmod(0o755)
    venv = tmp_path / "venv"
    result = subprocess.run(
        ["make", "--no-print-directory", f"PYTHON={fake}", f"VENV={venv}", "env"],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode != 0
    assert "This Python is 3.14.0: the course needs CPython 3.11, 3.12 or 3.13" in result.stderr
    assert not venv.exists()
