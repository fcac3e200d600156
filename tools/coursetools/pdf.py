"""The printable edition: one PDF of the whole book, printed by Debian's Chromium from the built site.

    python -m coursetools pdf [--html _build/html] [--out _build/pdf/convolutional-autoencoders.pdf]   # make pdf

Every page of `_toc.yml` is opened from the built site (served on 127.0.0.1, as a reader opens it), its math
typeset by MathJax, and printed to A4 with the site's print style (book/_static/course.css and the widgets'
style sheet): no navigation, code and output wrapped instead of cut at the margin, each step-through as the
strip of its frames, self-checks without their answers, folded code left out (outputs folded until a reader
has made a prediction are printed open: paper cannot be clicked). The pages are printed in
Chromium through Playwright (``executable_path``: no browser is downloaded) and joined, in the order of the
table of contents, into one file with an outline of the pages. tests/test_pdf.py checks the result.
"""

from __future__ import annotations

import argparse
import contextlib
import io
from pathlib import Path

from .settings import ROOT
from .sitecheck import serve, toc_pages

CHROMIUM = "/usr/bin/chromium"
OUT = ROOT / "_build" / "pdf" / "convolutional-autoencoders.pdf"
WAIT_FOR_PAGE = """async () => {
  for (let i = 0; i < 400 && [...document.scripts].some(s => /mathjax/i.test(s.src))
       && !window.MathJax?.startup?.promise; i++) await new Promise(r => setTimeout(r, 50));
  if (window.MathJax?.startup?.promise) await MathJax.startup.promise;
  await document.fonts.ready;
  await Promise.all([...document.images].map(i => i.complete ? null : new Promise(r => { i.onload = i.onerror = r; })));
  return document.title;
}"""
FOOTER = (
    '<div style="width:100%;font-size:8px;color:#48566b;padding:0 12mm;display:flex;'
    'justify-content:space-between;font-family:sans-serif"><span class="title"></span>'
    '<span><span class="pageNumber"></span> / <span class="totalPages"></span></span></div>'
)


def print_pages(html: Path, pages: list[str], browser=None) -> list[tuple[str, str, bytes]]:
    """Print each page of the built site to PDF in Chromium; return ``(page, title, pdf bytes)``. ``browser``:
    a Playwright browser to use (the tests'), else Debian's Chromium is launched."""
    with contextlib.ExitStack() as stack:
        if browser is None:
            from playwright.sync_api import sync_playwright

            if not Path(CHROMIUM).is_file():
                raise SystemExit(f"make pdf prints with Debian's Chromium at {CHROMIUM}: apt-get install chromium")
            playwright = stack.enter_context(sync_playwright())
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            stack.callback(browser.close)
        return _print_pages(browser, html, pages)


def _print_pages(browser, html: Path, pages: list[str]) -> list[tuple[str, str, bytes]]:
    printed = []
    with serve(html) as url:
        context = browser.new_context(color_scheme="light", reduced_motion="reduce", service_workers="block")
        page = context.new_page()
        for path in pages:
            page.goto(url + path, wait_until="load")
            title = page.evaluate(WAIT_FOR_PAGE).split(" — ")[0].strip()
            # Paper cannot be clicked: an output folded until the reader has made a prediction is printed
            # open (a figure among them is part of the book); folded code stays folded.
            page.evaluate(
                "() => document.querySelectorAll('.tag_hide-output details.hide').forEach(d => d.open = true)"
            )
            page.emulate_media(media="print")
            pdf = page.pdf(
                format="A4",
                margin={"top": "14mm", "bottom": "16mm", "left": "14mm", "right": "14mm"},
                print_background=True,
                display_header_footer=True,
                header_template="<span></span>",
                footer_template=FOOTER,
            )
            page.emulate_media(media="screen")
            printed.append((path, title, pdf))
            print(f"{path}: {title}", flush=True)
        context.close()
    return printed


def join(printed: list[tuple[str, str, bytes]], out: Path) -> dict:
    """Join the printed pages into one PDF with an outline entry per page; return its page count and size."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for _, title, pdf in printed:
        first = len(writer.pages)
        writer.append(PdfReader(io.BytesIO(pdf)))
        writer.add_outline_item(title=title, page_number=first)
    writer.add_metadata({"/Title": "Convolutional Autoencoders"})
    writer.compress_identical_objects(remove_duplicates=True, remove_unreferenced=True)  # fonts shared by the pages
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as handle:
        writer.write(handle)
    return {"pages": len(writer.pages), "bytes": out.stat().st_size}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coursetools pdf", description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, default=ROOT / "_build" / "html", help="the built site")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if not (args.html / "index.html").is_file():
        raise SystemExit(f"no built site in {args.html}: run make book first")
    result = join(print_pages(args.html, toc_pages()), args.out)
    print(f"{args.out}: {result['pages']} pages, {result['bytes'] / 1e6:.1f} MB")
    return 0
