"""The printable edition (`make pdf`, coursetools.pdf): one PDF of the whole book, printed by Debian's Chromium.

Printed once per test run from the test run's build of the book. Checked: an outline entry per page of the
table of contents, in order, each starting on a page whose text holds the page's title; a page count within
what the book's pages make (at least one page each, and not the hundreds a print style that lays every frame
of a step-through on a page of its own would make); every figure of every chapter printed, at its own pixel
size, among its chapter's pages; no blank page.
"""

from __future__ import annotations

import re

import pytest

from coursetools.sitecheck import soup_of, toc_pages
from test_browser import browser_type_launch_args  # noqa: F401  (Debian's Chromium, as the browser tests use it)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MAX_PAGES = 400  # 289 at the time of writing, chapters 1-5 between 45 and 62 each


@pytest.fixture(scope="module")
def printed(html, tmp_path_factory, browser):
    from pypdf import PdfReader

    from coursetools import pdf

    out = tmp_path_factory.mktemp("pdf") / "book.pdf"
    pages = toc_pages()
    pdf.join(pdf.print_pages(html, pages, browser=browser), out)
    reader = PdfReader(out)
    starts = [reader.get_destination_page_number(item) for item in reader.outline]
    return {"reader": reader, "pages": pages, "starts": starts, "titles": [item.title for item in reader.outline]}


def normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def page_texts(reader) -> list[str]:
    return [normalised(page.extract_text() or "") for page in reader.pages]


def test_every_page_of_the_book_is_in_order_under_its_title(printed, html):
    reader, pages, starts = printed["reader"], printed["pages"], printed["starts"]
    assert len(starts) == len(pages), f"{len(starts)} outline entries for {len(pages)} pages of the book"
    assert starts == sorted(starts) and len(set(starts)) == len(starts), f"pages out of order: {starts}"
    texts = page_texts(reader)
    for path, start in zip(pages, starts):
        title = normalised(soup_of(html / path).select_one("article.bd-article h1").get_text(" ")).rstrip("#").strip()
        title = re.sub(r"^[\d.]+\s*", "", title)  # the chapter's number is printed apart
        assert title in texts[start], f"{path}: its title {title!r} is not on its first page ({start + 1})"


def test_page_count(printed):
    reader, starts = printed["reader"], printed["starts"]
    lengths = [end - start for start, end in zip(starts, [*starts[1:], len(reader.pages)])]
    assert all(length >= 1 for length in lengths), lengths
    assert len(reader.pages) <= MAX_PAGES, f"{len(reader.pages)} pages (at most {MAX_PAGES}): {lengths}"


def test_every_figure_is_printed_in_its_chapter(printed, html):
    """Each image of a chapter's page (its figures) is in the PDF, at its pixel size, on the chapter's pages."""
    from PIL import Image

    reader, pages, starts = printed["reader"], printed["pages"], printed["starts"]
    ends = [*starts[1:], len(reader.pages)]
    problems = []
    for path, start, end in zip(pages, starts, ends):
        figures = [
            img["src"] for img in soup_of(html / path).select("article.bd-article img") if "_images/" in img["src"]
        ]
        if not figures:
            continue
        printed_sizes = [image.image.size for page in reader.pages[start:end] for image in page.images]
        for src in figures:
            with Image.open((html / path).parent / src) as image:
                size = image.size
            if size in printed_sizes:
                printed_sizes.remove(size)
            else:
                problems.append(f"{path}: {src} ({size[0]}×{size[1]} px) is not in the PDF")
    assert not problems, "\n".join(problems)


def test_no_page_is_blank(printed):
    reader = printed["reader"]
    blank = [number + 1 for number, page in enumerate(reader.pages) if not (page.extract_text() or "").strip()
             and not page.images]  # fmt: skip
    assert not blank, f"blank pages: {blank}"
