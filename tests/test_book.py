"""The book builds with warnings as errors, and the pages a reader starts from link every chapter."""

from __future__ import annotations

import re

import pytest

from conftest import NOTEBOOKS

pytestmark = pytest.mark.slow


def test_book_builds_without_warnings(built_site):
    warnings = [line for line in built_site.log.splitlines() if re.search(r"WARNING|ERROR", line)]
    assert built_site.returncode == 0, "jupyter-book build failed:\n" + "\n".join(warnings or [built_site.log[-3000:]])
    assert not warnings, "build warnings:\n" + "\n".join(warnings)


def test_index_introduces_the_course_and_links_every_chapter(built_site):
    index = (built_site.html / "index.html").read_text()
    target = re.search(r'url=([^"]+)"', index)
    landing = built_site.html / (target.group(1) if target else "index.html")
    html = landing.read_text()
    assert "Convolutional Autoencoders" in html
    for notebook in sorted(NOTEBOOKS.glob("*.ipynb")):
        assert f"notebooks/{notebook.stem}.html" in html, f"the landing page does not link {notebook.name}"


def test_every_chapter_page_is_built(built_site):
    for notebook in sorted(NOTEBOOKS.glob("*.ipynb")):
        assert (built_site.html / "notebooks" / f"{notebook.stem}.html").is_file()
