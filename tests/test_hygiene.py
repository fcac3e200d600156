"""The notebooks as stored: listed in the TOC, executed, clean and small.

These read the .ipynb files as JSON; nbval (run on notebooks/ by the same `make test`) re-executes them
and compares outputs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from conftest import NOTEBOOKS, ROOT

NOTEBOOK_PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
MAX_NOTEBOOK_BYTES = 2 * 1024 * 1024
MACHINE_PATH = re.compile(r"(/tmp/|/root/|/home/|/work/|/Users/|[A-Z]:\\\\|site-packages)")
MEMORY_ADDRESS = re.compile(r"\bat 0x[0-9a-fA-F]{6,}")
TIMING = re.compile(r"\b\d+(\.\d+)?\s?(ms|s)/(step|epoch)\b|\bETA\b|━━")


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    return files


def resolve(entry: str) -> Path | None:
    for suffix in ("", ".md", ".ipynb"):
        path = ROOT / f"{entry}{suffix}"
        if path.is_file():
            return path
    return None


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def output_text(output: dict) -> str:
    if output.get("output_type") == "stream":
        text = output.get("text", "")
    else:
        text = output.get("data", {}).get("text/plain", "")
        if output.get("output_type") == "error":
            text = "\n".join(output.get("traceback", []))
    return "".join(text) if isinstance(text, list) else text


def test_there_are_chapters():
    assert [p.name for p in NOTEBOOK_PATHS][:3] == [
        "01_conv2d.ipynb",
        "02_transposed_conv.ipynb",
        "03_conv_autoencoder.ipynb",
    ]


def test_every_toc_entry_exists():
    missing = [entry for entry in toc_files() if resolve(entry) is None]
    assert not missing, f"_toc.yml lists files that do not exist: {missing}"


def test_every_notebook_is_in_the_toc():
    listed = {resolve(entry) for entry in toc_files()}
    unlisted = [p.name for p in NOTEBOOK_PATHS if p not in listed]
    assert not unlisted, f"notebooks missing from _toc.yml: {unlisted}"


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=lambda p: p.name)
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
                if MACHINE_PATH.search(text):
                    problems.append(f"{where}: shows a machine path: {MACHINE_PATH.search(text).group(0)!r}")
                if MEMORY_ADDRESS.search(text):
                    problems.append(f"{where}: shows a memory address")
                if TIMING.search(text):
                    problems.append(f"{where}: shows a timing or progress bar: {TIMING.search(text).group(0)!r}")
                if "<Figure size" in text and "image/png" not in output.get("data", {}):
                    problems.append(f"{where}: shows a figure repr without the figure")
        assert not problems, f"{path.name}:\n" + "\n".join(problems)

    def test_no_execution_timestamps(self, path):
        stamped = [i for i, cell in enumerate(load(path)["cells"]) if "execution" in cell.get("metadata", {})]
        assert not stamped, f"{path.name}: cells {stamped} keep execution timestamps; run `make execute`"

    def test_plotting_cells_are_hidden_and_end_with_show(self, path):
        problems = []
        for index, cell in enumerate(load(path)["cells"]):
            if cell["cell_type"] != "code":
                continue
            has_image = any("image/png" in o.get("data", {}) for o in cell.get("outputs", []))
            if not has_image:
                continue
            tags = cell.get("metadata", {}).get("tags", [])
            if not {"hide-input", "remove-input"} & set(tags):
                problems.append(f"cell {index}: a figure cell without the hide-input tag")
            source = "".join(cell["source"]).rstrip()
            if not (source.endswith("plt.show()") or "plt.show()" in source.splitlines()[-1]):
                problems.append(f"cell {index}: a figure cell that does not end with plt.show()")
        assert not problems, f"{path.name}:\n" + "\n".join(problems)


def test_config_excludes_what_is_not_the_book():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["only_build_toc_files"] is True
    assert config["execute"]["execute_notebooks"] == "off"
    excluded = set(config["exclude_patterns"])
    for folder in (".venv", "_build", "tests", "README.md"):
        assert folder in excluded, f"_config.yml should exclude {folder}"
