"""Measure the book: notebook execution, book build and page weight.

    python -m coursetools bench [--out _build/bench.json] [--tests]      # make bench

Each chapter of `_toc.yml` is executed in a fresh kernel (a copy; the notebook on disk is not changed) and its
wall time and the kernel's peak resident memory are taken; the times go to the course package's run_times.json
too, and each chapter's opening line "Time to run" and book/setup.md's table of run times are written from it
(markdown only: no re-execution; --write-notes writes those alone). Then the book is built into a temporary directory
and timed, and each page's weight is summed from the files it loads (coursetools.sitecheck). With --tests, the
whole test suite is run and timed too (as `make test` runs it). With --chapters, only the chapters named are
executed (their times replace theirs in run_times.json, the others' stay); --only-chapters stops after the
chapters. The figures are printed as tables beside their targets (coursetools.settings.TARGETS) and written to a
JSON file. What grading costs is measured by the classroom's own benchmark (`make bench-class`). Targets (on a quiet
2-core machine) include chapter pages under 2 MB as a browser transfers them from a host that gzip-compresses
text (each page is opened in Chromium, coursetools.sitecheck's transferred; beside it the static count of the files
a page loads).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from .chapters import chapters
from .settings import BUILD, NOTEBOOK_TIMEOUT, ROOT, RUN_TIMES, TARGETS, book_build_command
from .sitecheck import page_weight, toc_pages, transferred

PEAK_MEMORY_CELL = "import resource as _r; print('PEAK_RSS_KB', _r.getrusage(_r.RUSAGE_SELF).ru_maxrss)"


def run_notebook(path: Path) -> dict:
    """Execute a copy of one notebook in a fresh kernel; return wall time and peak kernel memory."""
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(PEAK_MEMORY_CELL))
    client = NotebookClient(
        notebook, kernel_name="python3", timeout=NOTEBOOK_TIMEOUT, resources={"metadata": {"path": str(path.parent)}}
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    text = "".join(o.get("text", "") for o in notebook.cells[-1].outputs if o.get("output_type") == "stream")
    peak_kb = int(text.split("PEAK_RSS_KB")[1].split()[0])
    return {"notebook": path.name, "seconds": round(seconds, 1), "peak_memory_mb": round(peak_kb / 1024)}


def write_run_times(path: Path, seconds: dict[str, float], order: list[str] | None = None) -> None:
    """Write the seconds per chapter to run_times.json, which the chapters' opening sections state.

    The chapters of ``seconds`` replace their figures; those of the file that are not measured keep theirs. The
    file lists the chapters in ``order`` (the TOC's), then any others it had. It is committed: a chapter's stated
    run time changes when this file does (rounded to whole minutes by course.format_run_time), and the chapter is
    then re-executed.
    """
    old = json.loads(path.read_text()) if path.is_file() else {}
    merged = {**old.get("seconds", {}), **seconds}
    names = [name for name in (order or []) if name in merged] + [name for name in merged if name not in (order or [])]
    about = old.get("about", "")
    path.write_text(
        json.dumps({"about": about, "seconds": {name: merged[name] for name in names}}, indent=2, ensure_ascii=False)
        + "\n"
    )
    print(f"run times written to {path}", flush=True)


TIME_TO_RUN = re.compile(r"^\*\*Time to run:\*\*.*?\(measured by `make bench`\)\.")


def write_run_time_notes(paths: list[Path]) -> list[Path]:
    """Write each chapter's "Time to run" line (its markdown cell ``run-time``) from run_times.json; return the
    notebooks that changed. Only that cell's text changes: no output, so no re-execution."""
    import course.runtimes

    changed = []
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        cell = next((c for c in notebook.cells if c.get("id") == "run-time" and c.cell_type == "markdown"), None)
        if cell is None or not TIME_TO_RUN.match(cell.source):
            raise ValueError(f"{path.name}: no markdown cell 'run-time' that starts with **Time to run:**")
        note = course.runtimes.run_time_note(path.stem, RUN_TIMES).text
        text = note + cell.source[TIME_TO_RUN.match(cell.source).end() :]
        if text != cell.source:
            cell.source = text
            nbformat.write(notebook, path)
            changed.append(path)
            print(f"{path.name}: {note}", flush=True)
    return changed


def write_stated_run_times(paths: list[Path]) -> None:
    """Write what states the run times: each chapter's "Time to run" line and book/setup.md's table."""
    from . import pages

    write_run_time_notes(paths)
    for path in pages.write():
        print(f"{path.relative_to(ROOT)}: its lists written anew", flush=True)


def against(value: float, target: float, unit: str) -> str:
    """A figure beside its target: "under 180 s" when it meets it, "OVER 180 s" when it does not."""
    limit = f"{target / 1e6:g} MB" if unit == "bytes" else f"{target:g} {unit}"
    return f"under {limit}" if value < target else f"OVER {limit}"


def timed(command: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    return round(time.perf_counter() - start, 1), result


def table(rows: list[dict], columns: list[tuple[str, str]]) -> str:
    header = [title for title, _ in columns]
    body = [[str(row.get(key, "")) for _, key in columns] for row in rows]
    widths = [max(len(cell) for cell in column) for column in zip(header, *body)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths)) for line in [header, *body]]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coursetools bench", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=BUILD / "bench.json")
    parser.add_argument("--tests", action="store_true", help="also run and time the whole test suite")
    parser.add_argument("--run-times", type=Path, default=RUN_TIMES, help="where to write the chapters' run times")
    parser.add_argument(
        "--chapters", default="", help="execute only these chapters (comma-separated stems, default: all of the TOC)"
    )
    parser.add_argument("--only-chapters", action="store_true", help="stop after timing the chapters")
    parser.add_argument(
        "--write-notes", action="store_true", help="only write each chapter's 'Time to run' line from run_times.json"
    )
    args = parser.parse_args(argv)
    by_stem = {path.stem: path for path in chapters()}
    if args.write_notes:
        write_stated_run_times(list(by_stem.values()))
        return 0

    def named(option: str, stems: str) -> list[Path]:
        # the chapters a comma-separated option names, refused before anything runs if one is not in the TOC
        wanted = [stem.strip() for stem in stems.split(",") if stem.strip()]
        unknown = [stem for stem in wanted if stem not in by_stem]
        if unknown:
            parser.error(f"{option}: no chapter {', '.join(unknown)} in _toc.yml (it has {', '.join(by_stem)})")
        return [by_stem[stem] for stem in wanted]

    measured = named("--chapters", args.chapters) or list(by_stem.values())
    machine = {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()}
    report: dict = {"machine": machine, "notebooks": []}
    for path in measured:
        print(f"executing {path.name} ...", flush=True)
        report["notebooks"].append(run_notebook(path))
    notebooks = report["notebooks"]
    write_run_times(args.run_times, {Path(row["notebook"]).stem: row["seconds"] for row in notebooks}, list(by_stem))
    if args.run_times == RUN_TIMES:
        write_stated_run_times(list(by_stem.values()))
    for row in notebooks:
        row["target"] = against(row["seconds"], TARGETS["chapter"], "s")
    total = {"notebook": "all notebooks measured", "seconds": round(sum(row["seconds"] for row in notebooks), 1),
             "peak_memory_mb": max(row["peak_memory_mb"] for row in notebooks)}  # fmt: skip
    notebook_table = table(
        [*notebooks, total],
        [("notebook", "notebook"), ("wall time (s)", "seconds"), ("target", "target"),
         ("peak memory (MB)", "peak_memory_mb")],
    )  # fmt: skip
    if args.only_chapters:
        print("\n" + notebook_table)
        return finish(report, args.out)

    with tempfile.TemporaryDirectory() as tmp:
        print("building the book ...", flush=True)
        seconds, result = timed(book_build_command(ROOT, Path(tmp)))
        if result.returncode:
            raise SystemExit(f"the book build failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
        report["book_build"] = {"seconds": seconds}
        html = Path(tmp) / "_build" / "html"
        report["pages"] = [page_weight(html, page) for page in toc_pages()]
        # What a reader's browser transfers for each page from a host that gzip-compresses text (MathJax's
        # components and the fonts the page's glyphs need included), measured in Chromium.
        print("loading each page in Chromium ...", flush=True)
        measured = {row["page"]: row for row in transferred(html, toc_pages())}
        for row in report["pages"]:
            row["transferred"] = measured[row["page"]]["transferred"]
            row["requests"] = measured[row["page"]]["requests"]

    if args.tests:
        print("running the test suite (make test) ...", flush=True)
        seconds, result = timed(["make", "--no-print-directory", "test"])
        summary = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
        report["tests"] = {"seconds": seconds, "exit_code": result.returncode, "summary": summary}

    print()
    print(notebook_table)
    book_seconds = report["book_build"]["seconds"]
    print(f"\nbook build: {book_seconds} s ({against(book_seconds, TARGETS['book build'], 's')})\n")
    chapter_pages = {f"{path.relative_to(ROOT).with_suffix('.html')}" for path in chapters()}
    pages = [
        dict(p, sent_kib=round(p["sent"] / 1024), stored_kib=round(p["stored"] / 1024),
             transferred_kib=round(p["transferred"] / 1024),
             target=against(p["transferred"], TARGETS["chapter page"], "bytes") if p["page"] in chapter_pages else "")
        for p in report["pages"]
    ]  # fmt: skip
    print(
        table(
            pages,
            [("page", "page"), ("files", "files"), ("sent, gzip (KiB)", "sent_kib"), ("stored (KiB)", "stored_kib"),
             ("requests", "requests"), ("transferred in Chromium, gzip (KiB)", "transferred_kib"), ("target", "target")],
        )
    )  # fmt: skip
    if "tests" in report:
        tests = report["tests"]
        print(
            f"\ntest suite: {tests['seconds']} s ({against(tests['seconds'], TARGETS['make test'], 's')}), "
            f"exit code {tests['exit_code']}: {tests['summary']}"
        )
    return finish(report, args.out)


def finish(report: dict, out: Path) -> int:
    """Write the report, say where."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten to {out}")
    return 0
