"""A notebook as plain text, for reviewing changes: each cell's kind, id and tags, its source, its outputs.

    python3 tools/coursetools/notebook_text.py notebooks/01_conv2d.ipynb

`make` sets this as git's text conversion for notebooks (`.gitattributes` maps ``*.ipynb`` to the ``notebook``
diff driver; `make` runs ``git config diff.notebook.textconv "python3 tools/coursetools/notebook_text.py"`` in this
repository only), so that `git diff`, `git log -p` and `git show` show a notebook's changes as changed lines of
prose and code. The notebook itself is unchanged: its outputs stay stored, since nbval compares them. Text
outputs are shown as they are; an image is one line with its type, pixel size, bytes and a short digest, so
that a figure drawn anew shows as one changed line instead of a screen of base64. Execution counts are left
out (they shift whenever a cell is added). Standard library only: git runs it with any Python 3.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import sys


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def image_line(kind: str, data: str) -> str:
    """One line for an image output: its type, its size in pixels (PNG), its bytes and a short digest."""
    raw = base64.b64decode(_text(data)) if not kind.endswith("+xml") else _text(data).encode()
    size = ""
    if kind == "image/png" and raw[:8] == b"\x89PNG\r\n\x1a\n":
        width, height = struct.unpack(">II", raw[16:24])
        size = f" {width}×{height} px"
    return f"[{kind}{size}, {len(raw) / 1024:.1f} kB, sha256 {hashlib.sha256(raw).hexdigest()[:12]}]"


def output_lines(output: dict) -> list[str]:
    kind = output.get("output_type")
    if kind == "stream":
        return [f"--- {output.get('name', 'stream')}", *_text(output.get("text", "")).splitlines()]
    if kind == "error":
        return [f"--- error: {output.get('ename')}: {output.get('evalue')}"]
    data = output.get("data", {})
    lines = []
    for mime in sorted(data):
        if mime.startswith("image/"):
            lines.append(f"--- {image_line(mime, data[mime])}")
        elif mime == "text/plain" and not any(m.startswith(("image/", "text/html")) for m in data):
            lines += ["--- result", *_text(data[mime]).splitlines()]
        elif mime in ("text/html", "text/markdown", "text/latex"):
            lines += [f"--- {mime}", *_text(data[mime]).splitlines()]
    return lines


def notebook_text(notebook: dict) -> str:
    """The text of a notebook as a reviewer reads it."""
    lines = []
    for cell in notebook.get("cells", []):
        metadata = cell.get("metadata", {})
        header = f"=== {cell.get('cell_type')} {cell.get('id', '')}"
        if metadata.get("tags"):
            header += f"  tags: {', '.join(metadata['tags'])}"
        grading = metadata.get("nbgrader", {})
        if grading.get("grade"):
            header += f"  graded: {grading.get('points')} point(s)"
        elif grading.get("solution"):
            header += "  solution"
        lines += ["", header, *_text(cell.get("source", "")).splitlines()]
        for output in cell.get("outputs", []):
            lines += output_lines(output)
    return "\n".join(lines).lstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python3 tools/coursetools/notebook_text.py NOTEBOOK.ipynb", file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as handle:
        text = handle.read()
    try:
        notebook = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError:  # a notebook with merge conflict markers: show it as it is
        sys.stdout.write(text)
        return 0
    sys.stdout.write(notebook_text(notebook))
    return 0


if __name__ == "__main__":
    sys.exit(main())
