"""The text form of a notebook that `git diff` shows (tools/coursetools/notebook_text.py, set up by `make`)."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import zlib

import nbformat

from coursetools import chapters, notebook_text
from coursetools.settings import ROOT


def png(width: int, height: int) -> bytes:
    """A valid grey PNG of the given size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def test_a_notebook_reads_as_cells_sources_and_short_outputs(tmp_path):
    notebook = nbformat.v4.new_notebook()
    prose = nbformat.v4.new_markdown_cell("## Sums\n\nWhy we add.")
    prose.id = "sums-text"
    code = nbformat.v4.new_code_cell("print(1 + 2)\nplt.show()", execution_count=7)
    code.id = "sums-figure"
    code.metadata["tags"] = ["hide-input"]
    image = base64.b64encode(png(30, 20)).decode()
    code.outputs = [
        nbformat.v4.new_output("stream", text="3\n"),
        nbformat.v4.new_output("display_data", data={"image/png": image, "text/plain": "<Figure size 30x20>"}),
    ]
    notebook.cells = [prose, code]
    path = tmp_path / "sums.ipynb"
    nbformat.write(notebook, path)

    result = subprocess.run([sys.executable, str(ROOT / "tools" / "coursetools" / "notebook_text.py"), str(path)], capture_output=True,
                            text=True, check=True)  # fmt: skip
    lines = result.stdout.splitlines()
    assert lines[:3] == ["=== markdown sums-text", "## Sums", ""]
    assert "=== code sums-figure  tags: hide-input" in lines
    assert ["print(1 + 2)", "plt.show()", "--- stdout", "3"] == lines[lines.index("plt.show()") - 1 :][:4]
    figure = [line for line in lines if line.startswith("--- [image/png")]
    assert len(figure) == 1 and re.fullmatch(r"--- \[image/png 30×20 px, [\d.]+ kB, sha256 [0-9a-f]{12}\]", figure[0])
    assert image[:40] not in result.stdout and "[7]" not in result.stdout, "no base64, no execution count"


def test_every_chapter_converts_without_base64():
    for chapter in chapters.chapters():
        text = notebook_text.notebook_text(json.loads(chapter.read_text(encoding="utf-8")))
        assert "iVBORw0KGgo" not in text, f"{chapter.name}: a PNG is shown as base64"


def test_git_is_told_to_use_it_for_notebooks():
    assert "*.ipynb diff=notebook" in (ROOT / ".gitattributes").read_text().splitlines()
    assert (
        'git config diff.notebook.textconv "python3 tools/coursetools/notebook_text.py"'
        in (ROOT / "Makefile").read_text()
    )
