"""The editor's loop, `make check NB=...` (coursetools.check): every step runs, and the end says what failed and where."""

from __future__ import annotations

import sys

from coursetools import check

EXECUTION_FAILURE = """executing notebooks/01_conv2d.ipynb ...
notebooks/01_conv2d.ipynb: FAILED, left unchanged
An error occurred while executing the following cell:
------------------
kernel = np.ones((3, 3))
output = conv(image, kernal)
------------------

---------------------------------------------------------------------------
NameError                                 Traceback (most recent call last)
NameError: name 'kernal' is not defined
"""


def test_a_failed_execution_is_reported_with_its_error_and_cell():
    assert check.execution_problems(EXECUTION_FAILURE) == [
        "NameError: name 'kernal' is not defined (in the cell that starts: kernel = np.ones((3, 3)))"
    ]
    assert check.execution_problems("notebooks/01_conv2d.ipynb: done in 3.0 s\n") == []


def test_every_step_runs_and_the_summary_names_the_failures(monkeypatch, capsys, tmp_path):
    def python(code: str) -> list[str]:
        return [sys.executable, "-c", code]

    failing = "print('FAILED tests/test_exercises.py::test_check[01_conv2d:x:wrong-1] - hint'); raise SystemExit(1)"
    steps = [
        ("first", python("print('fine')"), lambda text: []),
        ("second", python(failing), lambda text: check.lines_matching(check.PYTEST_PROBLEM, text)),
        ("third", python("print('WARNING: nothing')"), lambda text: ["never asked"]),
    ]
    monkeypatch.setattr(check, "steps", lambda notebook: steps)
    assert check.main(["notebooks/01_conv2d.ipynb"]) == 1
    summary = capsys.readouterr().out.split("==> make check")[-1]
    assert "ok     first" in summary and "ok     third" in summary and "never asked" not in summary
    assert "FAILED second" in summary
    assert "FAILED tests/test_exercises.py::test_check[01_conv2d:x:wrong-1] - hint" in summary
    assert "steps: 2 ok, 1 failed (second)" in summary


def test_a_missing_notebook_is_refused_with_the_usage(capsys):
    assert check.main(["notebooks/99_none.ipynb"]) == 2
    assert check.main([]) == 2
    assert "make check NB=notebooks/NN_name.ipynb" in capsys.readouterr().err
