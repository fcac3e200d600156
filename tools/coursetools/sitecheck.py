"""What the pages of the built book load, read from their HTML and CSS (no browser, no server).

    python -m coursetools sitecheck [_build/html]      # the weight of every page of the TOC, what it loads from outside

Used by tests/test_site.py (nothing loads from outside the site; pages stay light) and by `make bench`.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import re
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bs4 import BeautifulSoup

from . import chapters
from .settings import BUILD

# <link rel=...> values that make the browser fetch something (or open a connection) by themselves.
FETCHING_RELS = {
    "stylesheet", "preload", "modulepreload", "prefetch", "icon", "shortcut", "apple-touch-icon",
    "apple-touch-icon-precomposed", "manifest", "mask-icon", "preconnect", "dns-prefetch", "prerender",
}  # fmt: skip
# Tags and attributes that make the browser fetch a URL.
FETCHING_ATTRIBUTES = [
    ("img", "src"), ("source", "src"), ("video", "src"), ("video", "poster"), ("audio", "src"),
    ("iframe", "src"), ("embed", "src"), ("object", "data"), ("input", "src"), ("track", "src"),
    ("image", "href"), ("image", "xlink:href"),
]  # fmt: skip
CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)""", re.IGNORECASE)
CSS_IMPORT = re.compile(r"""@import\s+["']([^"']+)["']""", re.IGNORECASE)  # @import url(...) is a url()
# What a web host sends gzip-compressed.
FALLBACK_FONTS = {".ttf", ".otf", ".woff", ".eot"}  # offered after woff2 in @font-face
TEXT_SUFFIXES = {".html", ".css", ".js", ".mjs", ".json", ".svg", ".xml", ".txt", ".map"}


def toc_pages() -> list[str]:
    """Return the pages of `_toc.yml` as paths of the built site (``book/intro.html``, ...), in reading order."""
    return [f"{name}.html" for name in chapters.docnames()]


def soup_of(path: Path) -> BeautifulSoup:
    """Return the parsed HTML of a file (parsed once per version of the file: the site's checks read every page
    several times, and parsing is most of their time). The tree is shared: read it, do not change it."""
    stat = Path(path).stat()
    return _parsed(Path(path).resolve(), stat.st_mtime_ns, stat.st_size)


@cache
def _parsed(path: Path, mtime_ns: int, size: int) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8", errors="replace"), "html.parser")


def is_external(url: str) -> bool:
    """Return whether a URL needs the network (or a path outside the site: file:, an absolute path)."""
    url = url.strip()
    if urlsplit(url).scheme in ("data", "blob", "about", "javascript", "mailto"):
        return False
    return bool(urlsplit(url).scheme) or url.startswith("/")


def css_references(css: str) -> list[str]:
    """Return the URLs a style sheet refers to (url(...) and @import)."""
    refs = [next(g for g in match.groups() if g is not None) for match in CSS_URL.finditer(css)]
    return [r for r in refs if r] + CSS_IMPORT.findall(css)


def page_resources(soup: BeautifulSoup) -> list[tuple[str, str]]:
    """Return ``(what, url)`` for everything a page makes the browser fetch on load."""
    found = [("<script src>", tag["src"]) for tag in soup.find_all("script", src=True)]
    for tag in soup.find_all("link", href=True):
        rels = {rel.lower() for rel in (tag.get("rel") or [])}
        if rels & FETCHING_RELS:
            found.append((f"<link rel={'/'.join(sorted(rels))}>", tag["href"]))
    for name, attribute in FETCHING_ATTRIBUTES:
        found += [(f"<{name} {attribute}>", tag[attribute]) for tag in soup.find_all(name, attrs={attribute: True})]
    for name in ("img", "source"):
        for tag in soup.find_all(name, srcset=True):
            found += [(f"<{name} srcset>", c.split()[0]) for c in tag["srcset"].split(",") if c.strip()]
    for tag in soup.find_all("style"):
        found += [("<style>", ref) for ref in css_references(tag.get_text())]
    for tag in soup.find_all(style=True):
        found += [("style attribute", ref) for ref in css_references(tag["style"])]
    return found


def local_target(base: Path, url: str) -> Path | None:
    """Return the file a site-relative URL points to from ``base`` (a folder), or None for other URLs."""
    if is_external(url) or urlsplit(url).scheme:
        return None
    return (base / unquote(urlsplit(url).path)).resolve()


@cache
def _sizes(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    sent = len(gzip.compress(data, compresslevel=6, mtime=0)) if path.suffix in TEXT_SUFFIXES else len(data)
    return sent, len(data)


MATHJAX_CONFIG = re.compile(r"window\.MathJax\s*=\s*(\{.*?\})\s*</script>", re.DOTALL)


def mathjax_components(path: Path) -> set[Path]:
    """The files that MathJax's loader fetches for a page that loads ``mathjax/startup.js``: the components of
    its ``loader.load`` list (book/_ext/book_mathjax.py) and, with CommonHTML output, its font data. (The
    fonts themselves are fetched as glyphs need them: the browser's measure, :func:`transferred`, counts them.)"""
    import json

    soup = soup_of(path)
    startup = next((tag["src"] for tag in soup.find_all("script", src=True) if tag["src"].endswith("startup.js")
                    or "startup.js?" in tag["src"]), None)  # fmt: skip
    match = MATHJAX_CONFIG.search(path.read_text(encoding="utf-8", errors="replace"))
    if startup is None or match is None:
        return set()
    folder = local_target(path.parent, startup).parent
    names = json.loads(match.group(1)).get("loader", {}).get("load", [])
    files = {folder / (name.replace("[tex]/", "input/tex/extensions/") + ".js") for name in ["core", *names]}
    if "output/chtml" in names:
        files.add(folder / "output" / "chtml" / "fonts" / "tex.js")
    return {file for file in files if file.is_file()}


def page_weight(html_dir: Path, page: str) -> dict:
    """Return the bytes of a page and of every file it loads, as a web host sends them and as stored, and the
    addresses outside the site that it or its style sheets load (``outside``: none, for a site that works offline).

    The files are the page's scripts, style sheets, images, and what its style sheets refer to (fonts,
    icons): an upper bound of what a reader downloads, since a browser fetches a font only when a glyph needs
    it. ``sent`` counts HTML, CSS, JavaScript and SVG gzip-compressed (level 6, as web hosts do).
    """
    path = html_dir / page
    files = {path.resolve()}
    outside = []
    for _, url in page_resources(soup_of(path)):
        target = local_target(path.parent, url)
        if is_external(url):
            outside.append(url)
        elif target is not None and target.is_file():
            files.add(target)
    for css in [f for f in files if f.suffix == ".css"]:
        references = css_references(css.read_text(errors="replace"))
        outside += [url for url in references if is_external(url)]
        targets = {local_target(css.parent, url) for url in references} - {None}
        woff2 = {t.with_suffix("") for t in targets if t.suffix == ".woff2"}
        for target in targets:
            # A browser takes the first font format it supports: woff2, where a style sheet offers it.
            fallback = target.suffix in FALLBACK_FONTS and target.with_suffix("") in woff2
            if target.is_file() and not fallback:
                files.add(target)
    files |= mathjax_components(path)
    sizes = {file: _sizes(file) for file in files}
    heaviest = sorted(files, key=lambda f: -sizes[f][0])[:3]
    return {
        "page": page,
        "files": len(files),
        "sent": sum(sent for sent, _ in sizes.values()),
        "stored": sum(stored for _, stored in sizes.values()),
        "heaviest": [f"{f.name} {sizes[f][0] / 1e3:.0f} kB" for f in heaviest],
        "outside": sorted(set(outside)),
    }


@contextlib.contextmanager
def serve(folder: Path, gzipped: bool = False):
    """Serve a folder on 127.0.0.1 (a free port) from a background thread, without a log line per request; yield
    its URL. ``gzipped``: text files gzip-compressed, as web hosts send them."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, format, *args):  # noqa: A002 - the base class's signature
            pass

        def send_head(self):
            path = Path(self.translate_path(self.path))
            if path.is_dir():
                path = path / "index.html"
            accepts = "gzip" in self.headers.get("Accept-Encoding", "")
            if not gzipped or path.suffix not in TEXT_SUFFIXES or not accepts:
                return super().send_head()
            if not path.is_file():
                self.send_error(404)
                return None
            body = gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)
            self.send_response(200)
            self.send_header("Content-Type", self.guess_type(str(path)))
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            return io.BytesIO(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


WAIT_FOR_MATH = """async () => {
  if (window.MathJax?.startup?.promise) await MathJax.startup.promise;
  await document.fonts.ready;
}"""


def transferred(html_dir: Path, pages: list[str], chromium: str = "/usr/bin/chromium", browser=None) -> list[dict]:
    """Open each page in Chromium from a server that gzip-compresses text, as a reader does (math typeset,
    fonts loaded); return the bytes it transferred (bodies as sent, compressed where the server compressed)
    and the number of requests, each page in a fresh browser context (nothing cached). ``browser``: a
    Playwright browser to use (the tests'), else Debian's Chromium is launched."""
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(serve(html_dir, gzipped=True))
        if browser is None:
            from playwright.sync_api import sync_playwright

            playwright = stack.enter_context(sync_playwright())
            browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
            stack.callback(browser.close)
        return [_transferred(browser, url, page_path) for page_path in pages]


def _transferred(browser, url: str, page_path: str) -> dict:
    context = browser.new_context(service_workers="block", viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        finished = []
        page.on("requestfinished", lambda request: finished.append(request))
        page.goto(url + page_path, wait_until="load")
        page.evaluate(WAIT_FOR_MATH)
        with contextlib.suppress(Exception):
            page.wait_for_load_state("networkidle", timeout=10_000)
        sizes = [request.sizes() for request in finished]
    finally:
        context.close()
    body = sum(size["responseBodySize"] for size in sizes)
    headers = sum(size["responseHeadersSize"] for size in sizes)
    return {"page": page_path, "requests": len(sizes), "transferred": body + headers}


def main(argv: list[str]) -> int:
    html_dir = Path(argv[0] if argv else BUILD / "html")
    print(f"{'page':40} {'files':>5} {'sent MB':>8} {'stored MB':>9}  outside the site")
    outside = 0
    for page in toc_pages():
        row = page_weight(html_dir, page)
        outside += len(row["outside"])
        print(
            f"{page:40} {row['files']:5d} {row['sent'] / 1e6:8.2f} {row['stored'] / 1e6:9.2f}  "
            + (", ".join(row["outside"]) or "none")
        )
    return 1 if outside else 0
