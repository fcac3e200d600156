"""Measure the book: notebook execution, book build, page weight and load time.

    python tools/bench.py [--out _build/bench.json] [--tests]

Each chapter notebook is executed in a fresh kernel (a copy; the notebook on disk is not changed) and its
wall time and the kernel's peak resident memory are taken. Then the book is built into a temporary directory
and timed, and each page of that build is loaded in headless Chromium (where installed) for its weight and
load time. With --tests, the whole test suite is run and timed too. The figures are printed as tables and
written to a JSON file. Targets (on a 2-core machine): all notebooks under 4 minutes, the book build under
30 s, `make test` under 10 minutes, chapter pages under 2 MB and 1 s to load.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
sys.path.insert(0, str(Path(__file__).resolve().parent))

PEAK_MEMORY_CELL = "import resource as _r; print('PEAK_RSS_KB', _r.getrusage(_r.RUSAGE_SELF).ru_maxrss)"


def run_notebook(path: Path) -> dict:
    """Execute a copy of one notebook in a fresh kernel; return wall time and peak kernel memory."""
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(PEAK_MEMORY_CELL))
    client = NotebookClient(notebook, kernel_name="python3", timeout=1800, resources={"metadata": {"path": str(NOTEBOOKS)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    text = "".join(o.get("text", "") for o in notebook.cells[-1].outputs if o.get("output_type") == "stream")
    peak_kb = int(text.split("PEAK_RSS_KB")[1].split()[0])
    return {"notebook": path.name, "seconds": round(seconds, 1), "peak_memory_mb": round(peak_kb / 1024)}


def build_book(out: Path) -> dict:
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT), "--path-output", str(out),
               "--all", "-W", "-n", "--keep-going"]
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    if result.returncode:
        raise SystemExit(f"the book build failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    return {"seconds": round(seconds, 1)}


def measure_site(html: Path) -> list[dict] | str:
    try:
        import sitecheck
    except ImportError as exc:  # pragma: no cover - only without the site tools
        return f"not measured ({exc})"
    if not sitecheck.chromium_path():
        return "not measured (Chromium is not installed: apt-get install chromium)"
    return sitecheck.measure_pages(html)


def run_tests() -> dict:
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "pytest", "-q"], cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    summary = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
    return {"seconds": round(seconds, 1), "exit_code": result.returncode, "summary": summary}


def table(rows: list[dict], columns: list[tuple[str, str]]) -> str:
    header = [title for title, _ in columns]
    body = [[str(row.get(key, "")) for _, key in columns] for row in rows]
    widths = [max(len(cell) for cell in column) for column in zip(header, *body)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths)) for line in [header, *body]]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "bench.json")
    parser.add_argument("--tests", action="store_true", help="also run and time the whole test suite")
    args = parser.parse_args(argv)

    report = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()}}
    notebooks = []
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        print(f"executing {path.name} ...", flush=True)
        notebooks.append(run_notebook(path))
    total = round(sum(row["seconds"] for row in notebooks), 1)
    notebooks.append({"notebook": "all notebooks", "seconds": total, "peak_memory_mb": max(r["peak_memory_mb"] for r in notebooks)})
    report["notebooks"] = notebooks

    with tempfile.TemporaryDirectory() as tmp:
        print("building the book ...", flush=True)
        report["book_build"] = build_book(Path(tmp))
        print("loading the pages in Chromium ...", flush=True)
        report["pages"] = measure_site(Path(tmp) / "_build" / "html")

    if args.tests:
        print("running the test suite ...", flush=True)
        report["tests"] = run_tests()

    print()
    print(table(notebooks, [("notebook", "notebook"), ("wall time (s)", "seconds"), ("peak memory (MB)", "peak_memory_mb")]))
    print(f"\nbook build: {report['book_build']['seconds']} s")
    if isinstance(report["pages"], list):
        pages = [
            dict(
                p,
                kib=round(p["bytes"] / 1024),
                raw_kib=round(p["uncompressed_bytes"] / 1024),
                ms=round(p["load_seconds"] * 1000),
                typeset_ms="" if p["typeset_seconds"] is None else round(p["typeset_seconds"] * 1000),
            )
            for p in report["pages"]
        ]
        print()
        print(table(pages, [("page", "page"), ("sent, gzip (KiB)", "kib"), ("uncompressed (KiB)", "raw_kib"),
                            ("requests", "requests"), ("load (ms)", "ms"), ("math typeset (ms)", "typeset_ms")]))
    else:
        print(f"pages: {report['pages']}")
    if "tests" in report:
        print(f"\ntest suite: {report['tests']['seconds']} s, exit code {report['tests']['exit_code']}: {report['tests']['summary']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
