"""Do the notebooks' checked outputs hold when the floating-point path changes?

    python -m coursetools stability                                # every chapter, every condition
    python -m coursetools stability notebooks/01_conv2d.ipynb      # some chapters
    python -m coursetools stability --conditions one-thread        # some conditions (see --list)
    python -m coursetools stability --jobs 1                       # one notebook at a time (default: 2)

A notebook outside notebooks/ can be checked too (a copy of an older version, say).

Training on a CPU is deterministic on one machine, not across machines of the same kind: TensorFlow turns
oneDNN on by itself only on some CPUs, a different number of threads splits (and so rounds) a reduction
differently, and oneDNN picks other kernels on a CPU without AVX-512. A stored output that depends on such
a path (a trained number printed to too many digits, a backend's exception class) passes on the machine that
stored it and fails on the next one.

This command re-executes each chapter in a fresh kernel under conditions that change that path, and has
nbval compare the outputs exactly as `make test` does (same sanitiser, same `nbval-ignore-output` tags).
Every differing cell is printed with both texts, then a table of chapters by conditions. Run it before
committing a re-executed notebook; it takes about three times as long as the notebooks do under `make test`.
The exit status is 0 only if every chapter passes under every condition.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .chapters import chapters
from .settings import NOTEBOOK_TIMEOUT, ROOT

# Each condition differs from a default run of this machine in at least one thing that changes how
# floating-point results are computed. PYTHONHASHSEED changes the order of sets and of hash-ordered
# iteration, which a printed output must not depend on either.
CONDITIONS: dict[str, dict[str, str]] = {
    # One thread per op and between ops: every reduction is summed in one order.
    "one-thread": {
        "TF_NUM_INTRAOP_THREADS": "1",
        "TF_NUM_INTEROP_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "PYTHONHASHSEED": "1",
    },
    # oneDNN off (TensorFlow's own Eigen kernels), as on a CPU where TensorFlow does not turn it on, with a
    # different number of inter-op threads.
    "onednn-off": {
        "TF_ENABLE_ONEDNN_OPTS": "0",
        "TF_NUM_INTEROP_THREADS": "3",
        "PYTHONHASHSEED": "2",
    },
    # oneDNN on, but limited to AVX2 kernels, as on a CPU without AVX-512.
    "onednn-avx2": {
        "TF_ENABLE_ONEDNN_OPTS": "1",
        "ONEDNN_MAX_CPU_ISA": "AVX2",
        "PYTHONHASHSEED": "3",
    },
}


# nbval colours its reports; in a JUnit file the escape character is written as "#x1B".
ANSI = re.compile(r"(?:\x1b|#x1B)\[[0-9;]*m")


@dataclass
class Run:
    notebook: Path
    condition: str
    seconds: float = 0.0
    cells: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (test name, nbval's report)
    error: str = ""

    @property
    def passed(self) -> bool:
        return not self.failures and not self.error and self.cells > 0


def run(notebook: Path, condition: str, timeout: int) -> Run:
    """Run nbval on one notebook under one condition, in a fresh pytest process (and so a fresh kernel)."""
    result = Run(notebook, condition)
    env = {**os.environ, **CONDITIONS[condition]}
    with tempfile.TemporaryDirectory(prefix="stability-") as folder:
        report = Path(folder) / "report.xml"
        command = [
            *(sys.executable, "-m", "pytest", str(notebook)),
            *("-p", "no:xdist", "-vv", "--no-header", "--junitxml", str(report)),  # nbval's options: pytest.ini
        ]
        start = time.perf_counter()
        try:
            completed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            result.error = f"did not finish within {timeout} s"
            return result
        finally:
            result.seconds = time.perf_counter() - start
        if not report.is_file():
            result.error = (completed.stdout + completed.stderr)[-3000:] or f"pytest exited {completed.returncode}"
            return result
        for case in ElementTree.parse(report).getroot().iter("testcase"):
            result.cells += 1
            for problem in [*case.findall("failure"), *case.findall("error")]:
                text = ANSI.sub("", problem.text or problem.get("message", "")).strip()
                result.failures.append((case.get("name", "?"), text))
    if result.cells == 0:
        result.error = "nbval collected no cell"
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coursetools stability", description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebooks (default: every chapter of _toc.yml)")
    parser.add_argument("--conditions", nargs="+", choices=sorted(CONDITIONS), default=list(CONDITIONS))
    parser.add_argument("--jobs", type=int, default=2, help="notebooks run at the same time (default: 2)")
    parser.add_argument("--timeout", type=int, default=NOTEBOOK_TIMEOUT, help="seconds per notebook and condition")
    parser.add_argument("--list", action="store_true", help="print the conditions and exit")
    args = parser.parse_args(argv)
    if args.list:
        for name, env in CONDITIONS.items():
            print(f"{name:12s} " + " ".join(f"{key}={value}" for key, value in env.items()))
        return 0
    notebooks = [path.resolve() for path in args.notebooks] or chapters()
    missing = [str(path) for path in notebooks if not path.is_file()]
    if missing:
        parser.error("no such notebook: " + ", ".join(missing))
    if not os.environ.get("MNIST_NPZ"):
        print("note: MNIST_NPZ is not set, so the chapters that train load MNIST through Keras", file=sys.stderr)

    # Longest first, so that two jobs finish at about the same time.
    jobs = sorted(
        ((notebook, condition) for condition in args.conditions for notebook in notebooks),
        key=lambda job: -job[0].stat().st_size,
    )
    print(f"{len(jobs)} runs: {len(notebooks)} notebooks x {len(args.conditions)} conditions, {args.jobs} at a time")

    def one(job: tuple[Path, str]) -> Run:
        outcome = run(*job, timeout=args.timeout)
        verdict = "passed" if outcome.passed else "FAILED"
        print(f"  {verdict}: {job[0].name} [{job[1]}] in {outcome.seconds:.0f} s", flush=True)
        return outcome

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        runs = list(pool.map(one, jobs))

    for outcome in runs:
        if outcome.passed:
            continue
        settings = " ".join(f"{key}={value}" for key, value in CONDITIONS[outcome.condition].items())
        print(f"\n===== {outcome.notebook.name} under {outcome.condition} ({settings})")
        if outcome.error:
            print(outcome.error)
        for name, text in outcome.failures:
            print(f"--- {name}\n{text}\n")

    names = [path.name for path in notebooks]
    width = max(len(name) for name in names)
    print("\n" + "notebook".ljust(width) + "".join(f"  {condition:>12s}" for condition in args.conditions))
    by_key = {(outcome.notebook.name, outcome.condition): outcome for outcome in runs}
    for name in names:
        cells = []
        for condition in args.conditions:
            outcome = by_key[(name, condition)]
            cells.append(
                "ok" if outcome.passed else (f"{len(outcome.failures)} differ" if outcome.failures else "error")
            )
        print(name.ljust(width) + "".join(f"  {cell:>12s}" for cell in cells))
    failed = [outcome for outcome in runs if not outcome.passed]
    print(f"\n{len(runs) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0
