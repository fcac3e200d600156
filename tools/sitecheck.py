"""Look at the built book as a reader does: serve it on localhost and open it in headless Chromium.

    python tools/sitecheck.py [_build/html]      # page weight and load time of every page in the TOC

The pieces, used by tests/test_browser.py and by the benchmark (`make bench`):

- ``serve(html_dir)``: serve a built ``_build/html`` on 127.0.0.1 (a free port) from a background thread,
  text gzip-compressed as a web host sends it (``compress=False``: as files on disk).
- ``chromium_path()`` / ``launch_chromium(playwright)``: Debian's Chromium (``apt-get install chromium``)
  driven by Playwright for Python; no browser is ever downloaded.
- ``toc_pages(html_dir)``: the pages of ``_toc.yml`` as paths of the built site (``book/intro.html``, ...).
- ``visit(context, base_url, page)``: load one page with every request that leaves 127.0.0.1 blocked and
  recorded, wait for MathJax, and return what was loaded (bytes, requests, console errors, timings).
- ``measure_pages(html_dir)``: each TOC page's total bytes and load time, cold cache, one row per page
  (``bytes`` as received, ``uncompressed_bytes`` as on disk).

Everything here is offline: the only server contacted is the one started by ``serve``.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import http.server
import json
import os
import shutil
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent
TOC_FILE = ROOT / "_toc.yml"

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
# No GPU, no sandbox (root in a container), and none of Chromium's own background traffic
# (updates, sync, field trials): the only requests left are the page's.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_HINT = "install Debian's Chromium with `apt-get install chromium` (Playwright uses /usr/bin/chromium)"

LOCAL_HOSTS = {"127.0.0.1"}
PAGE_TIMEOUT_MS = 30_000
# MathJax typesets after the load event; a page is "done" when its startup promise has resolved.
MATHJAX_TIMEOUT_MS = 20_000


# --------------------------------------------------------------------------------------------
# Serving the built site
# --------------------------------------------------------------------------------------------
class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serve files as a static web host does: quietly, uncached, text gzip-compressed when the browser asks.

    Compression is what GitHub Pages, Netlify or a university's Apache/nginx do for HTML, CSS, JavaScript
    and SVG, so the bytes Chromium receives here are the bytes a reader downloads. ``compress=False``
    serves every file as it is on disk (as ``python -m http.server`` does).
    """

    compress = True
    _gzip_cache: dict = {}

    def log_message(self, format, *args):  # noqa: A002 - signature fixed by the base class
        pass

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def do_GET(self):  # noqa: N802 - name fixed by the base class
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        content_type = self.guess_type(str(path))
        accepts_gzip = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (self.compress and accepts_gzip and path.is_file() and _compressible(content_type)):
            return super().do_GET()
        stat = path.stat()
        key = (str(path), stat.st_mtime_ns, stat.st_size)
        body = self._gzip_cache.get(key)
        if body is None:
            body = gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)
            self._gzip_cache[key] = body
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Vary", "Accept-Encoding")
        self.end_headers()
        self.wfile.write(body)


def _compressible(content_type: str) -> bool:
    kind = content_type.split(";")[0].strip()
    return kind.startswith("text/") or kind in {
        "application/javascript", "application/json", "application/xml", "image/svg+xml", "application/x-javascript",
    }


@contextlib.contextmanager
def serve(html_dir: str | os.PathLike, *, compress: bool = True):
    """Serve ``html_dir`` on 127.0.0.1 (a free port) in a background thread; yield its base URL.

    ``compress``: gzip HTML, CSS, JavaScript and SVG for browsers that accept it, as a web host does.
    """
    html_dir = Path(html_dir).resolve()
    if not (html_dir / "index.html").is_file():
        raise FileNotFoundError(f"no built site in {html_dir} (index.html is missing)")
    handler_class = type("Handler", (_Handler,), {"compress": compress, "_gzip_cache": {}})
    handler = functools.partial(handler_class, directory=str(html_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --------------------------------------------------------------------------------------------
# The browser
# --------------------------------------------------------------------------------------------
def chromium_path() -> str | None:
    """Debian's Chromium if installed (or $CHROMIUM if set), else None."""
    candidates = [os.environ.get("CHROMIUM", ""), *CHROMIUM_CANDIDATES, shutil.which("chromium") or ""]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def browser_problem() -> str | None:
    """Why the browser checks cannot run here (None when they can)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (it is in requirements.txt: run `make env`)"
    if chromium_path() is None:
        return f"Chromium was not found: {INSTALL_HINT}"
    return None


def launch_chromium(playwright):
    """Launch headless Debian Chromium through a running ``sync_playwright()`` instance."""
    path = chromium_path()
    if path is None:
        raise RuntimeError(f"Chromium was not found: {INSTALL_HINT}")
    return playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)


def new_context(browser, **options):
    """A fresh browser context (empty cache) in which every request that leaves 127.0.0.1 is refused.

    Refused requests are appended to ``context.blocked_requests`` (a list of URLs).
    """
    context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block", **options)
    context.blocked_requests = []

    def route(route):
        url = route.request.url
        if is_local(url):
            route.continue_()
        else:
            context.blocked_requests.append(url)
            route.abort("blockedbyclient")

    context.route("**/*", route)
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    return context


def is_local(url: str) -> bool:
    """True for a URL served by ``serve`` (or one that needs no network: data:, blob:, about:)."""
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about", "javascript"):
        return True
    return parts.scheme in ("http", "https") and parts.hostname in LOCAL_HOSTS


# --------------------------------------------------------------------------------------------
# The pages
# --------------------------------------------------------------------------------------------
def _toc_files(toc: dict) -> list[str]:
    """Every ``file`` of a jb-book ``_toc.yml`` (root first), in reading order."""
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            for key in ("sections", "chapters", "parts"):
                walk(entry.get(key))

    for key in ("parts", "chapters", "sections"):
        walk(toc.get(key))
    return files


def toc_pages(html_dir: str | os.PathLike | None = None, toc_file: str | os.PathLike = TOC_FILE) -> list[str]:
    """The pages of the TOC as paths relative to the built site, in reading order.

    With ``html_dir``, a page of the TOC that was not built raises FileNotFoundError.
    """
    import yaml

    toc = yaml.safe_load(Path(toc_file).read_text(encoding="utf-8"))
    pages = []
    for file in _toc_files(toc):
        stem = file.removesuffix(".ipynb").removesuffix(".md").removesuffix(".rst")
        pages.append(f"{stem}.html")
    if html_dir is not None:
        missing = [page for page in pages if not (Path(html_dir) / page).is_file()]
        if missing:
            raise FileNotFoundError(f"pages of the TOC missing from {html_dir}: {missing}")
    return pages


def is_chapter(page: str) -> bool:
    """The chapter pages (notebooks) as opposed to the book's own pages."""
    return page.startswith("notebooks/")


# --------------------------------------------------------------------------------------------
# Loading one page
# --------------------------------------------------------------------------------------------
@dataclass
class Visit:
    """What the browser did for one page."""

    page: str
    url: str
    status: int | None = None
    console_errors: list[str] = field(default_factory=list)
    blocked_requests: list[str] = field(default_factory=list)  # requests that would have left 127.0.0.1
    failed_requests: list[str] = field(default_factory=list)  # local requests that failed or got >= 400
    # One entry per response: {"url", "type", "status", "bytes" (as transferred), "uncompressed_bytes"}
    responses: list[dict] = field(default_factory=list)
    load_seconds: float | None = None  # navigation start -> load event (Navigation Timing)
    typeset_seconds: float | None = None  # navigation start -> MathJax finished typesetting
    mathjax: str = "absent"  # "absent" (no MathJax on the page), "typeset", or what went wrong

    @property
    def bytes(self) -> int:
        """Bytes received for the page and everything it loaded (compressed where the server compressed)."""
        return sum(r["bytes"] for r in self.responses)

    @property
    def uncompressed_bytes(self) -> int:
        return sum(r["uncompressed_bytes"] for r in self.responses)

    @property
    def requests(self) -> int:
        return len(self.responses)

    def bytes_by_type(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for response in self.responses:
            totals[response["type"]] = totals.get(response["type"], 0) + response["bytes"]
        return dict(sorted(totals.items(), key=lambda item: -item[1]))


_WAIT_FOR_MATHJAX = """
async (timeoutMs) => {
  const deadline = performance.now() + timeoutMs;
  const hasScript = [...document.scripts].some(s => /mathjax/i.test(s.src));
  if (!hasScript) return {state: "absent", at: null};
  while (!(window.MathJax && MathJax.startup && MathJax.startup.promise)) {
    if (performance.now() > deadline) return {state: "MathJax did not start", at: null};
    await new Promise(r => setTimeout(r, 20));
  }
  try {
    await Promise.race([
      MathJax.startup.promise,
      new Promise((_, reject) => setTimeout(() => reject(new Error("timed out")), timeoutMs)),
    ]);
    return {state: "typeset", at: performance.now()};
  } catch (error) {
    return {state: "MathJax failed: " + error, at: null};
  }
}
"""

_LOAD_TIME = """
() => {
  const nav = performance.getEntriesByType("navigation")[0];
  return nav ? nav.loadEventEnd - nav.startTime : null;
}
"""


def visit(context, base_url: str, page: str, *, keep_open: bool = False):
    """Load ``page`` (relative to ``base_url``) in a new tab of ``context`` and wait until it is quiet.

    Quiet: the load event has fired, MathJax (if the page has it) has typeset, and the network has been
    idle for half a second (fonts are requested while MathJax typesets). Returns ``(visit, tab)``; the
    tab is closed unless ``keep_open`` (then the caller closes it).
    """
    url = urljoin(base_url, page)
    record = Visit(page=page, url=url)
    tab = context.new_page()
    blocked_before = len(getattr(context, "blocked_requests", []))
    finished = []

    def on_console(message):
        if message.type == "error":
            where = (message.location or {}).get("url", "")
            record.console_errors.append(f"{message.text} ({where})" if where else message.text)

    def on_page_error(error):
        record.console_errors.append(f"uncaught exception: {error}")

    def on_request_failed(request):
        if is_local(request.url):
            record.failed_requests.append(f"{request.url}: {request.failure}")

    tab.on("console", on_console)
    tab.on("pageerror", on_page_error)
    tab.on("requestfailed", on_request_failed)
    tab.on("requestfinished", lambda request: finished.append(request))

    response = tab.goto(url, wait_until="load")
    record.status = response.status if response else None
    mathjax = tab.evaluate(_WAIT_FOR_MATHJAX, MATHJAX_TIMEOUT_MS)
    record.mathjax = mathjax["state"]
    with contextlib.suppress(Exception):  # a page that never goes quiet is still measured
        tab.wait_for_load_state("networkidle", timeout=10_000)
    record.load_seconds = _seconds(tab.evaluate(_LOAD_TIME))
    record.typeset_seconds = _seconds(mathjax["at"])

    for request in finished:
        response = request.response()
        if response is None:
            continue
        body = b""
        with contextlib.suppress(Exception):
            body = response.body()  # decoded
        transferred = len(body)
        with contextlib.suppress(Exception):
            transferred = request.sizes()["responseBodySize"]  # as received, before decompression
        record.responses.append(
            {
                "url": request.url,
                "type": request.resource_type,
                "status": response.status,
                "bytes": transferred,
                "uncompressed_bytes": len(body),
            }
        )
        if response.status >= 400:
            record.failed_requests.append(f"{request.url}: HTTP {response.status}")
    record.blocked_requests = list(getattr(context, "blocked_requests", [])[blocked_before:])
    if not keep_open:
        tab.close()
    return record, tab


def _seconds(milliseconds):
    return None if milliseconds is None else round(milliseconds / 1000, 3)


# --------------------------------------------------------------------------------------------
# Page weight and load time (for `make bench`)
# --------------------------------------------------------------------------------------------
def measure_pages(html_dir: str | os.PathLike, pages: list[str] | None = None, *, compress: bool = True) -> list[dict]:
    """Each page's weight and load time in headless Chromium, served from 127.0.0.1, cold cache.

    One dict per page of the TOC (or of ``pages``), in TOC order:
      page                path in the built site, e.g. "notebooks/01_conv2d.html"
      bytes               bytes received for the HTML and the images, scripts, styles and fonts it loaded,
                          as Chromium counted them; text is gzip-compressed as by a web host (see ``serve``)
      uncompressed_bytes  the same responses decompressed (what ``python -m http.server`` would send)
      load_seconds        navigation start -> load event
      typeset_seconds     navigation start -> MathJax done (None on a page without MathJax)
      requests            number of responses (all from 127.0.0.1)
      external_requests   requests that tried to leave 127.0.0.1 (refused; should be empty)
      by_type             bytes received per resource type (document, script, stylesheet, font, image, ...)
    """
    from playwright.sync_api import sync_playwright

    html_dir = Path(html_dir)
    pages = list(pages) if pages is not None else toc_pages(html_dir)
    rows = []
    with serve(html_dir, compress=compress) as base_url, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            # One throw-away load, so that the first page measured does not pay for starting a renderer.
            warm = new_context(browser)
            visit(warm, base_url, pages[0])
            warm.close()
            for page in pages:
                context = new_context(browser)  # a new context: nothing cached
                record, _ = visit(context, base_url, page)
                context.close()
                rows.append(
                    {
                        "page": page,
                        "bytes": record.bytes,
                        "uncompressed_bytes": record.uncompressed_bytes,
                        "load_seconds": record.load_seconds,
                        "typeset_seconds": record.typeset_seconds,
                        "requests": record.requests,
                        "external_requests": record.blocked_requests,
                        "by_type": record.bytes_by_type(),
                    }
                )
        finally:
            browser.close()
    return rows


def _format_table(rows: list[dict]) -> str:
    lines = [f"{'page':40} {'MB':>6} {'MB raw':>6} {'load s':>7} {'math s':>7} {'req':>4}"]
    for row in rows:
        typeset = "-" if row["typeset_seconds"] is None else f"{row['typeset_seconds']:.3f}"
        lines.append(
            f"{row['page']:40} {row['bytes'] / 1e6:6.2f} {row['uncompressed_bytes'] / 1e6:6.2f} "
            f"{row['load_seconds']:7.3f} {typeset:>7} {row['requests']:4d}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("html_dir", nargs="?", default=str(ROOT / "_build" / "html"))
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(argv)
    problem = browser_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    if not (Path(args.html_dir) / "index.html").is_file():
        print(f"no built site in {args.html_dir}: run `make book` first", file=sys.stderr)
        return 2
    started = time.perf_counter()
    rows = measure_pages(args.html_dir)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(_format_table(rows))
        print(f"({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
