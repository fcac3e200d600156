"""Static checks of the built site, no browser needed: it works offline, and its pages are accessible.

- Nothing a page loads (scripts, style sheets, fonts, icons, images) comes from outside the site, and
  everything it loads is in the site: a copy of _build/html works on a USB stick in a room without
  internet. tests/test_browser.py checks the same again in Chromium, request by request.
- No repository, Binder or CDN address that the course did not choose is written into the pages.
- Every page has a language and a title; headings go down one level at a time.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

import sitecheck
from conftest import ROOT

pytestmark = pytest.mark.slow

TOC_PAGES = sitecheck.toc_pages()
# <link rel=...> values that make the browser fetch something (or open a connection) by themselves.
FETCHING_RELS = {
    "stylesheet", "preload", "modulepreload", "prefetch", "icon", "shortcut", "apple-touch-icon",
    "apple-touch-icon-precomposed", "manifest", "mask-icon", "preconnect", "dns-prefetch", "prerender",
}
CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)""", re.IGNORECASE)
CSS_IMPORT = re.compile(r"""@import\s+["']([^"']+)["']""", re.IGNORECASE)  # @import url(...) is a url()
URL_IN_TEXT = re.compile(r"""(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}[^\s"'<>)]*""", re.IGNORECASE)


@pytest.fixture(scope="module")
def html(built_site) -> Path:
    if not (built_site.html / "index.html").is_file():
        pytest.fail(f"the book was not built:\n{built_site.log[-3000:]}", pytrace=False)
    return built_site.html


def soup_of(path: Path):
    from bs4 import BeautifulSoup  # a dependency of the book's theme (pydata-sphinx-theme)

    return BeautifulSoup(path.read_text(encoding="utf-8", errors="replace"), "html.parser")


def site_pages(html: Path) -> list[Path]:
    """Every HTML page of the built site (the theme's and MathJax's static files aside)."""
    return sorted(p for p in html.rglob("*.html") if "_static" not in p.relative_to(html).parts)


def is_external(url: str) -> bool:
    """A URL that needs the network (or a path outside the site: file:, an absolute path)."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about", "javascript", "mailto"):
        return False
    return bool(parts.scheme) or url.startswith("//") or url.startswith("/")


def css_references(css: str) -> list[str]:
    refs = [next(g for g in match.groups() if g is not None) for match in CSS_URL.finditer(css)]
    return [r for r in refs if r] + CSS_IMPORT.findall(css)


def page_resources(soup) -> list[tuple[str, str]]:
    """(what, url) for everything a page makes the browser fetch on load."""
    found = []
    for tag in soup.find_all("script", src=True):
        found.append(("<script src>", tag["src"]))
    for tag in soup.find_all("link", href=True):
        rels = {rel.lower() for rel in (tag.get("rel") or [])}
        if rels & FETCHING_RELS:
            found.append((f"<link rel={'/'.join(sorted(rels))}>", tag["href"]))
    for name, attribute in [("img", "src"), ("source", "src"), ("video", "src"), ("video", "poster"),
                            ("audio", "src"), ("iframe", "src"), ("embed", "src"), ("object", "data"),
                            ("input", "src"), ("track", "src"), ("image", "href"), ("image", "xlink:href")]:
        for tag in soup.find_all(name, attrs={attribute: True}):
            found.append((f"<{name} {attribute}>", tag[attribute]))
    for name in ("img", "source"):
        for tag in soup.find_all(name, srcset=True):
            for candidate in tag["srcset"].split(","):
                if candidate.strip():
                    found.append((f"<{name} srcset>", candidate.split()[0]))
    for tag in soup.find_all("style"):
        found += [("<style>", ref) for ref in css_references(tag.get_text())]
    for tag in soup.find_all(style=True):
        found += [("style attribute", ref) for ref in css_references(tag["style"])]
    return found


# --------------------------------------------------------------------------------------------------
# Offline
# --------------------------------------------------------------------------------------------------
def test_no_page_loads_anything_from_outside_the_site(html):
    problems = []
    for page in site_pages(html):
        for what, url in page_resources(soup_of(page)):
            if is_external(url):
                problems.append(f"{page.relative_to(html)}: {what} {url}")
    assert not problems, "pages that need the network to render:\n  " + "\n  ".join(problems)


def test_everything_a_page_loads_is_in_the_site(html):
    problems = []
    for page in site_pages(html):
        for what, url in page_resources(soup_of(page)):
            if is_external(url) or urlsplit(url).scheme:
                continue
            target = (page.parent / unquote(urlsplit(url).path)).resolve()
            if not target.is_file():
                problems.append(f"{page.relative_to(html)}: {what} {url} (missing)")
    assert not problems, "resources missing from the build:\n  " + "\n  ".join(problems)


def test_style_sheets_load_nothing_from_outside_the_site(html):
    problems = []
    for css in sorted(html.rglob("*.css")):
        for ref in css_references(css.read_text(encoding="utf-8", errors="replace")):
            if is_external(ref):
                problems.append(f"{css.relative_to(html)}: {ref}")
            elif not urlsplit(ref).scheme and not (css.parent / unquote(urlsplit(ref).path)).resolve().is_file():
                problems.append(f"{css.relative_to(html)}: {ref} (missing)")
    assert not problems, "style sheets that import or reference files they cannot have offline:\n  " + "\n  ".join(problems)


def test_inline_scripts_name_no_address_outside_the_site(html):
    """An inline script that names an outside address may fetch it (now, or on a click).

    Jupyter Book's default sphinx-thebe wrote `const THEBE_JS_URL = "https://unpkg.com/thebe@..."` into
    every page: a script that is fetched only when a reader presses a "launch Thebe" button. The book has
    no such button, but the address, and the Binder repository in the thebe config, were still on every
    page; _config.yml drops the extension, and this test keeps any such address out of inline scripts.
    """
    problems = []
    for page in site_pages(html):
        for script in soup_of(page).find_all("script", src=False):
            for url in URL_IN_TEXT.findall(script.get_text()):
                problems.append(f"{page.relative_to(html)}: {url}")
    assert not problems, "inline scripts naming outside addresses:\n  " + "\n  ".join(sorted(set(problems)))


def test_no_invented_repository_binder_or_launch_address(html):
    """The course publishes no repository URL: none may appear, neither Jupyter Book's nor a Binder example."""
    markers = ["binder-examples", "x-thebe-config", "executablebooks/jupyter-book", "mybinder.org",
               "colab.research.google.com", "thebe-launch-button"]
    problems = []
    for page in site_pages(html):
        text = page.read_text(encoding="utf-8", errors="replace")
        problems += [f"{page.relative_to(html)}: {marker}" for marker in markers if marker in text]
    assert not problems, "pages with a repository, Binder or launch address:\n  " + "\n  ".join(problems)


def test_mathjax_is_served_by_the_site(html):
    """Math is typeset by the copy of MathJax that sphinx-mathjax-offline puts into the site."""
    pages_with_mathjax = 0
    for page in site_pages(html):
        for tag in soup_of(page).find_all("script", src=True):
            if "mathjax" in tag["src"].lower():
                pages_with_mathjax += 1
                assert not is_external(tag["src"]), f"{page.relative_to(html)} loads MathJax from {tag['src']}"
                assert (page.parent / urlsplit(tag["src"]).path).resolve().is_file()
    assert pages_with_mathjax, "no page loads MathJax: the chapters' math would not be typeset"


def test_config_lists_every_extension_but_thebe():
    """_config.yml replaces Jupyter Book's extension list (to leave sphinx-thebe out): keep it complete."""
    from jupyter_book.config import get_default_sphinx_config

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    sphinx = config.get("sphinx", {})
    extensions = (sphinx.get("config") or {}).get("extensions", [])
    wanted = [e for e in get_default_sphinx_config()["extensions"] if e != "sphinx_thebe"]
    wanted += list(sphinx.get("extra_extensions") or [])
    if config.get("bibtex_bibfiles"):
        wanted.append("sphinxcontrib.bibtex")
    missing = [e for e in wanted if e not in extensions]
    assert not missing, f"sphinx.config.extensions in _config.yml lacks {missing}"
    assert "sphinx_thebe" not in extensions


# --------------------------------------------------------------------------------------------------
# Accessibility basics
# --------------------------------------------------------------------------------------------------
def test_index_leads_to_the_first_page_of_the_toc(html):
    text = (html / "index.html").read_text(encoding="utf-8")
    soup = soup_of(html / "index.html")
    refresh = soup.find("meta", attrs={"http-equiv": re.compile("refresh", re.I)})
    if refresh is None:  # a real index page rather than Jupyter Book's redirect
        assert soup.find("html") and soup.find("title"), text[:300]
        return
    target = re.search(r"url=(.+)", refresh["content"], re.I).group(1).strip()
    assert target == TOC_PAGES[0], f"index.html leads to {target}, not to the root of the TOC {TOC_PAGES[0]}"
    assert (html / target).is_file()


@pytest.mark.parametrize("page", [*TOC_PAGES, "search.html", "genindex.html"])
def test_page_has_a_language_and_a_title(html, page):
    soup = soup_of(html / page)
    root = soup.find("html")
    assert root is not None and (root.get("lang") or "").strip(), f"{page}: <html> has no lang attribute"
    title = soup.find("title")
    assert title is not None and title.get_text(strip=True), f"{page}: no <title>"


@pytest.mark.parametrize("page", TOC_PAGES)
def test_headings_go_down_one_level_at_a_time(html, page):
    """In the page's main content: one h1 (the title) first, then no level skipped on the way down."""
    soup = soup_of(html / page)
    main = soup.select_one("article.bd-article") or soup.find("main") or soup.body
    headings = [(int(tag.name[1]), tag.get_text(" ", strip=True).rstrip("#").strip())
                for tag in main.find_all(re.compile(r"^h[1-6]$"))]
    assert headings, f"{page}: no heading"
    problems = []
    if headings[0][0] != 1:
        problems.append(f"the first heading is h{headings[0][0]} ({headings[0][1]!r}), not h1")
    h1s = [text for level, text in headings if level == 1]
    if len(h1s) > 1:
        problems.append(f"{len(h1s)} h1 headings (one is the page title): {h1s}")
    for (before, _), (level, text) in zip(headings, headings[1:]):
        if level > before + 1:
            problems.append(f"h{before} is followed by h{level} ({text!r})")
    assert not problems, f"{page}: headings out of order:\n  " + "\n  ".join(problems)


def test_the_static_checks_catch_outside_resources():
    """The parsing above finds each way a page can pull something from outside the site."""
    from bs4 import BeautifulSoup

    page = BeautifulSoup(
        """<html><head>
        <script src="https://cdn.example.org/mathjax/tex-chtml.js"></script>
        <script src="_static/local.js"></script>
        <link rel="stylesheet" href="//fonts.example.org/css?family=Lato">
        <link rel="icon" href="https://example.org/favicon.ico">
        <link rel="next" href="https://example.org/next.html">
        <style>@import url("https://example.org/theme.css"); body { background: url(img/local.png) }</style>
        </head><body>
        <img src="http://example.org/figure.png" srcset="a.png 1x, https://example.org/b.png 2x">
        <div style="background-image: url('https://example.org/bg.png')"></div>
        <a href="https://example.org/a-link-is-not-a-resource.html">link</a>
        <img src="data:image/png;base64,AAAA">
        </body></html>""",
        "html.parser",
    )
    external = sorted(url for _, url in page_resources(page) if is_external(url))
    assert external == sorted([
        "https://cdn.example.org/mathjax/tex-chtml.js", "//fonts.example.org/css?family=Lato",
        "https://example.org/favicon.ico", "https://example.org/theme.css", "http://example.org/figure.png",
        "https://example.org/b.png", "https://example.org/bg.png",
    ])
    assert css_references('@import "https://a.example/x.css"; i { src: url(../fonts/x.woff2) }') == [
        "../fonts/x.woff2", "https://a.example/x.css"]
