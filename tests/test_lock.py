"""requirements-lock.txt pins every package for every Python the course supports (3.11.0 and newer)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from coursetools import lock
from coursetools.settings import ROOT

PIN = re.compile(r'^([a-z0-9][a-z0-9.-]*)==([^\s;]+)(?: ; python_full_version (>=|<) "([\d.]+)")?$')


def pins() -> list[re.Match]:
    lines = (ROOT / "requirements-lock.txt").read_text().splitlines()
    return [PIN.match(line) or line for line in lines if line and not line.startswith("#")]


def test_every_line_of_the_lock_is_an_exact_pin():
    bad = [line for line in pins() if not isinstance(line, re.Match)]
    assert not bad, f"lines that are not name==version [; python_full_version >=|< X]: {bad}"


def test_a_release_for_a_later_python_comes_with_one_for_older_pythons():
    by_name: dict[str, set] = {}
    for match in pins():
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
