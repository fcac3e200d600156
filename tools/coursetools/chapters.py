"""The book's pages and chapters, read from `_toc.yml` with Jupyter Book's own parser.

Every tool and test that needs the list of chapters asks this module, so that a new chapter is one notebook
and one line in `_toc.yml`.
"""

from __future__ import annotations

from pathlib import Path

from sphinx_external_toc.parsing import parse_toc_yaml

from .settings import ROOT

TOC = ROOT / "_toc.yml"
SUFFIXES = (".ipynb", ".md")


def _path(docname: str) -> Path:
    for suffix in SUFFIXES:
        path = ROOT / f"{docname}{suffix}"
        if path.is_file():
            return path
    raise FileNotFoundError(f"_toc.yml lists {docname!r}, but neither {docname}.ipynb nor {docname}.md exists")


def docnames(toc: Path = TOC) -> list[str]:
    """Return every page of the book in reading order, as names relative to the root without suffix."""
    site_map = parse_toc_yaml(toc)
    order: list[str] = []

    def visit(docname: str) -> None:
        order.append(docname)
        for subtree in site_map[docname].subtrees:
            for item in subtree.items:
                if isinstance(item, str):
                    visit(item)

    visit(site_map.root.docname)
    return order


def pages(toc: Path = TOC) -> list[Path]:
    """Return the file of every page of the book, in reading order."""
    return [_path(name) for name in docnames(toc)]


def chapters(toc: Path = TOC) -> list[Path]:
    """Return the chapter notebooks (every notebook in the table of contents), in reading order."""
    return [path for path in pages(toc) if path.suffix == ".ipynb"]
