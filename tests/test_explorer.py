"""The latent-space explorer in the browser: the page's arithmetic against Keras, dragging, and where it must work.

The explorers are those of tests/explorer_pages.py (chapter 3's decoder and chapter 5's pair, the chapters'
shapes trained briefly on MNIST), on pages of their own served over http and opened from disk (file://), and
inside the built site's chapter pages 3 and 5, with the chapters' own explorers. The page computes images with its own script
(src/course/widgets/explorer.js); every pixel must be within 1e-4 of what Keras computes for the same point.
Dragging with the mouse, a finger and the keys must move the point and change the image; the figure must fit a
phone, follow a dark theme, pass axe, say what it shows without its script, and run in JupyterLab from the
stored output, without a kernel. The redraw rate is measured by `python tests/explorer_pages.py bench`, not here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import nbformat
import numpy as np
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

import explorer_pages
from conftest import shared_folder
from course.widgets.explorer import _floats_text
from test_browser import browser_context_args, browser_type_launch_args, serve  # noqa: F401  (Debian's Chromium)
from test_explorer_widget import floats, page_data

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TOLERANCE = 1e-4  # the largest difference allowed between the page's pixels and Keras's
PHONE = {"width": 390, "height": 844}
READY = "() => [...document.querySelectorAll('figure.ca-lx')].every(f => f.caExplorer)"


@pytest.fixture(scope="session")
def models(tmp_path_factory):
    folder, lock = shared_folder(tmp_path_factory, "explorer-models")
    with lock:
        return explorer_pages.train(folder)


@pytest.fixture(scope="module")
def demo(models, tmp_path_factory):
    widgets = explorer_pages.explorers(models)
    folder = tmp_path_factory.mktemp("explorer-pages")
    pages = explorer_pages.write_pages(folder, widgets)
    with serve(folder) as url:
        yield SimpleNamespace(widgets=widgets, pages=pages, folder=folder, url=url, models=models)


def address(demo, name: str, how: str = "http") -> str:
    return demo.url + demo.pages[name].name if how == "http" else demo.pages[name].as_uri()


def open_explorers(page, url: str) -> list[str]:
    """Load ``url`` without network (only 127.0.0.1 and file://); wait for its explorers; return the problems seen."""
    problems = []

    def route(route):
        parts = urlsplit(route.request.url)
        if parts.scheme in ("file", "data", "blob", "about") or parts.hostname == "127.0.0.1":
            route.continue_()
        else:
            problems.append(f"request off the machine (refused): {route.request.url}")
            route.abort("blockedbyclient")

    page.route("**/*", route)

    def on_console(message):
        # the browser asks every server for /favicon.ico by itself; the site has none, and no page asks for it
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            problems.append(f"console: {message.text} ({message.location.get('url')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"uncaught exception: {error}"))
    page.goto(url, wait_until="load")
    try:
        page.wait_for_function(READY, timeout=30_000)
    except PlaywrightTimeout:
        notes = page.eval_on_selector_all("figure.ca-lx .ca-lx-noscript", "ps => ps.map(p => p.textContent)")
        pytest.fail(f"the explorers of {url} did not start: {notes}\n" + "\n".join(problems))
    return problems


def points_to_check(widget, codes) -> np.ndarray:
    """The widget's check points, a 5 x 5 grid over its widest view (far outside the codes) and some codes."""
    data = page_data(widget)
    z1_min, z1_max, z2_min, z2_max = data["views"][1]["extent"]
    grid = [(a, b) for a in np.linspace(z1_min, z1_max, 5) for b in np.linspace(z2_min, z2_max, 5)]
    return np.array([*data["checks"], *grid, *codes], dtype="float32")


def image_pixels(figure, index: int = 0) -> list[int]:
    """The grey levels the page drew for the decoder's image (the red channel of its canvas)."""
    return figure.evaluate(
        """(f, i) => { const c = f.querySelectorAll('.ca-lx-image')[i];
                       return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data)
                                   .filter((_, k) => k % 4 === 0); }""",
        index,
    )


def point_of(figure) -> list[float]:
    return figure.evaluate("f => f.caExplorer.point()")


def drawn_is_decoded(figure, index: int = 0) -> float:
    """The largest difference, in grey levels, between the image drawn and the page's decoding of the point."""
    decoded = np.array(figure.evaluate(f"f => f.caExplorer.decode({index}, f.caExplorer.point())"))
    expected = np.rint(255 * (1 - np.clip(decoded, 0, 1)))
    return float(np.abs(np.array(image_pixels(figure, index)) - expected).max())


# --------------------------------------------------------------------------------------------------
# The arithmetic: the page's images against Keras's
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["http", "file"])
def test_the_page_draws_what_keras_draws(page, demo, how):
    problems = open_explorers(page, address(demo, "both", how))
    figures = page.locator("figure.ca-lx")
    assert figures.count() == 2, "two explorers on one page: each must set itself up"
    m = demo.models
    decoders = {"decoder": m.chapter3, "plain autoencoder": m.plain, "VAE": m.vae}
    codes = {"single": m.chapter3_codes[:5], "pair": np.concatenate([m.plain_codes[:3], m.vae_means[:3]])}
    worst = {}
    for index, (kind, widget) in enumerate(demo.widgets.items()):
        figure = figures.nth(index)
        data = page_data(widget)
        points = points_to_check(widget, codes[kind])
        for panel, name in enumerate(widget.names):
            expected = decoders[name].predict(points.reshape(-1, 1, 1, 2), verbose=0).reshape(len(points), -1)
            ours = np.array(figure.evaluate(f"(f, points) => points.map(z => f.caExplorer.decode({panel}, z))",
                                            points.tolist()))  # fmt: skip
            assert ours.shape == expected.shape == (len(points), 784)
            worst[name] = float(np.abs(ours - expected).max())
        assert float(figure.get_attribute("data-check")) < TOLERANCE
        assert figure.locator(".ca-lx-check").inner_text().startswith(f"Checked in this page: at {len(data['checks'])}")
    print(f"\nlargest difference from Keras per pixel ({how}): {worst}")
    assert max(worst.values()) < TOLERANCE, worst
    assert not problems, "\n".join(problems)


def test_the_check_line_warns_when_the_arithmetic_is_wrong(page, demo, tmp_path):
    """A page whose stored Keras images are not the decoder's says so (the check can fail)."""
    widget = demo.widgets["single"]
    data = page_data(widget)
    off = _floats_text(floats(data["panels"][0]["keras"]) + 0.001)  # Keras's images, a thousandth brighter
    wrong = dict(data, panels=[dict(data["panels"][0], keras=off)])
    html = widget.html.replace(json.dumps(data, separators=(",", ":")), json.dumps(wrong, separators=(",", ":")))
    assert html != widget.html
    (tmp_path / "wrong.html").write_text(explorer_pages.PAGE.format(title="wrong", body=html))
    open_explorers(page, (tmp_path / "wrong.html").as_uri())
    assert page.locator(".ca-lx-check").inner_text().startswith("Warning: at 4 check points")


# --------------------------------------------------------------------------------------------------
# Moving the point: mouse, keys, finger, sliders and buttons
# --------------------------------------------------------------------------------------------------
def test_dragging_with_the_mouse_moves_the_point_and_redraws(page, demo):
    problems = open_explorers(page, address(demo, "single"))
    figure = page.locator("figure.ca-lx")
    start, before = point_of(figure), image_pixels(figure)
    assert drawn_is_decoded(figure) <= 1, "the first image is the decoder's output at the start"
    e = figure.evaluate("f => f.caExplorer.extent()")
    target = [e[0] + 0.8 * (e[1] - e[0]), e[2] + 0.75 * (e[3] - e[2])]
    x0, y0 = figure.evaluate("(f, z) => f.caExplorer.onScreen(0, z)", start)
    x1, y1 = figure.evaluate("(f, z) => f.caExplorer.onScreen(0, z)", target)
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x1, y1, steps=12)
    page.mouse.up()
    page.wait_for_timeout(100)
    moved = point_of(figure)
    assert np.allclose(moved, target, atol=0.01 * (e[1] - e[0])), (moved, target)
    assert image_pixels(figure) != before, "the image did not change"
    assert drawn_is_decoded(figure) <= 1, "the image drawn is not the decoder's output at the new point"
    status = figure.locator(".ca-lx-status").inner_text()
    assert status.startswith("z = (") and f"{moved[0]:.2f}".replace("-", "\u2212") in status
    page.wait_for_timeout(500)
    assert re.search(r"Nearest of the validation images: an? \d ", figure.locator(".ca-lx-live").inner_text())
    assert not problems, "\n".join(problems)


def test_the_arrow_keys_move_the_point(page, demo):
    open_explorers(page, address(demo, "single"))
    figure = page.locator("figure.ca-lx")
    e = figure.evaluate("f => f.caExplorer.extent()")
    side = e[1] - e[0]
    start, before = point_of(figure), image_pixels(figure)
    page.keyboard.press("Tab")  # the map is the first thing on the page that takes the focus
    assert page.evaluate("document.activeElement.classList.contains('ca-lx-plot')")
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Shift+ArrowUp")
    page.wait_for_timeout(100)
    moved = point_of(figure)
    assert moved == pytest.approx([start[0] + 5 * 0.02 * side, start[1] + 0.1 * side], abs=1e-9)
    assert image_pixels(figure) != before and drawn_is_decoded(figure) <= 1
    page.wait_for_timeout(500)
    assert "z = (" in figure.locator(".ca-lx-live").inner_text(), "a screen reader hears where the point is"
    page.keyboard.press("Home")
    page.wait_for_timeout(100)
    assert point_of(figure) == pytest.approx(start) and image_pixels(figure) == before


def test_a_finger_drags_the_point_without_scrolling_the_page(browser, demo):
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, device_scale_factor=2)
    try:
        page = context.new_page()
        problems = open_explorers(page, address(demo, "pair"))
        figure = page.locator("figure.ca-lx")
        figure.locator(".ca-lx-plot").first.scroll_into_view_if_needed()
        scrolled, before = page.evaluate("window.scrollY"), image_pixels(figure, 1)
        e = figure.evaluate("f => f.caExplorer.extent()")
        start, target = point_of(figure), [e[0] + 0.3 * (e[1] - e[0]), e[2] + 0.2 * (e[3] - e[2])]
        (x0, y0), (x1, y1) = (figure.evaluate("(f, z) => f.caExplorer.onScreen(0, z)", z) for z in (start, target))
        session = context.new_cdp_session(page)
        touch = lambda kind, x, y: session.send(  # noqa: E731
            "Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y}] if kind != "touchEnd" else []}
        )
        touch("touchStart", x0, y0)
        for step in range(1, 11):
            touch("touchMove", x0 + (x1 - x0) * step / 10, y0 + (y1 - y0) * step / 10)
        touch("touchEnd", x1, y1)
        page.wait_for_timeout(150)
        assert np.allclose(point_of(figure), target, atol=0.02 * (e[1] - e[0])), (point_of(figure), target)
        assert page.evaluate("window.scrollY") == scrolled, "the drag scrolled the page"
        assert image_pixels(figure, 1) != before, "the VAE's image did not change"
        assert drawn_is_decoded(figure, 0) <= 1 and drawn_is_decoded(figure, 1) <= 1
        assert not problems, "\n".join(problems)
    finally:
        context.close()


def test_sliders_highlights_and_views(page, demo):
    open_explorers(page, address(demo, "pair"))
    figure = page.locator("figure.ca-lx")
    slider = figure.locator(".ca-lx-slider input").first
    slider.fill("1.5")  # a range input takes a value like a text field, rounded to its step
    page.wait_for_timeout(100)
    step = float(slider.get_attribute("step"))
    assert point_of(figure)[0] == pytest.approx(1.5, abs=step)

    dots = "f => f.querySelector('.ca-lx-dots').toDataURL()"
    plain = figure.evaluate(dots)
    four = figure.locator(".ca-lx-digit[data-digit='4']")
    four.click()
    assert four.get_attribute("aria-pressed") == "true" and figure.evaluate(dots) != plain
    four.click()
    assert four.get_attribute("aria-pressed") == "false" and figure.evaluate(dots) == plain

    circle = figure.locator(".ca-lx-view", has_text="the prior's circle")
    circle.click()
    assert circle.get_attribute("aria-pressed") == "true"
    radius = float(np.sqrt(-2 * np.log(0.05)))
    assert figure.evaluate("f => f.caExplorer.extent()") == pytest.approx([-1.25 * radius, 1.25 * radius] * 2)
    assert float(slider.get_attribute("max")) == pytest.approx(1.25 * radius)
    assert point_of(figure)[0] == pytest.approx(1.5, abs=step), "the point stays where it was, inside the view"
    figure.locator(".ca-lx-view", has_text="3 times wider").click()
    wide = figure.evaluate("f => f.caExplorer.extent()")
    assert wide[1] - wide[0] == pytest.approx(3 * (page_data(demo.widgets["pair"])["views"][0]["extent"][1]
                                                   - page_data(demo.widgets["pair"])["views"][0]["extent"][0]))  # fmt: skip
    figure.locator(".ca-lx-reset").click()
    page.wait_for_timeout(100)
    assert point_of(figure) == [0, 0]


# --------------------------------------------------------------------------------------------------
# Everywhere the book is read
# --------------------------------------------------------------------------------------------------
CONTRAST = """f => {
  const luminance = c => { const [r, g, b] = c.match(/[\\d.]+/g).map(Number); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  let node = f, background = 'rgba(0, 0, 0, 0)';
  while (node && /rgba\\(.*, 0\\)|transparent/.test(background)) {
    background = getComputedStyle(node).backgroundColor; node = node.parentElement;
  }
  if (/rgba\\(.*, 0\\)|transparent/.test(background)) background = 'rgb(255, 255, 255)';
  const halo = getComputedStyle(f).getPropertyValue('--ca-lx-halo').trim();
  return [luminance(getComputedStyle(f).color), luminance(background), luminance(halo)];
}"""


def contrast(figure) -> float:
    """How far the explorer's ink is from the background behind it (luminance, 0-255); its halo must be on the
    background's side."""
    ink, background, halo = figure.evaluate(CONTRAST)
    assert abs(halo - background) < abs(halo - ink), (ink, background, halo)
    return abs(ink - background)


def axe_problems(page) -> list[str]:
    """axe's critical and serious findings in the explorers (the rest of a page is tests/test_browser.py's)."""
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page, context="figure.ca-lx").response["violations"]
    return [f"{v['impact']}: {v['id']} ({len(v['nodes'])} elements): {v['help']}" for v in violations
            if v["impact"] in ("critical", "serious")]  # fmt: skip


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_serious_problem_and_the_map_follows_the_theme(browser, demo, scheme):
    context = browser.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        open_explorers(page, address(demo, "both"))
        assert not axe_problems(page)
        figure = page.locator("figure.ca-lx").first
        # the frame of the map is drawn in the page's text colour: light on a dark page, dark on a light one
        ink = figure.evaluate(
            """f => { const c = f.querySelector('.ca-lx-dots'), r = c.width / c.clientWidth;
                      const d = c.getContext('2d').getImageData(Math.round(37 * r), Math.round(c.height / 2), 6 * r, 1).data;
                      let light = 0, dark = 0;  // the strongest light and dark ink around the frame's left side
                      for (let i = 0; i < d.length; i += 4) {
                        const grey = (d[i] + d[i + 1] + d[i + 2]) / 3, alpha = d[i + 3] / 255;
                        light = Math.max(light, grey * alpha); dark = Math.max(dark, (255 - grey) * alpha);
                      }
                      return { light, dark }; }"""
        )
        halo = figure.evaluate("f => getComputedStyle(f).getPropertyValue('--ca-lx-halo').trim()")
        assert contrast(figure) > 100
        if scheme == "dark":
            assert ink["light"] > 150 and ink["dark"] < 60 and halo == "rgb(18, 18, 18)", (ink, halo)
        else:
            assert ink["dark"] > 150 and ink["light"] < 60 and halo == "rgb(255, 255, 255)", (ink, halo)
    finally:
        context.close()


def test_a_phone_shows_the_figure_without_scrolling_sideways(browser, demo, tmp_path):
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, device_scale_factor=2)
    try:
        page = context.new_page()
        open_explorers(page, address(demo, "both"))
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        widths = page.eval_on_selector_all(
            "figure.ca-lx, figure.ca-lx canvas, figure.ca-lx button",
            "els => els.map(e => e.getBoundingClientRect().right)",
        )
        assert max(widths) <= PHONE["width"], max(widths)
        small = page.eval_on_selector_all(
            "figure.ca-lx button", "bs => bs.filter(b => b.offsetWidth < 24 || b.offsetHeight < 24).length"
        )
        assert small == 0, "touch targets of at least 24 x 24 px"
        page.screenshot(path=tmp_path / "phone.png", full_page=True)
    finally:
        context.close()


def test_nothing_moves_by_itself(browser, demo):
    """For readers who ask for reduced motion: no animation or transition, before or after an interaction."""
    context = browser.new_context(reduced_motion="reduce")
    try:
        page = context.new_page()
        open_explorers(page, address(demo, "single"))
        page.locator(".ca-lx-plot").focus()
        page.keyboard.press("ArrowLeft")
        page.locator(".ca-lx-digit").first.click()
        assert page.evaluate("document.getAnimations().length") == 0
        moving = page.eval_on_selector_all(
            "figure.ca-lx, figure.ca-lx *",
            "els => els.filter(e => { const s = getComputedStyle(e); return s.transitionDuration !== '0s' || "
            "s.animationName !== 'none'; }).length",
        )
        assert moving == 0
    finally:
        context.close()


def test_without_its_script_the_figure_says_what_it_shows(browser, demo):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(address(demo, "single"))
        figure = page.locator("figure.ca-lx")
        assert figure.locator(".ca-lx-noscript").is_visible()
        assert not figure.locator(".ca-lx-body").is_visible() and not figure.locator(".ca-lx-how").is_visible()
        caption = figure.locator("figcaption").inner_text()
        assert caption == demo.widgets["single"].text.splitlines()[1] and "The point starts at z = (" in caption
    finally:
        context.close()


# --------------------------------------------------------------------------------------------------
# Inside the book's chapter pages, and in JupyterLab
# --------------------------------------------------------------------------------------------------
CHAPTER_PAGES = {  # each chapter's own explorer: chapter 3's single one, chapter 5's pair
    "single": "notebooks/03_conv_autoencoder.html",
    "pair": "notebooks/05_variational_autoencoder.html",
}


def chapter_with_explorer(html: Path, folder: Path, name: str) -> str:
    """A copy of a chapter page of the built site, which must hold its explorer; the site's other files are
    linked, not copied. Return the page's path in ``folder``."""
    page = CHAPTER_PAGES[name]
    if not folder.exists():
        folder.mkdir(parents=True)
        for item in html.iterdir():
            if item.name != "notebooks":
                (folder / item.name).symlink_to(item, target_is_directory=item.is_dir())
        (folder / "notebooks").mkdir()
    built = (html / page).read_text(encoding="utf-8")
    assert 'class="ca-lx' in built, f"{page} has no latent-space explorer"
    target = folder / page
    shutil.copy2(html / page, target)
    return target.relative_to(folder).as_posix()


@pytest.fixture(scope="module")
def chapters(html, tmp_path_factory):
    folder = tmp_path_factory.mktemp("explorer-site") / "site"
    pages = {name: chapter_with_explorer(html, folder, name) for name in CHAPTER_PAGES}
    with serve(folder) as url:
        yield SimpleNamespace(folder=folder, url=url, pages=pages)


@pytest.mark.parametrize("name", list(CHAPTER_PAGES))
def test_in_a_chapter_page_of_the_site(browser, chapters, name):
    """The chapter page with its explorer: within the 2 MB budget, no script error, axe, dark theme, phone."""
    from coursetools.sitecheck import page_weight
    from test_site import MAX_PAGE_BYTES

    weight = page_weight(chapters.folder, chapters.pages[name])
    print(f"\n{chapters.pages[name]}: {weight['sent'] / 1e6:.2f} MB sent with the explorer")
    assert weight["sent"] < MAX_PAGE_BYTES, weight
    context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
    try:
        page = context.new_page()
        problems = open_explorers(page, chapters.url + chapters.pages[name])
        figure = page.locator("figure.ca-lx").first
        # the page's images at the check points against the Keras images the chapter stored with them
        data = json.loads(figure.locator(".ca-lx-data").text_content())
        for index, panel in enumerate(data["panels"]):
            keras_images = floats(panel["keras"]).reshape(len(data["checks"]), -1)
            ours = np.array(figure.evaluate(f"(f, zs) => zs.map(z => f.caExplorer.decode({index}, z))", data["checks"]))
            assert np.abs(ours - keras_images).max() < TOLERANCE, panel["name"]
        assert float(figure.get_attribute("data-check")) < TOLERANCE
        before = image_pixels(figure)
        figure.locator(".ca-lx-plot").first.focus()
        page.keyboard.press("Shift+ArrowLeft")
        page.wait_for_timeout(200)
        assert image_pixels(figure) != before and drawn_is_decoded(figure) <= 1
        # checked before axe runs: axe fetches the theme's imported style sheets itself, from the wrong folder
        assert not problems, "\n".join(problems)
        assert not axe_problems(page)
        assert contrast(figure) > 100
        # The theme's dark mode: the page turns dark, and the theme gives a cell's HTML output a light card
        # with dark text; the explorer follows the colours of what surrounds it.
        for _ in range(3):  # the theme's button goes round its modes: system, light, dark
            if page.evaluate("document.documentElement.dataset.theme") == "dark":
                break
            page.locator("button.theme-switch-button").first.click()
        assert page.evaluate("document.documentElement.dataset.theme") == "dark"
        page.wait_for_timeout(300)
        assert contrast(figure) > 100
        assert not axe_problems(page)
        page.set_viewport_size(PHONE)
        page.wait_for_timeout(300)
        assert figure.evaluate("f => f.getBoundingClientRect().right") <= PHONE["width"]
    finally:
        context.close()


def test_jupyterlab_runs_the_stored_output_without_a_kernel(page, demo, tmp_path):
    """A notebook with the explorer's output stored, trusted and opened in JupyterLab, where no cell is run."""
    from test_jupyterlab import free_port

    root = tmp_path / "lab"
    root.mkdir()
    widget = demo.widgets["single"]
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("course.latent_explorer(decoder, val_codes, y_val)", execution_count=1)
    cell.outputs = [nbformat.v4.new_output("display_data", data=widget._repr_mimebundle_())]
    notebook.cells = [nbformat.v4.new_markdown_cell("# The explorer, from the stored output"), cell]
    nbformat.write(notebook, root / "explorer.ipynb")
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    env.update(JUPYTER_DATA_DIR=str(root / ".data"), JUPYTER_RUNTIME_DIR=str(root / ".runtime"))
    jupyter = str(Path(sys.executable).parent / "jupyter")
    subprocess.run([jupyter, "trust", str(root / "explorer.ipynb")], env=env, check=True, capture_output=True)
    token, port = os.urandom(16).hex(), free_port()
    command = [jupyter, "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={root}", f"--LabApp.user_settings_dir={root / '.settings'}",
               f"--LabApp.workspaces_dir={root / '.workspaces'}"]  # fmt: skip
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # JupyterLab refuses root without it (students do not run as root)
    with open(root / "lab.log", "w") as log:
        server = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None:
                    pytest.fail("JupyterLab stopped:\n" + (root / "lab.log").read_text()[-3000:])
                time.sleep(0.5)
        page.set_default_timeout(120_000)
        page.goto(f"{url}/lab/tree/explorer.ipynb?token={token}")
        # the notebook names no kernel: JupyterLab asks for one, and the reader declines
        page.locator(".jp-Dialog", has_text="Select Kernel").wait_for()
        page.keyboard.press("Escape")
        page.locator(".jp-Dialog").wait_for(state="detached")
        assert "No Kernel" in page.locator(".jp-NotebookPanel-toolbar").inner_text()
        page.wait_for_selector(".jp-NotebookPanel .jp-OutputArea-output figure.ca-lx[data-lx-ready]")
        figure = page.locator(".jp-OutputArea-output figure.ca-lx")
        page.wait_for_function("f => f.caExplorer", arg=figure.element_handle())
        assert float(figure.get_attribute("data-check")) < TOLERANCE
        start, before = point_of(figure), image_pixels(figure)
        figure.locator(".ca-lx-plot").focus()
        page.keyboard.press("ArrowDown")
        page.wait_for_timeout(200)
        assert point_of(figure)[1] < start[1] and image_pixels(figure) != before
        assert drawn_is_decoded(figure) <= 1
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(root / ".runtime", ignore_errors=True)
