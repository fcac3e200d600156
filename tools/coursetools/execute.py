"""Re-execute chapter notebooks in place, top to bottom, each in a fresh kernel.

    python -m coursetools execute                      # every chapter of _toc.yml (make execute)
    python -m coursetools execute notebooks/01_conv2d.ipynb

The notebooks run with the working directory set to ``notebooks/`` (as in JupyterLab and under nbval)
and the ``python3`` kernel of the environment that runs this script. Metadata is normalised so that a
diff shows only real changes: kernelspec ``python3``, no Python patch version, execution counts 1..n,
no per-cell execution timestamps. A notebook that raises is reported and left unchanged on disk.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbconvert.preprocessors import CoalesceStreamsPreprocessor

from .chapters import chapters
from .settings import CELL_TIMEOUT, NOTEBOOKS

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def normalise(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Strip what changes from run to run or machine to machine but is not content."""
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    language_info = nb.metadata.get("language_info", {})
    nb.metadata["language_info"] = {
        key: language_info[key]
        for key in ("name", "file_extension", "mimetype", "nbconvert_exporter", "pygments_lexer", "codemirror_mode")
        if key in language_info
    }
    for key in ("widgets", "varInspector", "toc", "vscode"):
        nb.metadata.pop(key, None)
    count = 0
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("collapsed", None)
        cell.metadata.pop("scrolled", None)
        if cell.cell_type == "code":
            count += 1
            cell.execution_count = count
            for output in cell.outputs:
                if "execution_count" in output:
                    output["execution_count"] = count
    # One output per run of stdout (or stderr): how a cell's printing is split into messages depends on the
    # machine's load, not on the cell.
    nb, _ = CoalesceStreamsPreprocessor().preprocess(nb, {})
    return nb


def execute(path: Path, timeout: int = CELL_TIMEOUT) -> float:
    """Execute one notebook in place; return its wall time in seconds."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=timeout,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
        record_timing=False,
    )
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    nbformat.write(normalise(nb), path)
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coursetools execute", description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebooks to execute (default: all chapters)")
    parser.add_argument("--timeout", type=int, default=CELL_TIMEOUT, help="per-cell timeout in seconds")
    args = parser.parse_args(argv)
    paths = args.notebooks or chapters()
    failed = 0
    for path in paths:
        if not path.is_file():
            print(f"{path}: no such notebook", file=sys.stderr)
            failed += 1
            continue
        print(f"executing {path} ...", flush=True)
        try:
            elapsed = execute(path.resolve(), args.timeout)
        except CellExecutionError as exc:
            print(f"{path}: FAILED, left unchanged\n{exc}", file=sys.stderr)
            failed += 1
            continue
        print(f"{path}: done in {elapsed:.1f} s", flush=True)
    return 1 if failed else 0
