"""The coursework loop: student notebooks generated from the chapters keep every check, hide every
solution, and stop first at an exercise stub when a student runs them.

(That the checks pass on the solutions is nbval's job on the chapter notebooks; that each check fails on a
wrong answer is tested per chapter in test_exercises_ch*.py.)
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

import student
from conftest import NOTEBOOKS

CHAPTERS = sorted(NOTEBOOKS.glob("*.ipynb"))
SOLUTION_REGION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.DOTALL)


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def solution_lines(notebook) -> set[str]:
    """Every meaningful line written inside a solution region of the chapter."""
    lines = set()
    for cell in notebook.cells:
        for region in SOLUTION_REGION.findall(cell.source):
            for line in region.splitlines():
                line = line.strip()
                if len(line) >= 8 and not line.startswith("#"):
                    lines.add(line)
    return lines


@pytest.fixture(scope="module")
def student_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("student")
    student.write_student_versions(out, CHAPTERS)
    return out


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
class TestStudentVersion:
    def test_chapter_has_at_least_three_exercises(self, chapter):
        notebook = read(chapter)
        prompts = [c for c in notebook.cells if c.cell_type == "markdown" and "{exercise}" in c.source]
        checks = [c for c in notebook.cells if "check" in c.metadata.get("tags", [])]
        solutions = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("solution")]
        assert len(prompts) >= 3, f"{chapter.name}: {len(prompts)} exercises, at least 3 wanted"
        assert len(checks) >= len(prompts) and len(solutions) >= len(prompts)

    def test_every_exercise_is_gated_on_the_site(self, chapter):
        notebook = read(chapter)
        labels = re.findall(r"\{exercise\}[^\n]*\n:label: (\S+)", "\n".join(c.source for c in notebook.cells))
        starts = re.findall(r"\{solution-start\} (\S+)", "\n".join(c.source for c in notebook.cells))
        ends = sum("{solution-end}" in c.source for c in notebook.cells)
        assert labels and labels == starts, f"{chapter.name}: exercises {labels} vs solutions {starts}"
        assert ends == len(starts)

    def test_no_solution_text_survives(self, chapter, student_dir):
        secret = solution_lines(read(chapter))
        assert secret, f"{chapter.name} has no solution regions"
        generated = read(student_dir / chapter.name)
        leaked = {line for line in secret for cell in generated.cells if line in cell.source}
        assert not leaked, f"solution lines left in the student version: {sorted(leaked)[:5]}"
        text = "\n".join(cell.source for cell in generated.cells)
        assert "BEGIN SOLUTION" not in text and "{solution-start}" not in text and "{solution-end}" not in text

    def test_every_check_cell_is_kept(self, chapter, student_dir):
        source_checks = [(grade_id(c), c.source) for c in read(chapter).cells if "check" in c.metadata.get("tags", [])]
        student_checks = [
            (grade_id(c), c.source) for c in read(student_dir / chapter.name).cells if "check" in c.metadata.get("tags", [])
        ]
        assert source_checks and student_checks == source_checks

    def test_outputs_are_cleared_and_stubs_in_place(self, chapter, student_dir):
        generated = read(student_dir / chapter.name)
        for cell in generated.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None
            if cell.metadata.get("nbgrader", {}).get("solution") and cell.cell_type == "code":
                assert "raise NotImplementedError()" in cell.source
        prompts = [c.source for c in generated.cells if c.cell_type == "markdown" and c.source.startswith("**Exercise")]
        assert len(prompts) >= 3

    @pytest.mark.slow
    def test_running_it_stops_first_at_an_exercise_stub(self, chapter, student_dir):
        generated = read(student_dir / chapter.name)
        client = NotebookClient(
            generated, kernel_name="python3", timeout=900, resources={"metadata": {"path": str(student_dir)}}
        )
        with pytest.raises(CellExecutionError) as info:
            client.execute()
        assert info.value.ename == "NotImplementedError", (
            f"{chapter.name}: the student version failed before any exercise stub:\n{info.value}"
        )
        failed = next(
            cell for cell in generated.cells
            if any(output.get("output_type") == "error" for output in cell.get("outputs", []))
        )
        assert failed.metadata.get("nbgrader", {}).get("solution"), "the first error is not in a solution cell"
        first_solution = next(c for c in generated.cells if c.metadata.get("nbgrader", {}).get("solution"))
        assert failed is first_solution, "an earlier exercise stub did not fail"


def test_make_student_writes_every_chapter_and_the_helper_module(tmp_path):
    written = student.write_student_versions(tmp_path, CHAPTERS)
    assert [p.name for p in written] == [p.name for p in CHAPTERS]
    assert (tmp_path / "course.py").read_text() == (NOTEBOOKS / "course.py").read_text()


def test_exercise_directive_becomes_plain_markdown():
    source = "```{exercise} Predict a shape\n:label: ex-demo\n\nSet `shape` to the output shape.\n```"
    assert student.exercise_markdown(source) == (
        '**Exercise: Predict a shape** <a id="ex-demo"></a>\n\nSet `shape` to the output shape.\n'
    )


def test_student_version_of_a_tiny_notebook():
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("```{exercise} Sum\n:label: ex-sum\n\nSet `total`.\n```"),
        nbformat.v4.new_markdown_cell("```{solution-start} ex-sum\n:class: dropdown\n```"),
        nbformat.v4.new_code_cell(
            "values = [1, 2]\n### BEGIN SOLUTION\ntotal = sum(values)\n### END SOLUTION",
            metadata={"nbgrader": {"solution": True, "grade": False, "locked": False, "grade_id": "s", "schema_version": 3}},
        ),
        nbformat.v4.new_markdown_cell("```{solution-end}\n```"),
        nbformat.v4.new_code_cell("assert total == 3", metadata={"tags": ["check"]}),
    ]
    notebook.cells[2].outputs = [nbformat.v4.new_output("stream", text="hi\n")]
    result = student.make_student_version(notebook)
    assert [c.cell_type for c in result.cells] == ["markdown", "code", "code"]
    assert result.cells[1].source == "values = [1, 2]\n# YOUR CODE HERE\nraise NotImplementedError()"
    assert result.cells[1].outputs == []
    assert result.cells[2].source == "assert total == 3"
    assert "sum(values)" in notebook.cells[2].source, "the source notebook must not be modified"


@pytest.mark.slow
def test_nbgrader_accepts_the_chapters_as_source_notebooks(tmp_path):
    """`nbgrader generate_assignment` takes the chapter notebooks as they are and stubs every solution."""
    import os
    import shutil
    import subprocess
    import sys

    source = tmp_path / "source" / "chapters"
    source.mkdir(parents=True)
    for chapter in CHAPTERS:
        shutil.copy2(chapter, source / chapter.name)
    shutil.copy2(NOTEBOOKS / "course.py", source / "course.py")
    (tmp_path / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.root = {str(tmp_path)!r}\nc.CourseDirectory.course_id = 'cae'\n"
    )
    bin_dir = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    result = subprocess.run(
        [str(bin_dir / "nbgrader"), "generate_assignment", "chapters", "--force"],
        cwd=tmp_path, env=env, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    for chapter in CHAPTERS:
        released = read(tmp_path / "release" / "chapters" / chapter.name)
        solutions = [c for c in released.cells if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"]
        checks = [c for c in released.cells if c.metadata.get("nbgrader", {}).get("grade")]
        assert solutions and all("raise NotImplementedError()" in c.source for c in solutions)
        assert checks and all(c.metadata["nbgrader"].get("checksum") for c in checks)
