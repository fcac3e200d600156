"""The site as a reader sees it: every page of the TOC in headless Chromium, served from 127.0.0.1.

Only what needs a browser is checked here: no script error or failed request, no request that leaves the
machine, math typeset by MathJax, hide-input cells folded until their toggle is clicked, and search. What the
HTML alone shows (offline resources, page weight, alt texts, headings) is in tests/test_site.py, and broken
references fail the build (`-n -W`, tests/test_book.py).

The browser is Debian's Chromium (`apt-get install chromium`), driven by pytest-playwright's fixtures; no
browser is ever downloaded. Where it is missing these tests fail at once and say how to install it (or how to
leave them out); a browser that cannot start fails them after a minute.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from coursetools.sitecheck import toc_pages

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
TOC_PAGES = toc_pages()
# Math left as source in what the reader sees: \( \) \[ \] $$ $...$ \begin{...}
RAW_MATH = re.compile(r"\\\(.*?\\\)|\\\[.*?\\\]|\\[()\[\]]|\$\$|\$[^$\s][^$]*\$|\\begin\{")

WAIT_FOR_MATHJAX = """async () => {
  if (![...document.scripts].some(s => /mathjax/i.test(s.src))) return "absent";
  for (let i = 0; i < 400 && !window.MathJax?.startup?.promise; i++) await new Promise(r => setTimeout(r, 50));
  if (!window.MathJax?.startup?.promise) return "MathJax did not start";
  try { await MathJax.startup.promise; return "typeset"; } catch (error) { return "MathJax failed: " + error; }
}"""
# The page's math and the prose a reader sees (code, hidden elements and typeset math left out).
READ_PAGE = """() => {
  const main = document.querySelector("article.bd-article") || document.body;
  const texts = [];
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (parent.closest("pre, code, script, style, mjx-container, .highlight") || !parent.checkVisibility()) continue;
    if (node.nodeValue.trim()) texts.push(node.nodeValue.trim());
  }
  const math = [...main.querySelectorAll(".math")];
  return {
    texts,
    math: math.length,
    untypeset: math.filter(n => !n.querySelector("mjx-container")).map(n => n.textContent.trim().slice(0, 60)),
    errors: [...document.querySelectorAll("mjx-merror")].map(n => n.textContent.trim().slice(0, 60)),
  };
}"""


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium, headless, without its own background traffic (the only requests are the page's)."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"the browser tests need Debian's Chromium at {CHROMIUM}: `apt-get install chromium` "
            """(.ci/run does it), or leave these tests out: make test PYTEST_ARGS='-m "not browser"'""",
            pytrace=False,
        )
    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
    # A browser that cannot start fails the test after a minute instead of leaving it waiting.
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": args, "timeout": 60_000}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "service_workers": "block", "viewport": {"width": 1280, "height": 900}}


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


@contextlib.contextmanager
def serve(folder):
    """Serve a folder on 127.0.0.1 (a free port) from a background thread; yield its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def base_url(html):
    """The built site, served; pytest-playwright opens relative URLs against it."""
    with serve(html) as url:
        yield url


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.hostname == "127.0.0.1"


def open_page(page, url: str) -> list[str]:
    """Load ``url`` as a reader would, without network; return the problems seen while it loads."""
    problems = []

    def route(route):
        if is_local(route.request.url):
            route.continue_()
        else:
            problems.append(f"request off the machine (refused): {route.request.url}")
            route.abort("blockedbyclient")

    def on_console(message):
        if message.type == "error":
            problems.append(f"console: {message.text}")

    def on_response(response):
        if response.status >= 400:
            problems.append(f"HTTP {response.status}: {response.url}")

    page.route("**/*", route)
    page.on("console", on_console)
    page.on("response", on_response)
    page.on("pageerror", lambda error: problems.append(f"uncaught exception: {error}"))
    response = page.goto(url, wait_until="load")
    if response is None or response.status != 200:
        problems.append(f"HTTP status {response and response.status}")
    mathjax = page.evaluate(WAIT_FOR_MATHJAX)
    if mathjax not in ("absent", "typeset"):
        problems.append(mathjax)
    with contextlib.suppress(Exception):  # fonts are requested while MathJax typesets
        page.wait_for_load_state("networkidle", timeout=10_000)
    return problems


def math_problems(page) -> list[str]:
    seen = page.evaluate(READ_PAGE)
    mathjax_output = page.locator("mjx-container").count()
    problems = ["math on the page but no MathJax output"] if seen["math"] and not mathjax_output else []
    problems += [f"math not typeset: {source}" for source in seen["untypeset"]]
    problems += [f"MathJax error: {message}" for message in seen["errors"]]
    problems += [
        f"raw math in the text: {m.group()} (in: {text[:80]}...)"
        for text in seen["texts"]
        for m in RAW_MATH.finditer(text)
    ]
    return problems


def hide_input_problems(page) -> list[str]:
    """Each cell tagged hide-input shows its code only after its toggle is clicked."""
    problems = []
    cells = page.locator(".cell.tag_hide-input")
    for index in range(cells.count()):
        source = cells.nth(index).locator(".cell_input").first
        toggle = cells.nth(index).locator("details > summary").first
        if not source.count():
            continue  # no input to hide
        if source.is_visible():
            problems.append(f"hide-input cell {index + 1}: its code is visible before it is toggled")
        elif not toggle.count():
            problems.append(f"hide-input cell {index + 1}: no toggle to show its code")
        else:
            toggle.click()
            if not source.is_visible():
                problems.append(f"hide-input cell {index + 1}: its code stays hidden after a click on the toggle")
    return problems


def reader_problems(page, url: str) -> list[str]:
    return open_page(page, url) + math_problems(page) + hide_input_problems(page)


@pytest.mark.parametrize("path", TOC_PAGES)
def test_page_as_a_reader_sees_it(page, path):
    problems = reader_problems(page, path)
    assert not problems, f"{path}:\n  " + "\n  ".join(problems)


def test_search_finds_a_word_of_the_course(page):
    """Sphinx's search runs in the browser: searching a word of the course lists pages of the TOC."""
    problems = open_page(page, "search.html?q=transposed")
    summary = "#search-results .search-summary"
    page.wait_for_function(f"() => (document.querySelector('{summary}')?.textContent || '').trim() !== ''")
    links = page.eval_on_selector_all("#search-results ul.search > li a", "as => as.map(a => a.getAttribute('href'))")
    assert not problems, "\n".join(problems)
    found = {href.split("#")[0].split("?")[0] for href in links}
    assert found & set(TOC_PAGES), f"searching 'transposed' found no page of the TOC: {page.inner_text(summary)!r}"


# --------------------------------------------------------------------------------------------------
# Step-through figures and self-check questions (course.step_through, course.self_check)
# --------------------------------------------------------------------------------------------------
STEP_PAGES = [path for path in TOC_PAGES if path.endswith(("01_conv2d.html", "02_transposed_conv.html"))]


def frame_number(figure) -> int:
    return int(re.match(r"Frame (\d+) of \d+", figure.locator(".ca-st-counter").inner_text()).group(1))


def check_stepping(figure) -> None:
    assert figure.locator(".ca-st-controls").is_visible(), "the controls are hidden although scripts run"
    assert frame_number(figure) == 1
    assert figure.locator(".ca-st-frame:visible").count() == 1, "more than one frame shown while stepping"
    first = figure.locator(".ca-st-frame:visible").inner_text()
    figure.locator("[data-step=next]").click()
    assert frame_number(figure) == 2 and figure.locator(".ca-st-frame:visible").inner_text() != first
    figure.locator("[data-step=prev]").click()
    assert frame_number(figure) == 1 and figure.locator(".ca-st-frame:visible").inner_text() == first
    figure.locator("[data-step=play]").click()
    figure.page.wait_for_function(
        "f => !f.querySelector('.ca-st-counter').textContent.startsWith('Frame 1 ')",
        arg=figure.element_handle(),
        timeout=10_000,
    )
    figure.locator("[data-step=play]").click()  # pause
    paused = frame_number(figure)
    figure.page.wait_for_timeout(2_500)
    assert frame_number(figure) == paused, "Pause did not stop the figure"


@pytest.mark.parametrize("path", STEP_PAGES)
def test_step_through_controls_step_the_frames(page, path):
    problems = open_page(page, path)
    figures = page.locator("figure.ca-st")
    assert figures.count() >= 3, f"{path}: fewer than 3 step-through figures"
    for index in range(figures.count()):
        check_stepping(figures.nth(index))
    assert not problems, "\n".join(problems)


def test_step_through_works_from_a_file(page, html):
    """A copy of the site opened from disk (file://) steps the same way."""
    page.goto((html / "notebooks" / "01_conv2d.html").as_uri())
    check_stepping(page.locator("figure.ca-st").first)


def test_step_through_is_a_static_strip_for_readers_who_prefer_no_motion(browser, base_url):
    context = browser.new_context(base_url=base_url, reduced_motion="reduce", service_workers="block")
    try:
        page = context.new_page()
        page.goto(STEP_PAGES[0])
        figure = page.locator("figure.ca-st").first
        frames = figure.locator(".ca-st-frame")
        assert frames.count() > 1 and figure.locator(".ca-st-frame:visible").count() == frames.count()
        assert not figure.locator(".ca-st-controls").is_visible()
    finally:
        context.close()


def test_self_check_questions_answer_a_right_and_a_wrong_click(page):
    open_page(page, TOC_PAGES[TOC_PAGES.index(STEP_PAGES[0])])
    choice = page.locator("form.ca-q[data-kind=choice]").first
    live = choice.locator(".ca-live")
    wrong = choice.locator("input[type=radio]:not([data-right])").first
    choice.locator(f"label[for='{wrong.get_attribute('id')}']").click()
    assert live.inner_text().startswith("Not quite. ") and live.inner_text() != "Not quite. "
    right = choice.locator("input[type=radio][data-right]")
    choice.locator(f"label[for='{right.get_attribute('id')}']").click()
    assert live.inner_text().startswith("Right. ")

    numeric = page.locator("form.ca-q[data-kind=numeric]").first
    live = numeric.locator(".ca-live")
    answer = float(numeric.get_attribute("data-answer"))
    numeric.locator("input[type=text]").fill(str(answer + 1000))
    numeric.locator("button[type=submit], input[type=submit]").first.click()
    assert live.inner_text().startswith("Not quite. ")
    numeric.locator("input[type=text]").fill(f"{answer:g}")
    numeric.locator("button[type=submit], input[type=submit]").first.click()
    assert live.inner_text().startswith("Right. ")


# --------------------------------------------------------------------------------------------------
# Accessibility (axe-core) and phone-sized screens
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", TOC_PAGES)
def test_axe_finds_no_critical_or_serious_violation(page, path):
    from axe_playwright_python.sync_playwright import Axe

    open_page(page, path)
    violations = Axe().run(page).response["violations"]
    grave = [f"{v['impact']}: {v['id']} ({len(v['nodes'])} elements): {v['help']}" for v in violations
             if v["impact"] in ("critical", "serious")]  # fmt: skip
    assert not grave, f"{path}:\n  " + "\n  ".join(grave)


PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("path", TOC_PAGES)
def test_phone_screen_reads_without_scrolling_sideways(browser, base_url, path):
    context = browser.new_context(base_url=base_url, viewport=PHONE, service_workers="block")
    try:
        page = context.new_page()
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path}: the page is {width} px wide on a {PHONE['width']} px screen"
        too_wide = page.eval_on_selector_all(
            "article img", "imgs => imgs.filter(i => i.getBoundingClientRect().width > 390).map(i => i.src)"
        )
        assert not too_wide, f"{path}: figures wider than the screen: {too_wide[:3]}"
        # On a narrow screen the theme moves the navigation into a dialog that its toggle opens.
        page.locator("button.primary-toggle:visible").first.click()
        navigation = page.locator("dialog#pst-primary-sidebar-modal[open]")
        navigation.wait_for(state="visible", timeout=5_000)
        chapter_links = navigation.locator("a[href*='notebooks/'], a[href$='.html']")
        assert chapter_links.count() >= len(TOC_PAGES) - 1, f"{path}: the navigation lists too few pages"
        assert navigation.bounding_box()["width"] <= PHONE["width"]
    finally:
        context.close()


def test_a_code_line_of_80_characters_fits_its_box_on_a_laptop_screen(page):
    # book/_static/course.css: code at 13 px, so that the chapters' lines of about 80 characters do not make a
    # reader at 1280 px scroll sideways (at the theme's 14 px a box held 77). Longer lines may still scroll.
    page.goto("notebooks/03_conv_autoencoder.html")
    scrolling = page.eval_on_selector_all(
        ".cell_input div.highlight pre",
        """boxes => boxes.filter(b => b.scrollWidth > b.clientWidth + 1)
                       .map(b => Math.max(...b.textContent.split('\\n').map(line => line.length)))""",
    )
    short = [length for length in scrolling if length <= 80]
    assert not short, f"code boxes that scroll sideways although their longest line is 80 characters or less: {short}"
