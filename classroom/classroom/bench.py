"""What grading costs: one solved submission at a time, and a class with several workers (make bench-class).

    python -m classroom bench [--chapters 03_conv_autoencoder,...]                 # per student, as make grade
    python -m classroom bench --class 20 [--class-chapters ...] [--class-jobs 1,2,4]   # a class, 1, 2 and 4 workers

Per student (the default): three solved submissions of each chapter named (default: chapter 3 and later), graded
one after another through the sandbox of `make grade` (as root: the reference run once, its trained weights
reused), or with plain `nbgrader autograde` without root. With --class N (as root): a class of N solved
submissions of each chapter of --class-chapters graded once per number of workers of --class-jobs: wall time,
speed-up, peak memory. The figures are printed as tables and written to a JSON file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
from pathlib import Path

from coursetools import coursework
from coursetools.bench import table
from coursetools.chapters import chapters
from coursetools.settings import BUILD

from . import grade


def autograde_time(chapter: Path) -> dict:
    """Grade one solved submission of a chapter with `nbgrader autograde` in a temporary course; return the
    wall time and the score (what grading costs per student)."""
    import tempfile
    import time

    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp)
        coursework.write_assignments(course)
        coursework.nbgrader_command(course, "generate_assignment", chapter.stem, "--force")
        submitted = course / "submitted" / "solved" / chapter.stem
        shutil.copytree(course / "source" / chapter.stem, submitted)
        start = time.perf_counter()
        coursework.nbgrader_command(course, "autograde", chapter.stem, "--force")
        seconds = time.perf_counter() - start
        rows = coursework.score_rows(course)
    return {
        "notebook": chapter.name,
        "seconds": round(seconds, 1),
        "score": sum(r["score"] for r in rows),
        "max_score": sum(r["max_score"] for r in rows),
    }


def solved_class(course: Path, chapter: Path, names: list[str]) -> Path:
    """Write a course into ``course`` with the chapter released and one solved submission (the source with its
    solutions) per name; return ``course``."""
    coursework.write_assignments(course)
    coursework.nbgrader_command(course, "generate_assignment", chapter.stem, "--force")
    for name in names:
        shutil.copytree(course / "source" / chapter.stem, course / "submitted" / name / chapter.stem)
    return course


def sandbox_grading_time(chapter: Path, students: int = 3) -> dict:
    """Grade ``students`` copies of a solved submission of a chapter with the grading sandbox (classroom.grade), one after another (as
    root: the sandbox, and the reference run's trained weights reused); return the reference run's time (once
    per assignment), the mean time per student with the fastest and slowest (one student's time alone moves by
    seconds from run to run), the calls of fit reused and the scores."""
    import io
    import tempfile

    names = [f"solved-{number}" for number in range(1, students + 1)]
    with tempfile.TemporaryDirectory() as tmp:
        course = solved_class(Path(tmp) / "course", chapter, names)
        summary = grade.autograde_class(course, chapter.stem, names, jobs=1, out=io.StringIO())
    outcomes = [summary["students"].get(name, {}) for name in names]
    seconds = [outcome.get("seconds") for outcome in outcomes if outcome.get("seconds") is not None]
    fits = summary["fits"]  # the calls of fit of all the students, by event (hit, miss, ...)
    scores = sorted({f"{outcome.get('score')}/{outcome.get('max_score')}" for outcome in outcomes})
    return {
        "notebook": chapter.name,
        "reference_seconds": summary["reference_seconds"],
        "students": students,
        "seconds": summary["seconds_per_student"],
        "fastest_slowest": f"{min(seconds):.1f} / {max(seconds):.1f}" if seconds else "-",
        "fits_reused": f"{fits.get('hit', 0)}/{sum(fits.values())}",
        "score": ", ".join(scores),
    }


def class_grading_time(chapter: Path, students: int = 20, jobs: tuple[int, ...] = (1, 2, 4)) -> list[dict]:
    """Grade a class of ``students`` solved submissions of a chapter with the grading sandbox (classroom.grade) once per number of
    workers in ``jobs`` (as root: the sandbox, the reference run once for all of them, its trained weights
    reused); return one row per number of workers: wall time, seconds per student, the speed-up over one worker (or
    the first number of workers), peak memory of the grader and its kernels, trainings reused, errors and scores."""
    import io
    import tempfile

    names = [f"student-{number:02d}" for number in range(1, students + 1)]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        course = solved_class(Path(tmp) / "course", chapter, names)
        for workers in jobs:
            summary = grade.autograde_class(course, chapter.stem, names, jobs=workers, out=io.StringIO())
            outcomes = [summary["students"].get(name, {}) for name in names]
            fits = summary["fits"]
            rows.append(
                {
                    "notebook": chapter.name,
                    "students": students,
                    "jobs": workers,
                    "reference_seconds": summary["reference_seconds"],
                    "wall_seconds": summary["wall_seconds"],
                    "seconds_per_student": summary["seconds_per_student"],
                    "peak_memory_mib": summary["peak_memory_mib"],
                    "fits_reused": f"{fits.get('hit', 0)}/{sum(fits.values())}",
                    "errors": len(summary["errors"]),
                    "score": ", ".join(sorted({f"{o.get('score')}/{o.get('max_score')}" for o in outcomes})),
                }
            )
    # speed-up over one worker if one was measured, else over the first number of workers
    base = next((row for row in rows if row["jobs"] == 1), rows[0])
    for row in rows:
        row["speedup"] = round(base["wall_seconds"] / row["wall_seconds"], 2)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m classroom bench", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=BUILD / "bench-class.json")
    parser.add_argument("--chapters", default="", help="chapters graded per student (default: chapter 3 and later)")
    parser.add_argument("--class", dest="class_size", type=int, default=0, metavar="N",
                        help="grade a class of N solved submissions per chapter with several workers (root)")  # fmt: skip
    parser.add_argument(
        "--class-chapters",
        default="01_conv2d,02_transposed_conv,04_autoencoders_at_work",
        help="the chapters that --class grades (comma-separated stems)",
    )
    parser.add_argument("--class-jobs", default="1,2,4", help="the numbers of workers that --class compares")
    args = parser.parse_args(argv)
    by_stem = {path.stem: path for path in chapters()}

    def named(option: str, stems: str) -> list[Path]:
        # the chapters a comma-separated option names, refused before anything runs if one is not in the TOC
        wanted = [stem.strip() for stem in stems.split(",") if stem.strip()]
        unknown = [stem for stem in wanted if stem not in by_stem]
        if unknown:
            parser.error(f"{option}: no chapter {', '.join(unknown)} in _toc.yml (it has {', '.join(by_stem)})")
        return [by_stem[stem] for stem in wanted]

    per_student = named("--chapters", args.chapters) or list(by_stem.values())[2:]
    class_chapters = named("--class-chapters", args.class_chapters)
    if args.class_size and os.geteuid() != 0:
        parser.error("--class grades in the sandbox of make grade, which needs root")
    machine = {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()}
    report: dict = {"machine": machine}
    if args.class_size:
        jobs = tuple(int(number) for number in args.class_jobs.split(","))
        rows = []
        for chapter in class_chapters:
            print(f"grading a class of {args.class_size} in {chapter.stem} with {jobs} workers ...", flush=True)
            rows += class_grading_time(chapter, args.class_size, jobs)
        report["class_grading"] = rows
        columns = [("class grading", "notebook"), ("students", "students"), ("workers", "jobs"),
                   ("wall time (s)", "wall_seconds"), ("s per student", "seconds_per_student"),
                   ("speed-up", "speedup"), ("peak memory (MiB)", "peak_memory_mib"),
                   ("fits reused", "fits_reused"), ("errors", "errors"), ("score", "score")]  # fmt: skip
        print("\n" + table(rows, columns))
    elif os.geteuid() == 0:
        print("grading in the sandbox (make grade) ...", flush=True)
        report["grading"] = [sandbox_grading_time(path) for path in per_student]
        columns = [("make grade", "notebook"), ("reference run (s, once)", "reference_seconds"),
                   ("students", "students"), ("seconds per student", "seconds"),
                   ("fastest / slowest (s)", "fastest_slowest"), ("fits reused", "fits_reused"), ("score", "score")]  # fmt: skip
        print("\n" + table(report["grading"], columns))
    else:
        print("autograding with nbgrader (the sandbox of make grade needs root) ...", flush=True)
        report["autograde"] = [autograde_time(path) for path in per_student]
        print(
            "\n" + table(report["autograde"], [("nbgrader autograde", "notebook"), ("seconds per student", "seconds")])
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten to {args.out}")
    return 0
