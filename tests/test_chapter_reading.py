"""Chapters 3-5 as a reader meets them on the site: narrow code and output, no unexplained names, no lines of
True in the reader's path, and runs read against the evidence.

* every line of a code cell the site shows (not tagged hide-input, remove-input or remove-cell) has at most 80
  characters, and every printed line it shows (not tagged remove-output or hide-output) at most 82: the site's
  code box holds about 83 characters at 1280 px (a training log's line may run a character or two over 80).
  The lines that course.passed prints under an exercise's visible check are the exercises' own and are left
  out here;
* every name a shown code cell uses is defined in a shown code cell (or by Python): a reader who folds nothing
  open can follow the code;
* a cell whose shown output is nothing but lines that end in True or False is a check for the tests, not for
  the reader: it is tagged remove-output (nbval still compares it);
* a chapter that trains a model reads its run against `make evidence` (course.evidence).
"""

from __future__ import annotations

import ast
import builtins
import json
import re

import pytest

from coursetools.settings import NOTEBOOKS

CHAPTERS = ["03_conv_autoencoder", "04_autoencoders_at_work", "05_variational_autoencoder"]
HIDDEN_INPUT = {"hide-input", "remove-input", "remove-cell"}
HIDDEN_OUTPUT = {"remove-output", "hide-output", "remove-cell"}
WIDTH = 80  # code
PRINTED_WIDTH = 82  # printed lines


def cells(stem: str) -> list[dict]:
    return json.loads((NOTEBOOKS / f"{stem}.ipynb").read_text(encoding="utf-8"))["cells"]


def tags(cell: dict) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def printed(cell: dict) -> str:
    text = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            text.append("".join(output.get("text", "")))
        elif "text/plain" in output.get("data", {}) and not {"text/html", "image/png", "text/markdown"} & set(
            output["data"]
        ):
            text.append("".join(output["data"]["text/plain"]))
    return "".join(text)


def runnable(source: str) -> str:
    """The cell's source with IPython's magics and shell lines turned into `pass` (same indentation)."""
    return "\n".join(
        line[: len(line) - len(line.lstrip())] + "pass" if line.lstrip().startswith(("%", "!")) else line
        for line in source.splitlines()
    )


def names(source: str) -> tuple[set[str], set[str]]:
    """The names a cell defines and the names it reads."""
    defined, read = set(), set()
    for node in ast.walk(ast.parse(runnable(source))):
        if isinstance(node, ast.Name):
            (defined if isinstance(node.ctx, (ast.Store, ast.Del)) else read).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, ast.arg):
            defined.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            defined |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    return defined, read


@pytest.mark.parametrize("stem", CHAPTERS)
def test_shown_code_and_output_fit_the_code_box(stem):
    problems = []
    for cell in cells(stem):
        if cell["cell_type"] != "code":
            continue
        if not HIDDEN_INPUT & tags(cell):
            problems += [
                f"{cell['id']}: code line of {len(line)}: {line[:50]}"
                for line in "".join(cell["source"]).splitlines()
                if len(line) > WIDTH
            ]
        if not HIDDEN_OUTPUT & tags(cell) and "check" not in tags(cell):
            problems += [
                f"{cell['id']}: printed line of {len(line)}: {line[:50]}"
                for line in printed(cell).splitlines()
                if len(line) > PRINTED_WIDTH
            ]
    assert not problems, f"{stem}:\n" + "\n".join(problems)


@pytest.mark.parametrize("stem", CHAPTERS)
def test_shown_code_uses_only_names_that_shown_code_defines(stem):
    known, problems = set(dir(builtins)), []
    for cell in cells(stem):
        if cell["cell_type"] != "code":
            continue
        defined, read = names("".join(cell["source"]))
        if HIDDEN_INPUT & tags(cell):
            continue  # a folded cell may use anything; what it defines is not visible
        missing = sorted(read - defined - known)
        if missing:
            problems.append(f"{cell['id']}: uses {missing}, defined in no shown cell above it")
        known |= defined
    assert not problems, f"{stem}:\n" + "\n".join(problems)


TRUE_LINE = re.compile(r"(True|False)\s*$")


@pytest.mark.parametrize("stem", CHAPTERS)
def test_no_lines_of_true_in_the_readers_path(stem):
    problems = []
    for cell in cells(stem):
        if cell["cell_type"] != "code" or HIDDEN_OUTPUT & tags(cell):
            continue
        lines = [line for line in printed(cell).splitlines() if line.strip()]
        if lines and all(TRUE_LINE.search(line) for line in lines):
            problems.append(f"{cell['id']}: prints only lines that end in True or False; tag it remove-output")
    assert not problems, f"{stem}:\n" + "\n".join(problems)


@pytest.mark.parametrize("stem", CHAPTERS)
def test_the_chapter_reads_its_runs_against_the_evidence(stem):
    source = "\n".join("".join(cell["source"]) for cell in cells(stem) if cell["cell_type"] == "code")
    assert re.search(r"course\.evidence\(\"0\d-[\w-]+\"\)", source), f"{stem} cites no evidence"
    assert ".contains(" in source, f"{stem} never checks that its run lies in the evidence's range"
