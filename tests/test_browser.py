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
import os
import re
from urllib.parse import urlsplit

import pytest

from coursetools.sitecheck import serve, toc_pages

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


@pytest.mark.parametrize("path", STEP_PAGES)
def test_step_through_steps_without_motion_for_readers_who_ask_for_none(browser, base_url, path):
    """Under prefers-reduced-motion: Previous and Next, one frame at a time, no Play and nothing that moves."""
    context = browser.new_context(base_url=base_url, reduced_motion="reduce", service_workers="block")
    try:
        page = context.new_page()
        page.goto(path)
        figures = page.locator("figure.ca-st")
        for index in range(figures.count()):
            figure = figures.nth(index)
            assert figure.locator(".ca-st-controls").is_visible(), f"figure {index + 1}: no Previous/Next"
            assert not figure.locator("[data-step=play]").is_visible(), f"figure {index + 1}: Play is offered"
            assert figure.locator(".ca-st-frame:visible").count() == 1, f"figure {index + 1}: frames stacked"
            figure.locator("[data-step=next]").click()
            assert frame_number(figure) == 2
            figure.page.wait_for_timeout(1_700 if index == 0 else 0)
            assert frame_number(figure) == 2, "the figure moved by itself"
            figure.locator("[data-step=prev]").click()
            assert frame_number(figure) == 1
    finally:
        context.close()


def test_step_through_shows_every_frame_where_scripts_do_not_run(browser, base_url):
    context = browser.new_context(base_url=base_url, java_script_enabled=False, service_workers="block")
    try:
        page = context.new_page()
        page.goto(STEP_PAGES[0])
        figure = page.locator("figure.ca-st").first
        frames = figure.locator(".ca-st-frame")
        assert frames.count() > 1 and figure.locator(".ca-st-frame:visible").count() == frames.count()
        assert not figure.locator(".ca-st-controls").is_visible()
    finally:
        context.close()


def test_step_through_key_draws_each_mark_as_the_grids_do(page):
    """Every mark a figure uses has a sample cell in its key, styled as the grid cells with that mark; padding
    zeros and inserted zeros look different (chapter 2's zero insertion has both)."""
    open_page(page, STEP_PAGES[1])
    figure = page.locator("figure.ca-st", has=page.locator(".m-inserted")).first
    style = """e => { const s = getComputedStyle(e); return [s.fontStyle, s.borderTopStyle, s.backgroundImage,
                        s.backgroundColor, s.fontWeight, s.textDecorationLine].join('|'); }"""
    used = set(
        figure.evaluate(
            "f => [...new Set([...f.querySelectorAll('td[class]')].flatMap(td => "
            "[...td.classList].filter(c => c.startsWith('m-'))))]"
        )
    )
    assert {"m-padding", "m-inserted"} <= used, used
    for mark in used:
        swatch = figure.locator(f".ca-st-key .ca-swatch.{mark}")
        assert swatch.count() == 1, f"the key has no sample of {mark}"
        cell = figure.locator(f"td.{mark}:not(.m-window):not(.m-current)").first
        if cell.count():
            assert swatch.evaluate(style) == cell.evaluate(style), f"the key's {mark} differs from the grid's"
    padding, inserted = (
        figure.locator(f".ca-st-key .ca-swatch.{m}").evaluate(style) for m in ("m-padding", "m-inserted")
    )
    assert padding != inserted, "padding zeros and inserted zeros look the same"


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


# --------------------------------------------------------------------------------------------------
# What a reader sees (issue: the lesson, not the machinery)
# --------------------------------------------------------------------------------------------------
CHAPTER_PAGES = [path for path in TOC_PAGES if path.startswith("notebooks/")]
GRAVE = ("critical", "serious")
# axe's rules about landmarks and their names (moderate): each widget is a region with a name of its own.
LANDMARK_RULES = ("landmark-unique", "landmark-no-duplicate-main", "landmark-one-main", "region")


def axe_problems(page, context=None, impacts=GRAVE, rules=None) -> list[str]:
    """axe-core's violations on the page (or within ``context``) of the given impacts or rules. axe is
    injected once per page."""
    from axe_playwright_python.sync_playwright import Axe

    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(Axe().axe_script)
    violations = page.evaluate(
        "([context, options]) => axe.run(context || document, options).then(r => r.violations)",
        [context, {"resultTypes": ["violations"]}],
    )
    return [
        f"{v['impact']}: {v['id']} ({len(v['nodes'])} elements: {v['nodes'][0]['target']}): {v['help']}"
        for v in violations
        if v["impact"] in impacts or (rules and v["id"] in rules)
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", STEP_PAGES)
def test_axe_on_every_frame_of_every_widget(browser, base_url, path, scheme):
    """axe-core on the step-throughs and self-checks of a page, in the light and the dark theme: no serious
    or critical violation (captions at least 4.5:1 among them). Once as the page opens (the controls and the
    first frame of each step-through), once with every frame of every step-through shown at once (the frames
    as the stepping shows them one by one: the same cells, styles and captions)."""
    context = browser.new_context(base_url=base_url, color_scheme=scheme, service_workers="block",
                                  viewport={"width": 1280, "height": 900})  # fmt: skip
    try:
        page = context.new_page()
        open_page(page, path)
        assert page.evaluate("document.documentElement.dataset.theme") == scheme
        widgets = {"include": [[".ca-w"]]}
        problems = [f"as it opens: {p}" for p in axe_problems(page, widgets)]
        shown = page.evaluate("""() => { let n = 0; document.querySelectorAll('figure.ca-st').forEach(f => {
            f.querySelectorAll('.ca-st-frame').forEach(e => { e.classList.add('is-current'); n++; }); });
            return n; }""")
        frames = page.locator("figure.ca-st .ca-st-frame:visible").count()
        assert frames == shown > 0, f"{frames} of {shown} frames visible"
        problems += [f"every frame: {p}" for p in axe_problems(page, widgets)]
        assert not problems, f"{path} ({scheme}):\n  " + "\n  ".join(sorted(set(problems)))
    finally:
        context.close()


@pytest.mark.parametrize("path", CHAPTER_PAGES)
def test_self_checks_are_numbered_through_the_chapter_and_named_apart(page, path):
    open_page(page, path)
    numbers = page.eval_on_selector_all(
        "section.ca-sc form.ca-q",
        "forms => forms.map(f => (f.querySelector('legend, .ca-prompt').textContent.match(/^Question (\\d+)\\./) || [])[1])",
    )
    assert numbers, f"{path}: no self-check questions"
    assert numbers == [str(n) for n in range(1, len(numbers) + 1)], f"{path}: questions numbered {numbers}"
    names = page.eval_on_selector_all(
        "section.ca-sc", "ss => ss.map(s => document.getElementById(s.getAttribute('aria-labelledby')).textContent)"
    )
    assert len(set(names)) == len(names), f"{path}: self-checks share a name: {names}"
    landmarks = axe_problems(page, impacts=(), rules=LANDMARK_RULES)
    assert not landmarks, f"{path}:\n  " + "\n  ".join(landmarks)


# Boxes that scroll sideways at 1280 px (code cells and their outputs), counted with every fold open: none.
SIDEWAYS = """() => {
  document.querySelectorAll('article details').forEach(d => d.open = true);
  const scrolls = e => e.scrollWidth > e.clientWidth + 1;
  const code = [...document.querySelectorAll('article.bd-article .cell_input pre')]
    .filter(scrolls)
    .map(b => `+${b.scrollWidth - b.clientWidth} px: ${b.textContent.split('\\n').find(l => l.length > 80) || ''}`);
  const output = [];
  for (const box of document.querySelectorAll('article.bd-article .cell_output > *')) {
    const wide = [box, ...box.querySelectorAll('*')].find(e => {
      const s = getComputedStyle(e);
      return ['auto', 'scroll'].includes(s.overflowX) && scrolls(e);
    });
    if (wide) output.push(`+${wide.scrollWidth - wide.clientWidth} px: ${wide.textContent.trim().slice(0, 70)}`);
  }
  return {code, output};
}"""


@pytest.mark.parametrize("path", CHAPTER_PAGES)
def test_no_code_or_output_box_scrolls_sideways_on_a_laptop(page, path):
    open_page(page, path)
    boxes = page.evaluate(SIDEWAYS)
    for kind in ("code", "output"):
        assert not boxes[kind], f"{path}: {kind} boxes scroll sideways at 1280 px:\n  " + "\n  ".join(boxes[kind])


@pytest.mark.parametrize("path", CHAPTER_PAGES)
def test_phone_tables_scroll_with_a_cue_and_figures_open_full_size(browser, base_url, path):
    """At 390 px: a table wider than the column scrolls in its own box, which shows a shadow at the side
    with more to see and takes the keyboard's focus; no word or code breaks inside a cell. A figure drawn
    smaller than its image links to the full-size image (a tap opens it to be zoomed)."""
    context = browser.new_context(base_url=base_url, viewport=PHONE, service_workers="block")
    try:
        page = context.new_page()
        page.goto(path)
        page.wait_for_load_state("load")
        tables = page.evaluate("""() => [...document.querySelectorAll('article.bd-article table')].map(t => {
            const box = t.closest('.pst-scrollable-table-container');
            const wide = box ? box.scrollWidth > box.clientWidth + 1 : t.offsetWidth > t.parentElement.clientWidth;
            return {text: t.textContent.trim().slice(0, 40), wide, inBox: !!box,
                    cue: box ? getComputedStyle(box).backgroundImage.includes('gradient') : false,
                    focusable: box ? box.tabIndex >= 0 : false,
                    broken: [...t.querySelectorAll('code')].filter(c => c.getClientRects().length > 1).map(c => c.textContent),
                    wraps: [...t.querySelectorAll('td, th')].some(c => getComputedStyle(c).overflowWrap !== 'normal')};
        })""")
        problems = []
        for table in tables:
            if table["wide"] and not (table["inBox"] and table["cue"] and table["focusable"]):
                problems.append(f"table {table['text']!r}: wider than the screen without a scroll box and its cue")
            if table["broken"] or table["wraps"]:
                problems.append(f"table {table['text']!r}: words or code broken inside a cell: {table['broken']}")
        figures = page.evaluate("""() => [...document.querySelectorAll('article.bd-article .cell_output img')].map(i => ({
            src: i.src, shrunk: i.getBoundingClientRect().width < i.naturalWidth - 1,
            link: i.closest('a[href]') ? i.closest('a[href]').href : null}))""")
        problems += [f"figure {f['src']}: shrunk, with no link to the full-size image" for f in figures
                     if f["shrunk"] and f["link"] != f["src"]]  # fmt: skip
        assert not problems, f"{path}:\n  " + "\n  ".join(problems)
    finally:
        context.close()


@pytest.mark.parametrize("path", STEP_PAGES)
def test_print_shows_every_frame_no_answer_and_no_clipped_code(page, path):
    """As printed (the theme's PDF button, a browser's print): each step-through is the strip of its frames
    without buttons, self-checks show no answer, folded code stays out, and no code or output is cut off."""
    open_page(page, path)
    page.set_viewport_size({"width": 794, "height": 1123})  # an A4 page at 96 dpi
    page.emulate_media(media="print")
    seen = page.evaluate("""() => ({
        frames: [...document.querySelectorAll('figure.ca-st')].map(f =>
            [f.querySelectorAll('.ca-st-frame').length,
             [...f.querySelectorAll('.ca-st-frame')].filter(e => e.checkVisibility({visibilityProperty: true})).length,
             f.querySelector('.ca-st-controls').checkVisibility()]),
        answers: [...document.querySelectorAll('section.ca-sc details, section.ca-sc .ca-live')].filter(e => e.checkVisibility()).length,
        folded: [...document.querySelectorAll('details.hide:not([open]) .cell_input')].filter(e => e.checkVisibility()).length,
        clipped: [...document.querySelectorAll('article.bd-article pre')].filter(p => p.checkVisibility() && p.scrollWidth > p.clientWidth + 1).map(p => p.textContent.slice(0, 60)),
    })""")
    page.emulate_media(media="screen")
    strips = seen["frames"]
    assert strips and all(total == shown and not controls for total, shown, controls in strips), strips
    assert seen["answers"] == 0, "self-check answers or feedback on paper"
    assert seen["folded"] == 0, "folded code on paper"
    assert not seen["clipped"], f"code cut off at the margin: {seen['clipped']}"


@pytest.mark.parametrize("path", CHAPTER_PAGES)
def test_chapter_page_transfers_at_most_2_mb(browser, html, path):
    """As Chromium loads it from a host that gzip-compresses text: the page, all it loads, MathJax's parts
    and the fonts its glyphs need (make bench prints the figures for every page)."""
    from coursetools.sitecheck import transferred

    (row,) = transferred(html, [path], browser=browser)
    assert row["transferred"] <= 2_000_000, f"{path}: {row['transferred'] / 1e6:.2f} MB in {row['requests']} requests"
