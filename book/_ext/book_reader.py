"""Sphinx extension: on the site, a chapter shows the lesson, not the machinery that grades it.

The stored notebooks stay as they are (nbval compares them, the student and nbgrader editions are made from
them); this extension changes only what the build makes of them.

When a page is read (Sphinx's ``source-read``, before myst-nb parses the notebook):

- Solution cells lose nbgrader's marker lines (``### BEGIN SOLUTION``, ``### END SOLUTION``): a reader of a
  solution sees the answer, not the markers nbgrader cuts it out with.
- On a page that shows an exercise's solution (the full site), the exercise's check cells are left out, code
  and output: a check looks at a student's own answer and prints "no known mistake found" for the book's, which
  tells a reader nothing. The student's notebook keeps them, and so does the solution-free site
  (``make book-student``), whose pages have no solution cells.

When the pages are written (``build-finished``):

- Widgets (course.self_check, course.step_through) carry their style sheet and script in every output, so
  that each stored output works on its own in JupyterLab. A page keeps one copy of each: the first style
  sheet, and the script once at the end of the page (it sets up every widget of the page).
- A figure drawn by a cell links to its full-size image: on a phone, where a figure is scaled down to the
  width of the screen and its labels become too small to read, a tap opens it to be zoomed.

tests/test_reader.py checks the source changes, tests/test_browser.py what a reader sees.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

SOLUTION_MARKER = re.compile(r"^[ \t]*### (?:BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)
WIDGET_STYLE = re.compile(r"<style data-ca-widgets>.*?</style>\s*", re.DOTALL)
WIDGET_SCRIPT = re.compile(r"<script data-ca-widgets>.*?</script>\s*", re.DOTALL)
OUTPUT_IMAGE = re.compile(r'(<a\b[^>]*>\s*)?(<img\b[^>]*?\bsrc="([^"]*_images/[^"]+)"[^>]*>)')


def _tags(cell: dict) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _is_solution(cell: dict) -> bool:
    return "solution" in _tags(cell) or bool(cell.get("metadata", {}).get("nbgrader", {}).get("solution"))


def _is_check(cell: dict) -> bool:
    grading = cell.get("metadata", {}).get("nbgrader", {})
    return "check" in _tags(cell) or (bool(grading.get("grade")) and not grading.get("solution"))


def _text(source) -> str:
    return "".join(source) if isinstance(source, list) else str(source)


def reader_notebook(notebook: dict) -> dict:
    """Return the notebook a page shows: solutions without nbgrader's markers; no check cells where the
    solutions are shown (a notebook without solution cells keeps its checks)."""
    shows_solutions = any(_is_solution(cell) for cell in notebook.get("cells", []))
    cells = []
    for cell in notebook.get("cells", []):
        if shows_solutions and _is_check(cell):
            continue
        if _is_solution(cell):
            cell = {**cell, "source": SOLUTION_MARKER.sub("", _text(cell["source"]))}
        cells.append(cell)
    return {**notebook, "cells": cells}


def read_notebook(app, docname: str, source: list[str]) -> None:
    if Path(app.env.doc2path(docname)).suffix != ".ipynb":
        return
    notebook = json.loads(source[0])
    source[0] = json.dumps(reader_notebook(notebook), ensure_ascii=False)


def one_copy_of_widget_assets(html: str) -> str:
    """Return a page with one copy of the widgets' style sheet (the first) and of their script (at the end)."""
    scripts = WIDGET_SCRIPT.findall(html)
    if not scripts:
        return html
    styles = iter(range(len(WIDGET_STYLE.findall(html))))
    html = WIDGET_STYLE.sub(lambda match: match.group(0) if next(styles) == 0 else "", html)
    html = WIDGET_SCRIPT.sub("", html)
    return html.replace("</body>", f"{scripts[0].strip()}\n</body>", 1)


def link_figures(html: str) -> str:
    """Return a page whose output images link to their full-size file (images already in a link stay)."""

    def link(match: re.Match) -> str:
        if match.group(1):
            return match.group(0)
        return f'<a class="ca-figure-link" href="{match.group(3)}">{match.group(2)}</a>'

    return OUTPUT_IMAGE.sub(link, html)


def write_pages(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    for path in Path(app.outdir).rglob("*.html"):
        if "_static" in path.relative_to(app.outdir).parts:
            continue
        text = path.read_text(encoding="utf-8")
        changed = link_figures(one_copy_of_widget_assets(text))
        if changed != text:
            path.write_text(changed, encoding="utf-8")


def setup(app):
    app.connect("source-read", read_notebook)
    app.connect("build-finished", write_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
