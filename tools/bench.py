"""Measure the book: notebook execution, book build and page weight.

    python tools/bench.py [--out _build/bench.json] [--tests]

Each chapter of `_toc.yml` is executed in a fresh kernel (a copy; the notebook on disk is not changed) and its
wall time and the kernel's peak resident memory are taken; the times go to the course package's run_times.json
too, and each chapter's opening line "Time to run" is written from it (a markdown-only change: no re-execution;
--write-notes writes those lines alone). Then the book is built into a temporary directory
and timed, and each page's weight is summed from the files it loads (tools/sitecheck.py). With --tests, the
whole test suite is run and timed too (as `make test` runs it). With --class N (as root), a class of N solved
submissions of chapters 1, 2 and 4 (or --class-chapters) is graded with 1, 2 and 4 workers (or --class-jobs), as
`make grade` grades it: wall time, speed-up and peak memory. With --chapters, only the chapters named are executed
(their times replace theirs in run_times.json, the others' stay); --only-chapters stops after the chapters. The
figures are printed as tables and written to a JSON file. Targets
(on a 2-core machine): all notebooks under 4 minutes, the book build under 30 s, `make test` under 10
minutes, chapter pages under 2 MB as a browser transfers them from a host that gzip-compresses text (each page is
opened in Chromium, tools/sitecheck.py's transferred; beside it the static count of the files a page loads).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from chapters import ROOT, chapters
from sitecheck import page_weight, toc_pages, transferred

RUN_TIMES = ROOT / "src" / "course" / "run_times.json"  # read by the chapters through the course package
PEAK_MEMORY_CELL = "import resource as _r; print('PEAK_RSS_KB', _r.getrusage(_r.RUSAGE_SELF).ru_maxrss)"


def run_notebook(path: Path) -> dict:
    """Execute a copy of one notebook in a fresh kernel; return wall time and peak kernel memory."""
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(PEAK_MEMORY_CELL))
    client = NotebookClient(
        notebook, kernel_name="python3", timeout=1800, resources={"metadata": {"path": str(path.parent)}}
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "bench.json")
    parser.add_argument("--tests", action="store_true", help="also run and time the whole test suite")
    parser.add_argument("--run-times", type=Path, default=RUN_TIMES, help="where to write the chapters' run times")
    parser.add_argument(
        "--class",
        dest="class_size",
        type=int,
        default=0,
        metavar="N",
        help="also grade a class of N solved submissions per chapter with several workers (root)",
    )
    parser.add_argument(
        "--class-chapters",
        default="01_conv2d,02_transposed_conv,04_autoencoders_at_work",
        help="the chapters that --class grades (comma-separated stems)",
    )
    parser.add_argument("--class-jobs", default="1,2,4", help="the numbers of workers that --class compares")
    parser.add_argument("--only-class", action="store_true", help="measure only what --class measures")
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
        write_run_time_notes(list(by_stem.values()))
        return 0

    def named(option: str, stems: str) -> list[Path]:
        # the chapters a comma-separated option names, refused before anything runs if one is not in the TOC
        wanted = [stem.strip() for stem in stems.split(",") if stem.strip()]
        unknown = [stem for stem in wanted if stem not in by_stem]
        if unknown:
            parser.error(f"{option}: no chapter {', '.join(unknown)} in _toc.yml (it has {', '.join(by_stem)})")
        return [by_stem[stem] for stem in wanted]

    measured = named("--chapters", args.chapters) or list(by_stem.values())
    args.class_chapters = named("--class-chapters", args.class_chapters)
    if args.class_size and os.geteuid() != 0:
        parser.error("--class grades in the sandbox of make grade, which needs root")
    if args.only_class and not args.class_size:
        parser.error("--only-class needs --class N")
    machine = {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()}
    report: dict = {"machine": machine, "notebooks": []}
    if args.only_class:
        report["class_grading"] = class_grading(args)
        return finish(report, args.out)
    for path in measured:
        print(f"executing {path.name} ...", flush=True)
        report["notebooks"].append(run_notebook(path))
    notebooks = report["notebooks"]
    write_run_times(args.run_times, {Path(row["notebook"]).stem: row["seconds"] for row in notebooks}, list(by_stem))
    if args.run_times == RUN_TIMES:
        write_run_time_notes(list(by_stem.values()))
    total = {"notebook": "all notebooks measured", "seconds": round(sum(row["seconds"] for row in notebooks), 1),
             "peak_memory_mb": max(row["peak_memory_mb"] for row in notebooks)}  # fmt: skip
    notebook_table = table(
        [*notebooks, total],
        [("notebook", "notebook"), ("wall time (s)", "seconds"), ("peak memory (MB)", "peak_memory_mb")],
    )
    if args.only_chapters:
        print("\n" + notebook_table)
        return finish(report, args.out)

    with tempfile.TemporaryDirectory() as tmp:
        print("building the book ...", flush=True)
        jupyter_book = str(Path(sys.executable).parent / "jupyter-book")
        seconds, result = timed(
            [jupyter_book, "build", str(ROOT), "--path-output", tmp, "--all", "-W", "-n", "--keep-going"]
        )
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

    # Grading cost: three solved submissions of chapter 3 and later chapters, one after another. As root,
    # through tools/grade.py (make grade: the sandbox, the reference run once, its trained weights reused);
    # else plain nbgrader.
    from coursework import autograde_time, sandbox_grading_time

    if os.geteuid() == 0:
        print("grading in the sandbox (tools/grade.py) ...", flush=True)
        report["grading"] = [sandbox_grading_time(path) for path in chapters()[2:]]
    else:
        print("autograding with nbgrader (the sandbox of make grade needs root) ...", flush=True)
        report["autograde"] = [autograde_time(path) for path in chapters()[2:]]

    if args.class_size:
        report["class_grading"] = class_grading(args)

    if args.tests:
        print("running the test suite (make test) ...", flush=True)
        seconds, result = timed(["make", "--no-print-directory", "test"])
        summary = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
        report["tests"] = {"seconds": seconds, "exit_code": result.returncode, "summary": summary}

    print()
    print(notebook_table)
    print(f"\nbook build: {report['book_build']['seconds']} s\n")
    if "grading" in report:
        columns = [("make grade", "notebook"), ("reference run (s, once)", "reference_seconds"),
                   ("students", "students"), ("seconds per student", "seconds"),
                   ("fastest / slowest (s)", "fastest_slowest"), ("fits reused", "fits_reused"), ("score", "score")]  # fmt: skip
        print(table(report["grading"], columns), "\n")
    else:
        print(
            table(report["autograde"], [("nbgrader autograde", "notebook"), ("seconds per student", "seconds")]), "\n"
        )
    pages = [
        dict(p, sent_kib=round(p["sent"] / 1024), stored_kib=round(p["stored"] / 1024),
             transferred_kib=round(p["transferred"] / 1024))
        for p in report["pages"]
    ]  # fmt: skip
    print(
        table(
            pages,
            [("page", "page"), ("files", "files"), ("sent, gzip (KiB)", "sent_kib"), ("stored (KiB)", "stored_kib"),
             ("requests", "requests"), ("transferred in Chromium, gzip (KiB)", "transferred_kib")],
        )
    )  # fmt: skip
    if "tests" in report:
        tests = report["tests"]
        print(f"\ntest suite: {tests['seconds']} s, exit code {tests['exit_code']}: {tests['summary']}")
    return finish(report, args.out)


def class_grading(args) -> list[dict]:
    """Grade a class per chapter of --class-chapters with each number of workers of --class-jobs."""
    from coursework import class_grading_time

    jobs = tuple(int(number) for number in args.class_jobs.split(","))
    rows = []
    for chapter in args.class_chapters:
        print(f"grading a class of {args.class_size} in {chapter.stem} with {jobs} workers ...", flush=True)
        rows += class_grading_time(chapter, args.class_size, jobs)
    return rows


def finish(report: dict, out: Path) -> int:
    """Print the class-grading table if there is one, write the report, say where."""
    if report.get("class_grading"):
        columns = [("class grading", "notebook"), ("students", "students"), ("workers", "jobs"),
                   ("wall time (s)", "wall_seconds"), ("s per student", "seconds_per_student"),
                   ("speed-up", "speedup"), ("peak memory (MiB)", "peak_memory_mib"),
                   ("fits reused", "fits_reused"), ("errors", "errors"), ("score", "score")]  # fmt: skip
        print("\n" + table(report["class_grading"], columns))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
