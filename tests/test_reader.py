"""What a reader of the site sees of the machinery: exercises without grading code, one copy of the widgets'
assets, figures that open full size, names that a visible cell uses defined where a reader sees them, and
self-checks numbered through each chapter.

book/_ext/book_reader.py changes what the build makes of the stored notebooks (their outputs stay as nbval
compares them); tests/test_browser.py checks the built site in Chromium.
"""

from __future__ import annotations

import ast
import builtins
import json
import re
import sys

import nbformat
import pytest

from coursetools import chapters
from coursetools.settings import ROOT
from test_exercises import names_bound_in

sys.path.insert(0, str(ROOT / "book" / "_ext"))
import book_reader  # noqa: E402  (book/_ext is Sphinx's extension folder, not a package)

CHAPTERS = chapters.chapters()


def notebook(path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def joined(text) -> str:
    return "".join(text) if isinstance(text, list) else text


def source(cell: dict) -> str:
    return joined(cell["source"])


def tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


# --------------------------------------------------------------------------------------------------
# The exercises on the full site and on the solution-free site
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_the_full_site_shows_solutions_without_markers_and_no_checks(path):
    original = notebook(path)
    shown = book_reader.reader_notebook(original)
    texts = "\n".join(source(c) for c in shown["cells"])
    assert "BEGIN SOLUTION" not in texts and "END SOLUTION" not in texts
    assert "HIDDEN TESTS" not in texts and "course.grade_" not in texts and "course.passed(" not in texts
    outputs = json.dumps([c.get("outputs", []) for c in shown["cells"]])
    assert "no known mistake found" not in outputs
    solutions = [c for c in original["cells"] if "solution" in tags(c)]
    kept = [c for c in shown["cells"] if "solution" in tags(c)]
    assert len(kept) == len(solutions) > 0, "a solution was dropped"
    for before, after in zip(solutions, kept):
        body = [line for line in source(before).splitlines() if "### BEGIN SOLUTION" not in line
                and "### END SOLUTION" not in line]  # fmt: skip
        assert source(after).splitlines() == body, f"{before['id']}: more than the markers changed"
    checks = {c["id"] for c in original["cells"] if "check" in tags(c)}
    assert checks and not checks & {c["id"] for c in shown["cells"]}


def test_the_solution_free_site_keeps_its_checks():
    """make book-student builds from notebooks without solution cells: their checks stay, as they were."""
    from coursetools.coursework import site_notebook

    student = site_notebook(nbformat.read(CHAPTERS[0], as_version=4))
    shown = book_reader.reader_notebook(json.loads(nbformat.writes(student)))
    assert [c["id"] for c in shown["cells"]] == [c["id"] for c in student.cells]
    assert any("check" in tags(c) for c in shown["cells"])


def test_one_copy_of_the_widget_assets_per_page():
    style, script = "<style data-ca-widgets>.ca-w{}</style>", "<script data-ca-widgets>setup()</script>"
    page = f"<html><body><section>{style}\n{script}</section><figure>{style}\n{script}</figure></body></html>"
    fixed = book_reader.one_copy_of_widget_assets(page)
    assert fixed.count(style) == 1 and fixed.count(script) == 1
    assert fixed.index(style) < fixed.index("<figure>") and fixed.index(script) > fixed.index("</figure>")
    assert book_reader.one_copy_of_widget_assets("<p>no widget</p>") == "<p>no widget</p>"


def test_output_figures_link_to_their_image():
    page = '<img alt="a" src="../_images/x.png" /><a href="y"><img src="../_images/y.png"></a><img src="logo.png">'
    fixed = book_reader.link_figures(page)
    assert '<a class="ca-figure-link" href="../_images/x.png"><img alt="a" src="../_images/x.png" /></a>' in fixed
    assert fixed.count("<a ") == 2 and '<img src="logo.png">' in fixed


# --------------------------------------------------------------------------------------------------
# Every name a visible cell uses is defined in a visible cell
# --------------------------------------------------------------------------------------------------
HIDDEN = {"hide-input", "remove-input", "remove-cell"}
# Names a visible cell may use although no visible cell defines them, each with its reason.
ALLOWED = {
    "course": "imported by each chapter's first cell, folded; the setup prose says what the package is",
    "display": "IPython's, in every kernel",
    "get_ipython": "IPython's, in every kernel",
}


def used_names(tree: ast.AST) -> set[str]:
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}


def python_of(cell_source: str) -> ast.AST:
    # IPython's magics (%pip, !ls) are not Python: each becomes a `pass` at its indentation
    lines = [
        line[: len(line) - len(line.lstrip())] + "pass" if line.lstrip().startswith(("%", "!")) else line
        for line in cell_source.splitlines()
    ]
    return ast.parse("\n".join(lines))


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_name_a_visible_cell_uses_is_defined_in_a_visible_cell(path):
    shown = book_reader.reader_notebook(notebook(path))
    defined = set(dir(builtins)) | set(ALLOWED)
    missing = []
    for cell in shown["cells"]:
        if cell["cell_type"] != "code":
            continue
        tree = python_of(source(cell))
        if HIDDEN & set(tags(cell)):
            continue
        undefined = sorted(used_names(tree) - defined - names_bound_in(tree))
        defined |= names_bound_in(tree)
        missing += [(cell["id"], name) for name in undefined]
    assert not missing, f"{path.stem}: visible cells use names no visible cell before them defines: {missing}"


def test_the_name_check_finds_a_name_defined_only_in_a_folded_cell():
    cells = [
        {"cell_type": "code", "id": "a", "metadata": {"tags": ["hide-input"]}, "source": "def schedule(): pass"},
        {"cell_type": "code", "id": "b", "metadata": {}, "source": "schedule()"},
    ]
    defined = set(dir(builtins))
    visible = [c for c in cells if not HIDDEN & set(tags(c))]
    for cell in visible:
        defined |= names_bound_in(python_of(source(cell)))
    assert used_names(python_of(source(cells[1]))) - defined == {"schedule"}


# --------------------------------------------------------------------------------------------------
# Self-checks: numbered through the chapter, each named by its numbers
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_stored_self_checks_are_numbered_through_the_chapter(path):
    numbers, names = [], []
    for cell in notebook(path)["cells"]:
        if "course.self_check(" not in source(cell):
            continue
        text = "".join(joined(o.get("data", {}).get("text/plain", "")) for o in cell.get("outputs", []))
        numbers += [int(n) for n in re.findall(r"^(\d+)\. ", text, flags=re.MULTILINE)]
        html = "".join(joined(o.get("data", {}).get("text/html", "")) for o in cell.get("outputs", []))
        names += re.findall(r'<p class="ca-title" id="[^"]+">([^<]+)</p>', html)
    assert numbers == list(range(1, len(numbers) + 1)), f"{path.stem}: questions numbered {numbers}"
    assert len(names) == len(set(names)), f"{path.stem}: self-checks with the same name: {names}"


def test_self_check_numbers_follow_the_sections_shown_before():
    import course
    from course.widgets import _NUMBERS

    _NUMBERS.pop("01_conv2d", None)
    first = course.self_check("01_conv2d", "sliding")
    second = course.self_check("01_conv2d", "cross-correlation")
    again = course.self_check("01_conv2d", "sliding")
    assert first.text.startswith("Self-check, question 1 (not graded)") and "\n1. " in first.text
    assert second.text.startswith("Self-check, question 2 ") and again.html == first.html
    assert course.self_check("01_conv2d", "output-size", start=7).text.startswith("Self-check, questions 7 and 8")
    _NUMBERS.pop("01_conv2d", None)
