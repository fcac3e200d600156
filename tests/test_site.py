"""Static checks of the built site, no browser needed: it works offline, stays light, and is accessible.

- Nothing a page loads (scripts, style sheets, fonts, icons, images) comes from outside the site, and
  everything it loads is in the site: a copy of _build/html works on a USB stick in a room without
  internet (MathJax included). tests/test_browser.py refuses, in Chromium, any request that a script makes
  at run time; how a page's resources are read from its HTML is tests/test_sitecheck.py's.
- No repository, Binder or CDN address that the course did not choose is written into the pages.
- A chapter page and all it loads weigh under 2 MB as a web host sends them.
- Every page has a language and a title; headings go down one level at a time; images have a text.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from coursetools import chapters
from coursetools.settings import ROOT, TARGETS
from coursetools.sitecheck import (
    css_references,
    is_external,
    local_target,
    page_resources,
    page_weight,
    soup_of,
    toc_pages,
)

pytestmark = pytest.mark.slow

TOC_PAGES = toc_pages()
CHAPTER_PAGES = [f"{path.relative_to(ROOT).with_suffix('.html')}" for path in chapters.chapters()]
MAX_PAGE_BYTES = TARGETS["chapter page"]
URL_IN_TEXT = re.compile(r"""(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}[^\s"'<>)]*""", re.IGNORECASE)
# An alt text that only repeats the file name (myst-nb's default for an output image without metadata).
PATH_LIKE_ALT = re.compile(r"^\S*\.(png|jpe?g|gif|svg|webp|bmp)$|_images/|^data:", re.IGNORECASE)


def site_pages(html: Path) -> list[Path]:
    """Every HTML page of the built site (the theme's and MathJax's static files aside)."""
    return sorted(p for p in html.rglob("*.html") if "_static" not in p.relative_to(html).parts)


def _fail_on(problems: list[str], what: str) -> None:
    assert not problems, f"{what}:\n  " + "\n  ".join(sorted(set(problems)))


# --------------------------------------------------------------------------------------------------
# Offline
# --------------------------------------------------------------------------------------------------
def test_every_page_loads_only_files_of_the_site(html):
    problems = []
    for page in site_pages(html):
        for what, url in page_resources(soup_of(page)):
            target = local_target(page.parent, url)
            if is_external(url):
                problems.append(f"{page.relative_to(html)}: {what} {url} (outside the site)")
            elif target is not None and not target.is_file():
                problems.append(f"{page.relative_to(html)}: {what} {url} (missing)")
    _fail_on(problems, "pages that need the network or files the build lacks")


def test_style_sheets_load_nothing_from_outside_the_site(html):
    problems = []
    for css in sorted(html.rglob("*.css")):
        for ref in css_references(css.read_text(encoding="utf-8", errors="replace")):
            target = local_target(css.parent, ref)
            if is_external(ref) or (target is not None and not target.is_file()):
                problems.append(f"{css.relative_to(html)}: {ref}")
    _fail_on(problems, "style sheets that refer to files they cannot have offline")


def test_inline_scripts_name_no_address_outside_the_site(html):
    """An inline script that names an outside address may fetch it (now, or on a click).

    Jupyter Book's default sphinx-thebe wrote `const THEBE_JS_URL = "https://unpkg.com/thebe@..."` and a
    Binder repository into every page; _config.yml drops the extension, and this keeps such addresses out.
    """
    problems = [
        f"{page.relative_to(html)}: {url}"
        for page in site_pages(html)
        for script in soup_of(page).find_all("script", src=False)
        for url in URL_IN_TEXT.findall(script.get_text())
    ]
    _fail_on(problems, "inline scripts naming outside addresses")


def test_no_invented_repository_binder_or_launch_address(html):
    """The course publishes no repository URL: none may appear, neither Jupyter Book's nor a Binder example."""
    markers = [
        "binder-examples",
        "x-thebe-config",
        "executablebooks/jupyter-book",
        "mybinder.org",
        "colab.research.google.com",
        "thebe-launch-button",
    ]
    problems = [
        f"{page.relative_to(html)}: {marker}"
        for page in site_pages(html)
        for marker in markers
        if marker in page.read_text(encoding="utf-8", errors="replace")
    ]
    _fail_on(problems, "pages with a repository, Binder or launch address")


def test_mathjax_is_served_by_the_site_without_what_the_book_does_not_load(html):
    """Math is typeset by the parts of MathJax that book/_ext/book_mathjax.py copies into the site (not all of
    MathJax, 24 MB, as sphinx-mathjax-offline copied it)."""
    folder = html / "_static" / "mathjax"
    size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    assert size < 3_000_000, f"_static/mathjax holds {size / 1e6:.1f} MB"
    assert not (folder / "tex-chtml.js").exists() and not (folder / "sre").exists()
    sources = [
        (page, url) for page in site_pages(html) for _, url in page_resources(soup_of(page)) if "mathjax" in url.lower()
    ]
    assert sources, "no page loads MathJax: the chapters' math would not be typeset"
    for page, url in sources:
        assert local_target(page.parent, url).is_file(), f"{page.relative_to(html)} loads MathJax from {url}"


# --------------------------------------------------------------------------------------------------
# Weight, configuration, theme
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", CHAPTER_PAGES)
def test_chapter_page_weighs_under_2_mb(html, path):
    """The path and every file it loads, HTML, CSS and JavaScript gzip-compressed as a web host sends them."""
    weight = page_weight(html, path)
    assert weight["sent"] < MAX_PAGE_BYTES, (
        f"{path} weighs {weight['sent'] / 1e6:.2f} MB in {weight['files']} files (target: under "
        f"{MAX_PAGE_BYTES / 1e6:.0f} MB); heaviest: {', '.join(weight['heaviest'])}"
    )


def test_no_page_shows_the_build_date(html):
    """_config.yml turns Sphinx's "Last updated on" stamp off: the build date is not the content's date."""
    _fail_on(
        [str(p.relative_to(html)) for p in site_pages(html) if "Last updated on" in p.read_text()],
        "pages with a build date",
    )


def test_config_lists_every_extension_but_thebe():
    """_config.yml replaces Jupyter Book's extension list (to leave sphinx-thebe out): keep it complete."""
    from jupyter_book.config import get_default_sphinx_config

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    extensions = config["sphinx"]["config"]["extensions"]
    wanted = [e for e in get_default_sphinx_config()["extensions"] if e != "sphinx_thebe"]
    wanted += ["sphinxcontrib.bibtex"] if config.get("bibtex_bibfiles") else []
    assert not [e for e in wanted if e not in extensions], f"_config.yml's extensions lack {wanted}"
    assert "sphinx_thebe" not in extensions


def test_no_page_loads_fontawesome_js(html):
    """The theme's 1.5 MB icon script is left out by book/_templates (the book's icons come from a web font)."""
    _fail_on([str(p.relative_to(html)) for p in site_pages(html) if "fontawesome.js" in p.read_text()],
             "pages that load fontawesome.js")  # fmt: skip


def test_theme_template_override_matches_the_installed_theme():
    """book/_templates/static/webpack-macros.html is the installed theme's file without fontawesome.js.

    The theme loads fontawesome.js (1.5 MB) on every page "so that users can add custom icons"; the book adds
    none. pydata-sphinx-theme 0.17 has no option to leave it out, so the book overrides the template. When a
    new theme version changes its template (or its asset digest), copy it again and drop the script line.
    """
    import pydata_sphinx_theme

    theme_dir = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme"
    theirs = (theme_dir / "static" / "webpack-macros.html").read_text(encoding="utf-8")
    ours = (ROOT / "book" / "_templates" / "static" / "webpack-macros.html").read_text(encoding="utf-8")

    def strip(template: str) -> list[str]:
        template = re.sub(r"<!--.*?-->|\{#.*?#\}", "", template, flags=re.DOTALL)
        return [line.strip() for line in template.splitlines() if line.strip() and "fontawesome.js" not in line]

    assert "fontawesome.js" in theirs, "the theme no longer loads fontawesome.js: delete book/_templates/"
    assert strip(ours) == strip(theirs), (
        f"the installed pydata-sphinx-theme {pydata_sphinx_theme.__version__} has another webpack-macros.html "
        "than the copy in book/_templates/static/: copy it again without the fontawesome.js line"
    )


# --------------------------------------------------------------------------------------------------
# Accessibility basics
# --------------------------------------------------------------------------------------------------
def test_index_leads_to_the_first_page_of_the_toc(html):
    refresh = soup_of(html / "index.html").find("meta", attrs={"http-equiv": re.compile("refresh", re.I)})
    assert refresh is not None, "index.html is not Jupyter Book's redirect to the first page"
    target = re.search(r"url=(.+)", refresh["content"], re.I).group(1).strip()
    assert target == TOC_PAGES[0], f"index.html leads to {target}, not to the root of the TOC {TOC_PAGES[0]}"
    assert (html / target).is_file()


@pytest.mark.parametrize("path", [*TOC_PAGES, "search.html", "genindex.html"])
def test_page_has_a_language_and_a_title(html, path):
    soup = soup_of(html / path)
    assert (soup.find("html").get("lang") or "").strip(), f"{path}: <html> has no lang attribute"
    assert soup.find("title") and soup.find("title").get_text(strip=True), f"{path}: no <title>"


@pytest.mark.parametrize("path", TOC_PAGES)
def test_headings_go_down_one_level_at_a_time(html, path):
    """In the path's main content: one h1 (the title) first, then no level skipped on the way down."""
    main = soup_of(html / path).select_one("article.bd-article")
    headings = [
        (int(tag.name[1]), tag.get_text(" ", strip=True).rstrip("#").strip())
        for tag in main.find_all(re.compile(r"^h[1-6]$"))
    ]
    assert headings and headings[0][0] == 1, f"{path}: the first heading is not h1: {headings[:1]}"
    problems = (
        [f"{len([h for h in headings if h[0] == 1])} h1 headings"] if [h[0] for h in headings].count(1) > 1 else []
    )
    problems += [
        f"h{before} is followed by h{level} ({text!r})"
        for (before, _), (level, text) in zip(headings, headings[1:])
        if level > before + 1
    ]
    _fail_on(problems, f"{path}: headings out of order")


@pytest.mark.parametrize("path", TOC_PAGES)
def test_images_have_a_text(html, path):
    """Every image has an alt text that says something, or a caption (a file name is not a text)."""
    problems = []
    for image in soup_of(html / path).select("article.bd-article img"):
        alt = (image.get("alt") or "").strip()
        figure = image.find_parent("figure")
        if not (alt and not PATH_LIKE_ALT.search(alt)) and not (figure and figure.find("figcaption")):
            problems.append(f"{image.get('src')} (alt={alt!r})")
    _fail_on(problems, f"{path}: images without alt text or caption")
