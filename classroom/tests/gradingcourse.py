"""Small nbgrader courses for the classroom's grading tests (no TensorFlow unless a notebook imports it).

A course is made with ``add_assignment`` (a source notebook of given cells, generated with nbgrader beside the
student edition of the course package) and filled with ``submit`` (a copy of the released notebook with the
solution cell and extra cells of a simulated student, and the course package as an assignment carries it).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat

from coursetools import coursework
from test_nbgrader import nbgrader


def nbgrader_metadata(grade_id: str, points: float | None = None) -> dict:
    """nbgrader's metadata of a solution cell (``points`` None) or of a locked check cell."""
    solution = points is None
    metadata = {"grade": not solution, "grade_id": grade_id, "locked": not solution, "schema_version": 3,
                "solution": solution, "task": False}  # fmt: skip
    return metadata if solution else dict(metadata, points=points)


def add_assignment(root: Path, name: str, cells) -> nbformat.NotebookNode:
    """Add the assignment ``name`` to the nbgrader course at ``root`` (made if it does not exist): one notebook
    of ``cells`` (id, kind, text; kind "solution", a check's points, or None) beside the student edition of the
    course package, generated; return the released notebook."""
    if not (root / "nbgrader_config.py").exists():
        root.mkdir(parents=True, exist_ok=True)
        (root / "nbgrader_config.py").write_text(coursework.nbgrader_config())
    source = root / "source" / name
    source.mkdir(parents=True)
    coursework.copy_helpers(source)
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for cell_id, kind, text in cells:
        cell = nbformat.v4.new_code_cell(text)
        cell.id = cell_id
        if kind == "solution":
            cell.metadata["nbgrader"] = nbgrader_metadata(cell_id)
        elif kind is not None:
            cell.metadata["nbgrader"] = nbgrader_metadata(cell_id, points=kind)
        notebook.cells.append(cell)
    nbformat.write(notebook, source / f"{name}.ipynb")
    nbgrader(root, "generate_assignment", name, "--force")
    return nbformat.read(root / "release" / name / f"{name}.ipynb", as_version=4)


def submit(
    root: Path, assignment: str, student: str, solution: str, before: list[str] = (), after: list[str] = ()
) -> Path:
    """Write ``student``'s submission of ``assignment``: the released notebook with ``solution`` as the solution
    cell's source and the cells ``before`` and ``after`` it added around that cell (code cells without nbgrader
    metadata, as a student may add), beside the course package; return the submission's folder."""
    released = nbformat.read(root / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    folder = root / "submitted" / student / assignment
    folder.mkdir(parents=True)
    notebook = nbformat.from_dict(json.loads(json.dumps(released)))
    index = next(i for i, c in enumerate(notebook.cells) if c.get("metadata", {}).get("nbgrader", {}).get("solution"))
    notebook.cells[index].source = solution
    added = [nbformat.v4.new_code_cell(text) for text in before]
    later = [nbformat.v4.new_code_cell(text) for text in after]
    notebook.cells = notebook.cells[:index] + added + [notebook.cells[index]] + later + notebook.cells[index + 1 :]
    nbformat.write(notebook, folder / f"{assignment}.ipynb")
    shutil.copytree(root / "release" / assignment / "course", folder / "course")
    return folder


def one_notebook_course(root: Path, name: str, cells) -> nbformat.NotebookNode:
    """A new nbgrader course at ``root`` with one assignment ``name`` (see ``add_assignment``)."""
    root.mkdir(parents=True)
    return add_assignment(root, name, cells)


def outputs_text(notebook: nbformat.NotebookNode) -> str:
    """Every text a notebook's cells show: streams, results, displays and errors."""
    texts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            texts.append(output.get("text", ""))
            texts.extend(str(value) for value in output.get("data", {}).values())
            texts.append(f"{output.get('ename', '')}: {output.get('evalue', '')}")
            texts.extend(output.get("traceback", []))
    return "\n".join(texts)


# An assignment whose hidden tests record answers (course.grade_close/grade_equal): three graded parts, 4 points.
RIG_CELLS = [
    ("setup", None, "import numpy as np\nimport course"),
    ("data", None, "data = np.arange(6.0)  # the exercise's data"),
    (
        "ex-rig-solution",
        "solution",
        "### BEGIN SOLUTION\nanswer_sum = float(np.sum(data))\nanswer_count = len(data)\n\n\n"
        "def double(x):\n    return 2 * x\n### END SOLUTION",
    ),
    (
        "ex-rig-check-sum",
        1,
        "course.expect_type('answer_sum', answer_sum, (int, float, np.number), 'a number')\n"
        "### BEGIN HIDDEN TESTS\n"
        "course.grade_close('answer_sum', answer_sum, float(np.sum(data)), 'answer_sum is not right yet')\n"
        "assert np.allclose(answer_sum, np.sum(data)), 'answer_sum is not right yet'\n"
        "### END HIDDEN TESTS",
    ),
    (
        "ex-rig-check-count",
        1,
        "### BEGIN HIDDEN TESTS\n"
        "course.grade_equal('answer_count', answer_count, len(data), 'answer_count is not right yet')\n"
        "assert answer_count == len(data), 'answer_count is not right yet'\n"
        "### END HIDDEN TESTS",
    ),
    (
        "ex-rig-check-double",
        2,
        "### BEGIN HIDDEN TESTS\n"
        "for x in (1, 2.5, -3):\n"
        "    course.grade_close('double', double(x), 2 * x, 'double is not right yet: try a negative number')\n"
        "### END HIDDEN TESTS",
    ),
]
RIG_POINTS = {"ex-rig-check-sum": 1.0, "ex-rig-check-count": 1.0, "ex-rig-check-double": 2.0}
RIG_SOLUTION = RIG_CELLS[2][2].replace("### BEGIN SOLUTION\n", "").replace("\n### END SOLUTION", "")
RIG_WRONG = "answer_sum = 14.0\nanswer_count = 5\n\n\ndef double(x):\n    return x + 2\n"


def sandbox_missing() -> str:
    """Why this machine cannot run the grading sandbox as `make grade` does (with namespaces), or ''."""
    import os

    if os.geteuid() != 0:
        return "the grading sandbox switches accounts, which needs root (run the tests as root to include it)"
    from classroom import sandbox

    problem = sandbox.namespaces_problem()
    return f"grading in parallel needs namespaces, and {problem}" if problem else ""
