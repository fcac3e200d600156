"""The editor's loop, `make check NB=...` (coursetools.check): a prose edit is told from a code change, every step
runs, and the end says what failed and where."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

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
    steps = [check.Step(*step) for step in steps]
    monkeypatch.setattr(check, "steps", lambda notebook, prose: steps)
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


# --------------------------------------------------------------------------------------------------
# A prose edit is told from a code change
# --------------------------------------------------------------------------------------------------


def chapter_notebook() -> nbformat.NotebookNode:
    prose = nbformat.v4.new_markdown_cell("# A chapter\n\nSome prose.")
    code = nbformat.v4.new_code_cell("print(1 + 1)", execution_count=1)
    code.outputs = [nbformat.v4.new_output("stream", text="2\n")]
    return nbformat.v4.new_notebook(
        cells=[prose, code], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}}
    )


@pytest.fixture
def repository(tmp_path, monkeypatch):
    """A git repository with a committed chapter and course package, as coursetools.check sees the project."""
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "course.py").write_text("VALUE = 1\n")
    nbformat.write(chapter_notebook(), tmp_path / "notebooks" / "01_a.ipynb")
    for command in (["init", "-q"], ["add", "."], ["-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qm", "a"]):
        subprocess.run(["git", *command], cwd=tmp_path, check=True, capture_output=True)
    monkeypatch.setattr(check, "ROOT", tmp_path)
    return tmp_path


def edit(path: Path, change) -> None:
    notebook = nbformat.read(path, as_version=4)
    change(notebook)
    nbformat.write(notebook, path)


def test_a_prose_edit_is_told_from_a_code_change(repository):
    path = repository / "notebooks" / "01_a.ipynb"
    assert check.prose_only(path)[0], "an unchanged chapter"
    edit(path, lambda nb: setattr(nb.cells[0], "source", "# A chapter\n\nOther prose, a new cell below."))
    edit(path, lambda nb: nb.cells.append(nbformat.v4.new_markdown_cell("More prose.")))
    assert check.prose_only(path)[0], "markdown cells changed and added"
    changes = {
        "source": lambda nb: setattr(nb.cells[1], "source", "print(2 + 2)"),
        "output": lambda nb: nb.cells[1].outputs[0].update(text="4\n"),
        "tag": lambda nb: nb.cells[1].metadata.update(tags=["nbval-ignore-output"]),
        "count": lambda nb: setattr(nb.cells[1], "execution_count", 2),
        "new cell": lambda nb: nb.cells.append(nbformat.v4.new_code_cell("x = 1")),
        "metadata": lambda nb: nb.metadata.update(kernelspec={"name": "other", "display_name": "Other"}),
    }
    committed = path.read_text()
    for what, change in changes.items():
        edit(path, change)
        prose, why = check.prose_only(path)
        assert not prose and "code cells" in why, what
        path.write_text(committed)
    (repository / "src" / "course.py").write_text("VALUE = 2\n")
    prose, why = check.prose_only(path)
    assert not prose and "src/course.py" in why, "the course package the chapter runs changed"


def test_a_prose_edit_skips_execution_nbval_and_the_tests_that_run_code(repository, monkeypatch):
    monkeypatch.setattr(check, "chapters", lambda: [Path("notebooks/01_a.ipynb"), Path("notebooks/02_b.ipynb")])
    prose = check.steps(Path("notebooks/01_a.ipynb"), prose=True)
    code = check.steps(Path("notebooks/01_a.ipynb"), prose=False)
    assert [s.name for s in prose] == ["book", "tests"]
    assert [s.name for s in code] == ["execute", "nbval", "book", "tests"]
    tests = prose[-1].command
    options = dict(zip(tests[4:], tests[5:]))  # after python -m pytest
    assert "tests/test_questions.py" in tests and "tests/test_site.py" in tests
    assert options["-m"] == "not runs_code" and "-m" not in code[-1].command[4:]
    assert options["-k"].startswith("not (02_b) and (01_a or not slow")
    assert prose[-1].env == {check.BUILT_BOOK_ENV: str(check.BUILD)}, "the tests read the book step's build"
