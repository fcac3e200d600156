"""Measure the evidence behind the chapters' claims: every experiment of course.experiments over its seeds.

    python -m coursetools evidence                   # every experiment (make evidence)
    python -m coursetools evidence --only 03-sweep   # some experiments; the others keep their entries
    python -m coursetools evidence --list            # the experiments, and whether each entry is fresh

Each experiment trains the chapters' models with the chapters' own functions (the course package), once per seed,
and measures them; its baselines are measured once. The values per seed, their mean and spread, the settings, the
seeds, the time it took and a digest of the code and settings go to src/course/evidence.json, which the chapters
read (course.evidence) and a test keeps honest: it fails when the code or the settings of an entry change and the
entry was not measured again. The command prints a summary of every entry and its own run time, with the CPU.
Not part of `make test`: it takes most of an hour on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import course  # noqa: E402
import course.evidence_record as ev  # noqa: E402
from course.experiments import EXPERIMENTS  # noqa: E402

EVIDENCE_FILE = ev.EVIDENCE_FILE


def cpu_name() -> str:
    """The processor's model name and the number of cores, as the run times name them."""
    name = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{name}, {os.cpu_count()} cores"


def digest(name: str) -> str:
    experiment = EXPERIMENTS[name]
    return ev.code_digest([experiment.prepare, experiment.run], experiment.settings)


def load() -> dict:
    if EVIDENCE_FILE.is_file():
        return json.loads(EVIDENCE_FILE.read_text(encoding="utf-8"))
    return {"about": "", "entries": {}}


ABOUT = (
    "Written by `make evidence` (python -m coursetools evidence): each experiment of course.experiments, run once "
    "per seed with the chapters' own functions. 'values' holds one value per seed (in the order of 'seeds'), 'summary' their "
    "mean, standard deviation (n - 1), lowest and highest, 'fixed' the values that need no seed (baselines); "
    "'digest' identifies the code and settings that produced the entry (course.evidence.code_digest)."
)


def measure(name: str, code: str, seeds: list[int] | None = None) -> dict:
    import keras
    import tensorflow as tf

    experiment = EXPERIMENTS[name]
    seeds = list(seeds or experiment.seeds)
    tf.config.experimental.enable_op_determinism()
    start = time.perf_counter()
    print(f"{name}: preparing (data and baselines)", flush=True)
    shared, fixed = experiment.prepare(experiment.settings)
    values: dict[str, list[float]] = {}
    for seed in seeds:
        seed_start = time.perf_counter()
        keras.utils.set_random_seed(seed)
        for metric, value in experiment.run(seed, experiment.settings, shared).items():
            values.setdefault(metric, []).append(float(value))
        print(f"{name}: seed {seed} done in {time.perf_counter() - seed_start:.0f} s", flush=True)
        keras.backend.clear_session()
    seconds = time.perf_counter() - start
    return {
        "claim": experiment.claim,
        "seeds": seeds,
        "settings": experiment.settings,
        "digest": code,
        "seconds": round(seconds, 1),
        "cpu": cpu_name(),
        "versions": {"tensorflow": tf.__version__, "keras": keras.__version__, "course": course.__version__},
        "values": values,
        "summary": {metric: ev.summarise(series) for metric, series in values.items()},
        "fixed": fixed,
    }


def write(entries: dict, path: Path = EVIDENCE_FILE) -> None:
    """Write the entries measured by this run into the file, keeping the file's other entries as they are now
    (read again just before writing: another run may have written some meanwhile)."""
    current = json.loads(path.read_text(encoding="utf-8"))["entries"] if path.is_file() else {}
    merged = {**current, **entries}
    order = [name for name in EXPERIMENTS if name in merged]
    data = {"about": ABOUT, "entries": {name: merged[name] for name in order}}
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def show(name: str, entry: dict) -> None:
    print(f"\n{name}: {len(entry['seeds'])} seeds, {entry['seconds']:.0f} s")
    width = max(len(metric) for metric in entry["summary"]) + 2
    for metric, s in entry["summary"].items():
        print(f"  {metric:<{width}}{s['mean']:>10.4f} ± {s['sd']:.4f}  [{s['min']:.4f}, {s['max']:.4f}]")
    for metric, value in entry["fixed"].items():
        shown = f"{value:.4f}" if isinstance(value, float) else str(value)
        print(f"  {metric:<{width}}{shown:>10}  (no seed)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coursetools evidence", description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", help="measure these experiments only")
    parser.add_argument("--list", action="store_true", help="list the experiments and whether each entry is fresh")
    parser.add_argument("--seeds", type=int, nargs="+", help="other seeds (for a trial: not written to the file)")
    parser.add_argument("--out", type=Path, default=EVIDENCE_FILE, help="the file to write (default: the package's)")
    args = parser.parse_args(argv)
    data = load()
    if args.list:
        for name in EXPERIMENTS:
            entry = data["entries"].get(name)
            state = "missing" if entry is None else ("fresh" if entry["digest"] == digest(name) else "STALE")
            print(f"{name:<14}{state:<9}{EXPERIMENTS[name].claim}")
        return 0
    names = args.only or list(EXPERIMENTS)
    unknown = [name for name in names if name not in EXPERIMENTS]
    if unknown:
        parser.error(f"unknown experiment(s) {', '.join(unknown)}; the experiments: {', '.join(EXPERIMENTS)}")
    # the digests of the code as it is when the run starts: a file edited during the run does not count
    codes = {name: digest(name) for name in names}
    measured = {}
    start = time.perf_counter()
    for name in names:
        entry = measure(name, codes[name], args.seeds)
        show(name, entry)
        if args.seeds:
            print(f"{name}: seeds given on the command line: not written to {EVIDENCE_FILE.name}")
            continue
        measured[name] = entry
        write(measured, args.out)  # after every experiment: an interrupted run keeps what it measured
    total = time.perf_counter() - start
    print(f"\nmake evidence: {len(names)} experiment(s) in {total / 60:.1f} minutes on {cpu_name()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
