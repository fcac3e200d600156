"""The site as a reader sees it: every page of the TOC loaded in headless Chromium from 127.0.0.1.

Each page is loaded once (in a fresh browser context, with every request that would leave 127.0.0.1
refused and recorded); what the browser saw is kept, and each test below checks one thing on every page,
so that a failure names the page and the check. A full-page screenshot of every page is written to
_build/screenshots/ for review.

Chromium is Debian's (`apt-get install chromium`), driven by Playwright for Python; where it is missing
these tests are skipped, except under CI (CI=true), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import pytest

import sitecheck
from conftest import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = ROOT / "_build" / "screenshots"
TOC_PAGES = sitecheck.toc_pages()
CHAPTER_PAGES = [page for page in TOC_PAGES if sitecheck.is_chapter(page)]
MAX_PAGE_BYTES = 2_000_000  # the target for a chapter page: 2 MB received by the reader
SEARCH_TERM = "transposed"

# Math left as source in what the reader sees: \( \) \[ \] $$ $...$ \begin{...}
RAW_MATH = re.compile(r"\\\(.*?\\\)|\\\[.*?\\\]|\\[()\[\]]|\$\$|\$[^$\s][^$]*\$|\\begin\{")
# An alt text that only repeats the file name (myst-nb's default for an output image without metadata).
PATH_LIKE_ALT = re.compile(r"^\S*\.(png|jpe?g|gif|svg|webp|bmp)$|_images/|^data:", re.IGNORECASE)


# --------------------------------------------------------------------------------------------------
# The browser and the served site
# --------------------------------------------------------------------------------------------------
def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


@pytest.fixture(scope="module")
def chromium():
    """A headless Chromium for the whole module (skipped where it is missing, failed under CI)."""
    problem = sitecheck.browser_problem()
    if problem:
        if _ci():
            pytest.fail(f"{problem}. Under CI (CI=true) the browser tests must run.", pytrace=False)
        pytest.skip(problem)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = sitecheck.launch_chromium(playwright)
    yield browser
    browser.close()
    playwright.stop()


@dataclass
class Site:
    html: Path
    base_url: str
    browser: object
    reports: dict = field(default_factory=dict)
    static_ids: dict = field(default_factory=dict)

    def report(self, page: str) -> PageReport:
        """The inspection of ``page`` (done once, on first use)."""
        if page not in self.reports:
            try:
                self.reports[page] = inspect_page(self.browser, self.base_url, page, screenshot=screenshot_path(page))
            except Exception as error:  # a page that cannot be inspected fails each of its tests
                self.reports[page] = error
        report = self.reports[page]
        if isinstance(report, Exception):
            pytest.fail(f"{page}: the page could not be inspected: {report}", pytrace=False)
        return report

    def ids(self, page: str) -> set[str]:
        """The ids of a page: from the browser for an inspected page, else from its HTML."""
        report = self.reports.get(page)
        if isinstance(report, PageReport):
            return set(report.dom["ids"])
        if page not in self.static_ids:
            self.static_ids[page] = static_ids(self.html / page)
        return self.static_ids[page]


@pytest.fixture(scope="module")
def site(built_site, chromium):
    html = built_site.html
    if not (html / "index.html").is_file():
        pytest.fail(f"the book was not built:\n{built_site.log[-3000:]}", pytrace=False)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink()
    with sitecheck.serve(html) as base_url:
        yield Site(html=html, base_url=base_url, browser=chromium)


def screenshot_path(page: str) -> Path:
    name = page.split("?")[0].removesuffix(".html").replace("/", "__")
    return SCREENSHOTS / f"{name}.png"


# --------------------------------------------------------------------------------------------------
# Inspecting one page
# --------------------------------------------------------------------------------------------------
@dataclass
class PageReport:
    page: str
    visit: sitecheck.Visit
    dom: dict
    toggles: list[dict]
    screenshot: Path | None
    screenshot_bytes: int = 0


_LOAD_ALL_IMAGES = """
async () => {
  const images = [...document.images];
  images.forEach(img => { img.loading = "eager"; });
  await Promise.all(images.map(img => img.decode().catch(() => null)));
}
"""

_COLLECT = """
() => {
  const main = document.querySelector("article.bd-article") || document.querySelector("main") || document.body;
  const shown = el => el.checkVisibility({visibilityProperty: true, opacityProperty: true});
  const notProse = "pre, code, script, style, textarea, mjx-container, .highlight";
  const texts = [];
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest(notProse) || !shown(parent) || !node.nodeValue.trim()) continue;
    texts.push(node.nodeValue.trim());
  }
  const math = [...main.querySelectorAll(".math")];
  const images = [...document.images].map(img => {
    const figure = img.closest("figure");
    const caption = figure && (figure.querySelector("figcaption .caption-text") || figure.querySelector("figcaption"));
    return {
      src: img.getAttribute("src") || "",
      alt: img.getAttribute("alt"),
      loaded: img.complete && img.naturalWidth > 0,
      caption: caption ? caption.textContent.trim() : "",
    };
  });
  return {
    texts,
    math: math.length,
    untypeset: math.filter(n => !n.querySelector("mjx-container")).map(n => n.textContent.trim().slice(0, 80)),
    mathjaxOutput: document.querySelectorAll("mjx-container").length,
    mathErrors: [...document.querySelectorAll("mjx-merror")].map(n => n.textContent.trim().slice(0, 80)),
    images,
    links: [...document.querySelectorAll("a[href]")].map(a => ({href: a.href, raw: a.getAttribute("href")})),
    ids: [...document.querySelectorAll("[id]")].map(e => e.id)
      .concat([...document.querySelectorAll("a[name]")].map(a => a.getAttribute("name"))),
  };
}
"""


def inspect_page(browser, base_url: str, page: str, screenshot: Path | None = None) -> PageReport:
    """Load ``page`` and record what a reader gets: errors, requests, text, math, images, links, toggles."""
    context = sitecheck.new_context(browser)
    try:
        visit, tab = sitecheck.visit(context, base_url, page, keep_open=True)
        tab.evaluate(_LOAD_ALL_IMAGES)
        dom = tab.evaluate(_COLLECT)
        png = b""
        if screenshot is not None:
            png = tab.screenshot(path=str(screenshot), full_page=True)  # before any toggle is opened
        toggles = _hide_input_toggles(tab)
        tab.close()
    finally:
        context.close()
    return PageReport(page=page, visit=visit, dom=dom, toggles=toggles, screenshot=screenshot,
                      screenshot_bytes=len(png))


def _hide_input_toggles(tab) -> list[dict]:
    """For each cell tagged hide-input: is its input hidden at first, and shown after its toggle is clicked?"""
    results = []
    cells = tab.locator(".cell.tag_hide-input")
    for index in range(cells.count()):
        cell = cells.nth(index)
        source = cell.locator(".cell_input").first
        toggle = cell.locator("details > summary").first
        result = {"cell": index + 1, "has_input": source.count() > 0, "has_toggle": toggle.count() > 0}
        result["hidden_at_first"] = result["has_input"] and not source.is_visible()
        result["shown_after_toggle"] = False
        if result["has_input"] and result["has_toggle"]:
            toggle.click()
            result["shown_after_toggle"] = source.is_visible()
        results.append(result)
    return results


def static_ids(path: Path) -> set[str]:
    """The ids (and <a name>) of an HTML file, without a browser."""
    from bs4 import BeautifulSoup

    if not path.is_file():
        return set()
    soup = BeautifulSoup(path.read_text(encoding="utf-8", errors="replace"), "html.parser")
    ids = {tag["id"] for tag in soup.find_all(id=True)}
    return ids | {tag["name"] for tag in soup.find_all("a", attrs={"name": True})}


# --------------------------------------------------------------------------------------------------
# The checks: each returns the problems it finds on one page (an empty list when there are none)
# --------------------------------------------------------------------------------------------------
def console_problems(report: PageReport) -> list[str]:
    problems = []
    if report.visit.status != 200:
        problems.append(f"HTTP status {report.visit.status}")
    problems += [f"console error: {message}" for message in report.visit.console_errors]
    problems += [f"failed to load: {failure}" for failure in report.visit.failed_requests]
    return problems


def offline_problems(report: PageReport) -> list[str]:
    return [f"request off localhost (refused): {url}" for url in report.visit.blocked_requests]


def math_problems(report: PageReport) -> list[str]:
    dom, problems = report.dom, []
    if dom["math"] and report.visit.mathjax != "typeset":
        problems.append(f"{dom['math']} math elements but MathJax: {report.visit.mathjax}")
    if report.visit.mathjax not in ("absent", "typeset"):
        problems.append(f"MathJax: {report.visit.mathjax}")
    if dom["math"] and not dom["mathjaxOutput"]:
        problems.append("the page has math but no MathJax output (mjx-container)")
    problems += [f"math not typeset: {source}" for source in dom["untypeset"]]
    problems += [f"MathJax error: {message}" for message in dom["mathErrors"]]
    for text in dom["texts"]:
        for match in RAW_MATH.finditer(text):
            start = max(match.start() - 30, 0)
            problems.append(f"raw math in the visible text: {match.group()}  (in: ...{text[start:match.end() + 30]}...)")
    return problems


def meaningful_alt(alt: str | None) -> bool:
    return bool(alt and alt.strip() and not PATH_LIKE_ALT.search(alt.strip()))


def image_problems(report: PageReport) -> list[str]:
    problems = []
    for image in report.dom["images"]:
        if not image["loaded"]:
            problems.append(f"image did not load: {image['src']}")
        if not (meaningful_alt(image["alt"]) or image["caption"]):
            problems.append(f"image without alt text or caption: {image['src']} (alt={image['alt']!r})")
    return problems


def hide_input_problems(report: PageReport) -> list[str]:
    problems = []
    for toggle in report.toggles:
        where = f"hide-input cell {toggle['cell']} of the page"
        if not toggle["has_input"]:
            continue  # nothing to hide (e.g. the input was removed altogether)
        if not toggle["has_toggle"]:
            problems.append(f"{where}: no toggle to show its input")
        if not toggle["hidden_at_first"]:
            problems.append(f"{where}: its input is visible before it is toggled")
        elif toggle["has_toggle"] and not toggle["shown_after_toggle"]:
            problems.append(f"{where}: its input stays hidden after clicking the toggle")
    return problems


def link_problems(report: PageReport, site: Site) -> list[str]:
    problems = []
    origin = urlsplit(site.base_url)
    checked = set()
    for link in report.dom["links"]:
        parts = urlsplit(link["href"])
        if parts.scheme not in ("http", "https") or parts.netloc != origin.netloc:
            continue  # external (not followed: there is no network) or mailto:, javascript:
        target = unquote(parts.path).removeprefix(origin.path or "/")
        if target == "" or target.endswith("/"):
            target += "index.html"
        fragment = unquote(parts.fragment)
        if (target, fragment) in checked:
            continue
        checked.add((target, fragment))
        if not (site.html / target).is_file():
            problems.append(f"link to a missing page: {link['raw']} -> {target}")
        elif fragment and fragment not in site.ids(target):
            problems.append(f"link to a missing anchor: {link['raw']} (no id {fragment!r} in {target})")
    return problems


# --------------------------------------------------------------------------------------------------
# The tests: every page of the TOC
# --------------------------------------------------------------------------------------------------
def _fail(page: str, what: str, problems: list[str]):
    if problems:
        pytest.fail(f"{page}: {what}:\n  " + "\n  ".join(problems), pytrace=False)


@pytest.mark.parametrize("page", TOC_PAGES)
def test_page_loads_without_console_errors(site, page):
    _fail(page, "errors while loading", console_problems(site.report(page)))


@pytest.mark.parametrize("page", TOC_PAGES)
def test_page_makes_no_request_off_localhost(site, page):
    """The site works with no network: nothing the page loads comes from anywhere but the site itself."""
    _fail(page, "the page needs the network", offline_problems(site.report(page)))


@pytest.mark.parametrize("page", TOC_PAGES)
def test_math_is_typeset(site, page):
    _fail(page, "math problems", math_problems(site.report(page)))


@pytest.mark.parametrize("page", TOC_PAGES)
def test_images_load_and_have_alt_text_or_caption(site, page):
    _fail(page, "image problems", image_problems(site.report(page)))


@pytest.mark.parametrize("page", TOC_PAGES)
def test_hide_input_cells_are_collapsed_until_toggled(site, page):
    _fail(page, "hide-input problems", hide_input_problems(site.report(page)))


@pytest.mark.parametrize("page", TOC_PAGES)
def test_internal_links_and_anchors_resolve(site, page):
    _fail(page, "broken internal links", link_problems(site.report(page), site))


@pytest.mark.parametrize("page", TOC_PAGES)
def test_screenshot_is_saved(site, page):
    report = site.report(page)
    assert report.screenshot_bytes > 1000, f"no screenshot of {page} was written to {report.screenshot}"


@pytest.mark.parametrize("page", CHAPTER_PAGES)
def test_chapter_page_weighs_under_2_mb(site, page):
    """Bytes a reader receives for the page and all it loads (text gzip-compressed, as by a web host).

    Deterministic (the same files give the same bytes), unlike load time, which is only reported by
    `make bench` (tools/sitecheck.py).
    """
    visit = site.report(page).visit
    if visit.bytes >= MAX_PAGE_BYTES:
        by_type = ", ".join(f"{kind} {size / 1e6:.2f} MB" for kind, size in visit.bytes_by_type().items())
        heaviest = sorted(visit.responses, key=lambda r: -r["bytes"])[:5]
        pytest.fail(
            f"{page} weighs {visit.bytes / 1e6:.2f} MB (target: under {MAX_PAGE_BYTES / 1e6:.0f} MB; "
            f"{visit.uncompressed_bytes / 1e6:.2f} MB uncompressed): {by_type}; heaviest: "
            + ", ".join(f"{r['url'].rsplit('/', 1)[-1]} {r['bytes'] / 1e3:.0f} kB" for r in heaviest),
            pytrace=False,
        )


def test_search_finds_transposed(site):
    """Sphinx's search runs in the browser: the search page must list pages for a word of the course."""
    page = f"search.html?q={quote(SEARCH_TERM)}"
    context = sitecheck.new_context(site.browser)
    try:
        visit, tab = sitecheck.visit(context, site.base_url, page, keep_open=True)
        tab.wait_for_function(
            "() => (document.querySelector('#search-results .search-summary')?.textContent || '').trim() !== ''"
        )
        results = tab.eval_on_selector_all(
            "#search-results ul.search > li", "items => items.map(li => li.querySelector('a')?.getAttribute('href'))"
        )
        summary = tab.inner_text("#search-results .search-summary")
        tab.screenshot(path=str(SCREENSHOTS / "search.png"), full_page=True)
    finally:
        context.close()
    report = PageReport(page=page, visit=visit, dom={}, toggles=[], screenshot=None)
    _fail(page, "errors while searching", console_problems(report) + offline_problems(report))
    assert results, f"searching for {SEARCH_TERM!r} found nothing: {summary!r}"
    found = {href.split("#")[0].split("?")[0] for href in results if href}
    assert found & set(TOC_PAGES), f"searching for {SEARCH_TERM!r} found no page of the TOC: {sorted(found)}"


# --------------------------------------------------------------------------------------------------
# The checks themselves: a small hand-made site with one fault of each kind must be caught
# --------------------------------------------------------------------------------------------------
_BROKEN_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Broken</title>
<script src="https://cdn.example.invalid/library.js"></script></head>
<body><article class="bd-article">
<h1 id="broken">Broken</h1>
<p>Raw math left as source: $x^2$ and also \\(y\\).</p>
<p><span class="math notranslate nohighlight">\\(z\\)</span></p>
<img src="missing.png" alt="../_images/missing.png">
<img src="pixel.png" alt="../_images/pixel.png">
<div class="cell tag_hide-input"><div class="cell_input"><pre>print("shown")</pre></div></div>
<a href="good.html#nowhere">an anchor that does not exist</a>
<a href="absent.html">a page that does not exist</a>
<script>console.error("something broke");</script>
</article></body></html>
"""

_GOOD_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Good</title></head>
<body><article class="bd-article">
<h1 id="good">Good</h1>
<figure><img src="pixel.png" alt=""><figcaption><p><span class="caption-text">A white pixel.</span></p></figcaption></figure>
<img src="pixel.png" alt="A white pixel">
<div class="cell tag_hide-input"><details class="hide above-input"><summary>Show code</summary>
<div class="cell_input"><pre>print("hidden")</pre></div></details></div>
<a href="broken.html#broken">back</a> <a href="#good">top</a>
</article></body></html>
"""

def _white_pixel_png() -> bytes:
    """A 1x1 white PNG."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff")) + chunk(b"IEND", b"")


def test_the_checks_catch_each_kind_of_fault(tmp_path, chromium):
    (tmp_path / "index.html").write_text(_GOOD_PAGE)
    (tmp_path / "good.html").write_text(_GOOD_PAGE)
    (tmp_path / "broken.html").write_text(_BROKEN_PAGE)
    (tmp_path / "pixel.png").write_bytes(_white_pixel_png())
    with sitecheck.serve(tmp_path) as base_url:
        site = Site(html=tmp_path, base_url=base_url, browser=chromium)
        broken = inspect_page(chromium, base_url, "broken.html")
        good = inspect_page(chromium, base_url, "good.html")
        site.reports = {"broken.html": broken, "good.html": good}

        assert any("something broke" in p for p in console_problems(broken))
        assert any("missing.png" in p for p in console_problems(broken))  # a 404 is a failed load
        assert offline_problems(broken) == ["request off localhost (refused): https://cdn.example.invalid/library.js"]
        math = math_problems(broken)
        assert any("$x^2$" in p for p in math) and any("\\(y\\)" in p for p in math)
        assert any("math not typeset" in p for p in math)
        images = image_problems(broken)
        assert "image did not load: missing.png" in images
        assert any("without alt text or caption: pixel.png" in p for p in images)
        assert hide_input_problems(broken) == ["hide-input cell 1 of the page: no toggle to show its input",
                                               "hide-input cell 1 of the page: its input is visible before it is toggled"]
        links = link_problems(broken, site)
        assert any("no id 'nowhere' in good.html" in p for p in links)
        assert any("missing page: absent.html" in p for p in links)

        for check in (console_problems, offline_problems, math_problems, image_problems, hide_input_problems):
            assert check(good) == [], check.__name__
        assert link_problems(good, site) == []
        assert good.toggles == [{"cell": 1, "has_input": True, "has_toggle": True,
                                 "hidden_at_first": True, "shown_after_toggle": True}]
