"""The book builds with warnings as errors (`-n -W`), the page a reader starts from links every chapter, and every
page leads on to the next page of the table of contents."""

from __future__ import annotations

import re

import pytest

from coursetools import chapters
from coursetools.settings import ROOT
from coursetools.sitecheck import soup_of

pytestmark = pytest.mark.slow

CHAPTER_PAGES = [str(path.relative_to(ROOT).with_suffix(".html")) for path in chapters.chapters()]


def test_book_builds_without_warnings(built_site):
    warnings = [line for line in built_site.log.splitlines() if re.search(r"WARNING|ERROR", line)]
    assert built_site.returncode == 0, "jupyter-book build failed:\n" + "\n".join(warnings or [built_site.log[-3000:]])
    assert not warnings, "build warnings:\n" + "\n".join(warnings)


def test_landing_page_introduces_the_course_and_links_every_chapter(html):
    landing = (html / f"{chapters.docnames()[0]}.html").read_text(encoding="utf-8")
    assert "Convolutional Autoencoders" in landing
    for page in CHAPTER_PAGES:
        assert (html / page).is_file(), f"{page} was not built"
        assert f"../{page}" in landing, f"the landing page does not link {page}"


def test_every_page_leads_on_to_the_next_of_the_toc(html):
    """The footer's "next" link: the way on from a chapter's end, whatever its summary says."""
    order = [f"{name}.html" for name in chapters.docnames()]
    for page, following in zip(order, order[1:]):
        link = soup_of(html / page).select_one("a.right-next")
        target = (html / page).parent / link["href"] if link else None
        assert target is not None and target.resolve() == (html / following).resolve(), (
            f"{page} does not lead on to {following} (its next link: {link and link.get('href')})"
        )
