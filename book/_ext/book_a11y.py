"""Sphinx extension: two accessibility fixes to the HTML that docutils and the theme write (found by axe-core).

- Bibliography entries: docutils marks the list of citations ``role="list"`` and each entry
  ``role="doc-biblioentry"``, a role that DPUB-ARIA 1.1 deprecated and that is not a list item, so the list has
  no items for a screen reader (axe: aria-required-children, critical; aria-deprecated-role). Entries become
  ``role="listitem"``.
- The book's title link at the top of the sidebar stands outside every landmark, where landmark navigation
  skips it (axe: region). Its container becomes a navigation landmark named "Book title".

Applied to every page once the build has written it; tests/test_browser.py runs axe-core on every page.
"""

from __future__ import annotations

import re
from pathlib import Path

FIXES = [
    (re.compile(r'(<div class="citation"[^>]*?) role="doc-biblioentry"'), r'\1 role="listitem"'),
    (
        re.compile(r'<div class="sidebar-primary-item">(\s*<a class="navbar-brand logo")'),
        r'<div class="sidebar-primary-item" role="navigation" aria-label="Book title">\1',
    ),
]


def fix_page(html: str) -> str:
    """Return a page's HTML with the fixes applied."""
    for pattern, replacement in FIXES:
        html = pattern.sub(replacement, html)
    return html


def fix_pages(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    for path in Path(app.outdir).rglob("*.html"):
        if "_static" in path.relative_to(app.outdir).parts:
            continue
        text = path.read_text(encoding="utf-8")
        fixed = fix_page(text)
        if fixed != text:
            path.write_text(fixed, encoding="utf-8")


def setup(app):
    app.connect("build-finished", fix_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
