"""Write the student versions of the chapter notebooks.

    python tools/student.py --out _build/student        # every chapter
    python tools/student.py --out DIR notebooks/01_conv2d.ipynb

The chapter notebooks are the one source: they hold the exercises with their solutions and stored outputs.
A student version is made from each with nbgrader's own preprocessors, used as a library (no nbgrader
database, course directory or server is involved):

* ``ClearSolutions`` replaces every ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` region of a code cell by
  ``# YOUR CODE HERE`` and ``raise NotImplementedError()``, and a markdown solution cell by a prompt;
* ``ClearOutput`` removes every output and execution count.

Then the markup that only the book needs is turned into plain notebook markdown: an ``{exercise}`` directive
becomes a bold "Exercise" heading with its text, and the ``{solution-start}``/``{solution-end}`` cells that
gate the solution on the site are dropped. Check cells are kept as they are, with their nbgrader metadata, so
the notebooks can also be graded with nbgrader's autograder. The helper module that the notebooks import
(``course.py``) is copied beside them.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

import nbformat
from nbgrader.preprocessors import ClearOutput, ClearSolutions

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
HELPER_MODULE = NOTEBOOKS / "course.py"

CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE: write your answer in this cell."

EXERCISE_DIRECTIVE = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{exercise\}[ \t]*(?P<title>[^\n]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
GATE_DIRECTIVE = re.compile(r"^\s*(`{3,}|:{3,})\{solution-(start|end)\}")


def tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def exercise_markdown(source: str) -> str:
    """Turn a MyST ``{exercise}`` directive into markdown that Jupyter shows as it is."""

    def plain(match: re.Match) -> str:
        body_lines = match.group("body").splitlines()
        label = ""
        while body_lines and body_lines[0].startswith(":"):
            option = body_lines.pop(0)
            if option.startswith(":label:"):
                label = option.split(":", 2)[2].strip()
        body = "\n".join(body_lines).strip()
        title = match.group("title").strip()
        heading = "**Exercise" + (f": {title}" if title else "") + "**"
        anchor = f" <a id=\"{label}\"></a>" if label else ""
        return f"{heading}{anchor}\n\n{body}\n"

    return EXERCISE_DIRECTIVE.sub(plain, source)


def is_gate(cell) -> bool:
    """A markdown cell that only opens or closes a solution on the site."""
    if cell.cell_type != "markdown":
        return False
    return bool(GATE_DIRECTIVE.match(cell.source)) or bool({"solution-start", "solution-end"} & tags(cell))


def make_student_version(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Return the student version of a chapter notebook (the argument is not modified)."""
    student = nbformat.from_dict(notebook)
    resources = {}
    clear_solutions = ClearSolutions(code_stub={"python": CODE_STUB}, text_stub=TEXT_STUB, enforce_metadata=True)
    student, resources = clear_solutions.preprocess(student, resources)
    student, resources = ClearOutput().preprocess(student, resources)
    cells = []
    for cell in student.cells:
        if is_gate(cell):
            continue
        if cell.cell_type == "markdown" and "{exercise}" in cell.source:
            cell.source = exercise_markdown(cell.source)
        cells.append(cell)
    student.cells = cells
    return student


def write_student_versions(out: Path, notebooks: list[Path]) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in notebooks:
        notebook = nbformat.read(path, as_version=4)
        target = out / path.name
        nbformat.write(make_student_version(notebook), target)
        written.append(target)
    shutil.copy2(HELPER_MODULE, out / HELPER_MODULE.name)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="chapter notebooks (default: all)")
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "student", help="output directory")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted(NOTEBOOKS.glob("*.ipynb"))
    for target in write_student_versions(args.out, notebooks):
        print(f"wrote {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
