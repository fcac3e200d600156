"""The notebooks as stored: listed in the TOC, executed, clean and small.

These read the .ipynb files as JSON; nbval (run on notebooks/ by the same `make test`) re-executes them
and compares outputs. The chapters are those of `_toc.yml` (coursetools.chapters).
"""

from __future__ import annotations

import json
import re

import nbformat
import pytest
import yaml

from coursetools import chapters
from coursetools.settings import NOTEBOOKS, ROOT

CHAPTERS = chapters.chapters()
MAX_NOTEBOOK_BYTES = 2 * 1024 * 1024
MACHINE_PATH = re.compile(r"(/tmp/|/root/|/home/|/work/|/Users/|[A-Z]:\\\\|site-packages)")
MEMORY_ADDRESS = re.compile(r"\bat 0x[0-9a-fA-F]{6,}")
TIMING = re.compile(r"\b\d+(\.\d+)?\s?(ms|s)/(step|epoch)\b|\bETA\b|━━")
# TensorFlow's run-time error classes: which one an op raises depends on the code path (oneDNN is on by itself
# only on some CPUs), so a checked output that names one passes on one machine and fails on the next.
BACKEND_ERROR = re.compile(
    r"\b(Aborted|InvalidArgument|Internal|Unknown|ResourceExhausted|FailedPrecondition|OutOfRange|Unimplemented"
    r"|Cancelled|DataLoss|DeadlineExceeded|NotFound|PermissionDenied|Unavailable|Unauthenticated)Error\b"
)


def load(path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def output_text(output: dict) -> str:
    if output.get("output_type") == "stream":
        text = output.get("text", "")
    elif output.get("output_type") == "error":
        text = "\n".join(output.get("traceback", []))
    else:
        text = output.get("data", {}).get("text/plain", "")
    return "".join(text) if isinstance(text, list) else text


def test_every_notebook_is_a_chapter_of_the_toc():
    """coursetools.chapters raises if a TOC entry has no file; here: no notebook is left out of the TOC."""
    assert CHAPTERS, "_toc.yml lists no chapter"
    unlisted = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb") if p not in CHAPTERS)
    assert not unlisted, f"notebooks missing from _toc.yml: {unlisted}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
class TestStoredNotebook:
    def test_kernelspec_is_python3(self, path):
        assert load(path)["metadata"]["kernelspec"]["name"] == "python3"

    def test_size(self, path):
        size = path.stat().st_size
        assert size < MAX_NOTEBOOK_BYTES, f"{path.name} is {size / 1e6:.2f} MB; keep notebooks under 2 MB"

    def test_executed_in_order(self, path):
        code = [cell for cell in load(path)["cells"] if cell["cell_type"] == "code"]
        counts = [cell["execution_count"] for cell in code]
        assert counts == list(range(1, len(code) + 1)), (
            f"{path.name}: execution counts {counts} are not 1..n: run `make execute NB=notebooks/{path.name}`"
        )
        assert any(cell["outputs"] for cell in code), f"{path.name} has no stored outputs"

    def test_outputs_are_clean(self, path):
        problems = []
        for index, cell in enumerate(load(path)["cells"]):
            for output in cell.get("outputs", []):
                text = output_text(output)
                where = f"cell {index}"
                if output["output_type"] == "error":
                    problems.append(f"{where}: stores an error ({output.get('ename')})")
                if output["output_type"] == "stream" and output["name"] == "stderr":
                    problems.append(f"{where}: stores stderr: {text[:120]!r}")
                for pattern, what in [(MACHINE_PATH, "a machine path"), (MEMORY_ADDRESS, "a memory address"),
                                      (TIMING, "a timing or progress bar")]:  # fmt: skip
                    if pattern.search(text):
                        problems.append(f"{where}: shows {what}: {pattern.search(text).group(0)!r}")
                if "<Figure size" in text and "image/png" not in output.get("data", {}):
                    problems.append(f"{where}: shows a figure repr without the figure")
        assert not problems, f"{path.name}:\n" + "\n".join(problems)

    def test_checked_outputs_name_no_backend_error_class(self, path):
        """A cell that catches a run-time error shows what the reader needs, not the class the backend chose."""
        problems = []
        for index, cell in enumerate(load(path)["cells"]):
            if "nbval-ignore-output" in cell.get("metadata", {}).get("tags", []):
                continue
            for output in cell.get("outputs", []):
                found = BACKEND_ERROR.search(output_text(output))
                if found:
                    problems.append(f"cell {index} ({cell.get('id')}): prints {found.group(0)}")
        assert not problems, f"{path.name}:\n" + "\n".join(problems)

    def test_no_execution_timestamps(self, path):
        stamped = [i for i, cell in enumerate(load(path)["cells"]) if "execution" in cell.get("metadata", {})]
        assert not stamped, f"{path.name}: cells {stamped} keep execution timestamps; run `make execute`"

    def test_plotting_cells_are_hidden_and_end_with_show(self, path):
        problems = []
        for index, cell in enumerate(load(path)["cells"]):
            if cell["cell_type"] != "code" or not any("image/png" in o.get("data", {}) for o in cell["outputs"]):
                continue
            if not {"hide-input", "remove-input"} & set(cell.get("metadata", {}).get("tags", [])):
                problems.append(f"cell {index}: a figure cell without the hide-input tag")
            if "plt.show()" not in "".join(cell["source"]).rstrip().splitlines()[-1]:
                problems.append(f"cell {index}: a figure cell that does not end with plt.show()")
        assert not problems, f"{path.name}:\n" + "\n".join(problems)


def test_config_excludes_what_is_not_the_book():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["only_build_toc_files"] is True
    assert config["execute"]["execute_notebooks"] == "off"
    excluded = set(config["exclude_patterns"])
    for folder in (".venv", "_build", "tests", "README.md"):
        assert folder in excluded, f"_config.yml should exclude {folder}"


def test_execute_joins_the_chunks_of_one_stream():
    """A cell's printing reaches the notebook in as many chunks as the kernel sent messages, which depends on
    the machine's load; the stored notebook holds one output per stream run."""
    from coursetools import execute

    cell = nbformat.v4.new_code_cell("print('a'); print('b')")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="a\n"),
        nbformat.v4.new_output("stream", name="stdout", text="b\n"),
        nbformat.v4.new_output("stream", name="stderr", text="c\n"),
        nbformat.v4.new_output("display_data", data={"text/plain": "d"}),
        nbformat.v4.new_output("stream", name="stdout", text="e\n"),
    ]
    joined = execute.normalise(nbformat.v4.new_notebook(cells=[cell])).cells[0].outputs
    assert [(o.output_type, o.get("name"), o.get("text")) for o in joined] == [
        ("stream", "stdout", "a\nb\n"),
        ("stream", "stderr", "c\n"),
        ("display_data", None, None),
        ("stream", "stdout", "e\n"),
    ]
