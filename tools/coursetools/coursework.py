"""Coursework from the chapter notebooks: student notebooks, an nbgrader course, a solution-free site, scores.

    python -m coursetools student      [--out _build/student]       # make student
    python -m coursetools assignments  [--out _build/nbgrader]      # make assignments
    python -m coursetools book-student [--out _build/html-student]  # make book-student
    python -m coursetools scores       [--course _build/nbgrader] [--out scores.csv]

The chapter notebooks (listed in `_toc.yml`) are the one source. Each exercise in them is a prompt with an
``{exercise}`` directive, solution cells between ``{solution-start}``/``{solution-end}`` gates, and check cells
whose graded part sits between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``. One conversion serves
every output:

* **markup**: the site-only MyST becomes Markdown that Jupyter shows as it is: an ``{exercise}`` becomes a
  bold heading numbered as on the site (**Exercise 1.2: Title**), an ``{admonition}`` a quoted block with a bold
  title, ``{numref}``/``{ref}`` plain text ("the figure below", a section's title), ``{cite}`` "Author (year)"
  from book/references.bib, ``(label)=`` targets are removed, and the solution gates are dropped. A figure's
  caption (stored in the cell's metadata for the site) becomes an italic line below the figure.
  Why by hand: jupytext and nbconvert's Markdown exporter change a notebook's container, not its MyST, which
  they leave as it is; myst-parser and mdit-py-plugins parse MyST but write no Markdown back, and mdformat with
  mdformat-myst, which does, rewrites the prose itself: a plain round trip through it, before any conversion,
  changed 114 of the chapters' 335 markdown cells (directive options turned into YAML blocks, blank lines
  added after targets, code spans rejoined). The conversions themselves (the site's exercise numbers, a
  figure above or below, author-year citations) would be hand-written renderers there too. So the converter
  below changes the site-only constructs and nothing else, and the student-edition tests hold it to that;
  book/references.bib is read with pybtex.
* **student notebooks** (``student``): solutions stubbed by nbgrader's ``ClearSolutions``, hidden tests removed
  by ``ClearHiddenTests``, outputs cleared; the student edition of the course package beside them (``course/``:
  the package without ``course.answers``, whose functions would answer exercises), and the cells that call
  those functions shown as the book ran them (``frozen_cell``).
* **nbgrader course** (``assignments``): ``nbgrader_config.py`` and ``source/<chapter>/`` with the converted
  notebook (solutions and hidden tests kept: ``nbgrader generate_assignment`` removes them) and ``course/``
  (the student edition of the package, as above).
  Links to other chapters become plain text there, since each chapter is released on its own.
* **solution-free site** (``book-student``): a copy of the book whose notebooks have no solution cells, no
  hidden tests and no check outputs, built with Jupyter Book (warnings as errors).
* **scores**: one row per student, assignment and graded part, from nbgrader's gradebook (``nbgrader export``
  gives one total per assignment only).
"""

from __future__ import annotations

import argparse
import copy
import csv
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import nbformat
from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, ClearSolutions

from . import chapters as toc
from . import exercises
from .exercises import exercise_of, nbgrader, tags
from .settings import (
    BUILD,
    COURSE_ID,
    GRADING_CELL_TIMEOUT,
    GRADING_TIMEOUT_MARGIN,
    LONGEST_CELL_SECONDS,
    PACKAGE,
    ROOT,
    book_build_command,
)

ANSWERS = PACKAGE / "answers.py"  # course.answers: what the student edition of the package leaves out


def answer_functions() -> tuple[str, ...]:
    """Return the names of course.answers: the functions that compute an exercise's answer in one call (the
    zeros 'same' adds, a reference convolution, the step-through frames and conv-step figures, which end with a
    layer's output). The book's figures and the tests use them; the student edition of the package has no
    course.answers, and the chapters' cells that call them are shown in the student notebooks as the book ran
    them (frozen_cell). No other cell may call them."""
    import ast

    for node in ast.parse(ANSWERS.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(target, "id", None) == "__all__" for target in node.targets):
            return tuple(ast.literal_eval(node.value))
    raise ValueError(f"{ANSWERS} has no __all__")


WITHHELD = answer_functions()
WITHHELD_CALL = re.compile(r"\bcourse\.(" + "|".join(WITHHELD) + r")\b")


def student_package(target: Path) -> Path:
    """Write the student edition of the course package to ``target`` (a folder named ``course``): the package
    without course.answers (and without caches); return ``target``."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(
        PACKAGE, target, ignore=lambda folder, names: [n for n in names if n == "__pycache__" or n.endswith(".pyc")]
    )
    (target / ANSWERS.name).unlink()
    return target


def frozen_cell(cell) -> nbformat.NotebookNode:
    """Return a markdown cell that shows a code cell as the book ran it: its code (unless the site hides it)
    and what it printed and displayed. For the cells that call a function of WITHHELD."""
    from html import escape

    names = sorted(set(WITHHELD_CALL.findall(cell.source)))
    parts, attachments = [], {}
    if not {"hide-input", "remove-input"} & set(tags(cell)):
        parts.append(
            "*This cell is shown as the book ran it: it "
            + (f"calls {', '.join(f'`course.{name}`' for name in names)}, which" if names else "uses what")
            + " the student edition of the course package leaves out, since it would answer exercises.*"
        )
        parts.append(f"```python\n{cell.source.strip()}\n```")
    for index, output in enumerate(cell.get("outputs", [])):
        data = output.get("data", {})
        if output.get("output_type") == "stream":
            parts.append(f"```text\n{''.join(output['text']).rstrip()}\n```")
        elif "text/html" in data:
            parts.append(re.sub(r"\n\s*\n", "\n", "".join(data["text/html"]).strip()))
        elif "image/png" in data:
            name = f"{cell.id}-{index}.png"
            attachments[name] = {"image/png": data["image/png"]}
            alt = cell.get("metadata", {}).get("mystnb", {}).get("image", {}).get("alt", "figure")
            parts.append(f"![{escape(alt).replace('[', '(').replace(']', ')')}](attachment:{name})")
        elif "text/markdown" in data:
            parts.append("".join(data["text/markdown"]))
        elif "text/plain" in data:
            parts.append(f"```text\n{''.join(data['text/plain']).rstrip()}\n```")
        elif output.get("output_type") == "error":
            raise ValueError(f"cell {cell.id} failed when the book ran: execute the chapter again")
    if not cell.get("outputs"):
        raise ValueError(f"cell {cell.id} is shown as the book ran it but has no stored output: execute the chapter")
    frozen = nbformat.v4.new_markdown_cell("\n\n".join(parts))
    frozen.id = cell.id
    if attachments:
        frozen.attachments = attachments
    return frozen


def cell_names(source: str) -> tuple[set[str], set[str]]:
    """Return the names a cell's code binds and the names it reads without binding them itself."""
    import ast

    tree = ast.parse(exercises.runnable(source))
    bound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    bound |= {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    read = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return bound, read - bound


def freeze_withheld_cells(notebook) -> nbformat.NotebookNode:
    """Return a copy of a chapter in which every teaching cell that calls a WITHHELD function, or reads what
    only such cells define (a step-through figure of their frames), is frozen_cell; refuse a solution or check
    cell that would have to be (its code runs where the student edition lacks those functions)."""
    notebook = nbformat.from_dict(copy.deepcopy(notebook))
    cells, frozen_names = [], set()
    for cell in notebook.cells:
        if cell.cell_type == "code":
            bound, read = cell_names(cell.source)
            calls = WITHHELD_CALL.search(cell.source)
            if calls or read & frozen_names:
                if nbgrader(cell) or {"check", "solution"} & set(tags(cell)):
                    what = f"course.{calls.group(1)}" if calls else ", ".join(sorted(read & frozen_names))
                    raise ValueError(
                        f"{cell.id} uses {what}, which the student edition of the course package leaves out (or only "
                        "a cell shown as the book ran it defines): compute it with Keras or in the cell"
                    )
                cell = frozen_cell(cell)
                frozen_names |= bound
            else:
                frozen_names -= bound
        cells.append(cell)
    notebook.cells = cells
    return notebook


def copy_helpers(folder: Path) -> None:
    """Put the student edition of the course package (with every chapter's questions and the run times) into
    ``folder``, as ``folder/course``: a notebook beside it imports it without installing anything."""
    student_package(folder / "course")


BIBLIOGRAPHY = ROOT / "book" / "references.bib"

CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"


# The kernel argument that keeps TensorFlow's C++ start-up lines (written to file descriptor 2) out of the
# cells; the same setting as tools/ipython_kernel_config.py, passed on the kernel's command line so that it
# holds for nbgrader's kernels whichever environment's configuration they read.
KERNEL_ARGUMENTS = ["--IPKernelApp.capture_fd_output=False"]

FENCE_DIRECTIVE = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[a-zA-Z][\w-]*)\}[ \t]*(?P<argument>[^\n]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$\n?",
    re.MULTILINE | re.DOTALL,
)
ROLE = re.compile(r"\{(?P<name>[a-z][\w:-]*)\}`(?P<content>[^`]*)`")
TARGET = re.compile(r"^\((?P<label>[^()\s]+)\)=[ \t]*\n?", re.MULTILINE)
HEADING = re.compile(r"^#{1,6}\s+(?P<title>.+?)\s*#*\s*$", re.MULTILINE)
EXPLICIT = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.DOTALL)
LINK = re.compile(r"(?<!!)\[(?P<text>[^\]]+)\]\((?P<target>[^)\s]+)\)")
ADMONITIONS = {"admonition", "note", "tip", "warning", "important", "hint", "caution", "attention", "seealso"}
GATES = {"solution-start", "solution-end"}


# --------------------------------------------------------------------------------------------------
# Bibliography
# --------------------------------------------------------------------------------------------------


@cache
def bibliography(path: Path = BIBLIOGRAPHY) -> dict[str, tuple[str, str]]:
    """Return ``{key: (authors, year)}`` for every entry of the bibliography, authors as a reader cites them."""
    from pybtex.database import parse_file

    entries = {}
    for key, entry in parse_file(str(path)).entries.items():
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        names = [" ".join(part.render_as("text") for part in person.rich_last_names) for person in people]
        if not names:
            authors = entry.fields.get("title", key)
        elif len(names) == 1:
            authors = names[0]
        elif len(names) == 2:
            authors = f"{names[0]} and {names[1]}"
        else:
            authors = f"{names[0]} et al."
        entries[key] = (authors, entry.fields.get("year", "n.d."))
    return entries


def citation(role: str, keys: str) -> str:
    """Return a citation as plain text: ``Author (year)`` for {cite:t}, ``(Author, year)`` otherwise."""
    entries = bibliography()
    found = [entries.get(key.strip(), (key.strip(), "n.d.")) for key in keys.split(",") if key.strip()]
    if role == "cite:t":
        return "; ".join(f"{authors} ({year})" for authors, year in found)
    return "(" + "; ".join(f"{authors}, {year}" for authors, year in found) + ")"


# --------------------------------------------------------------------------------------------------
# Markup: site-only MyST to plain Markdown
# --------------------------------------------------------------------------------------------------


def figure_meta(cell) -> dict:
    return cell.get("metadata", {}).get("mystnb", {}).get("figure", {})


def split_options(body: str) -> tuple[dict[str, str], str]:
    """Return the ``:option: value`` lines at the top of a directive's body, and the rest."""
    lines = body.split("\n")
    options = {}
    while lines and re.match(r"^:[\w-]+:", lines[0]):
        name, _, value = lines.pop(0)[1:].partition(":")
        options[name] = value.strip()
    return options, "\n".join(lines).strip("\n")


def is_gate(cell) -> bool:
    """A markdown cell that only opens or closes a solution on the site."""
    if cell.cell_type != "markdown":
        return False
    match = FENCE_DIRECTIVE.match(cell.source.strip() + "\n")
    return bool(GATES & set(tags(cell))) or bool(match and match.group("name") in GATES)


@dataclass
class Targets:
    """What the cross-references of one chapter point to, for writing them as plain text."""

    chapter_number: int
    exercises: dict[str, str] = field(default_factory=dict)  # label -> "Exercise 1.2"
    sections: dict[str, str] = field(default_factory=dict)  # label -> heading text
    figures: dict[str, int] = field(default_factory=dict)  # label -> cell index
    labels: dict[str, int] = field(default_factory=dict)  # label -> cell index (any target)

    @classmethod
    def of(cls, notebook, chapter_number: int) -> Targets:
        targets = cls(chapter_number)
        for exercise in exercises.parse(notebook, chapter_number)[0]:
            targets.exercises[exercise.label] = f"Exercise {exercise.number}"
            targets.labels[exercise.label] = exercise.prompt_index
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type == "markdown":
                for match in TARGET.finditer(cell.source):
                    heading = HEADING.search(cell.source, match.end())
                    label = match.group("label")
                    targets.sections[label] = heading.group("title") if heading else label
                    targets.labels[label] = index
            name = figure_meta(cell).get("name")
            if name:
                targets.figures[name] = index
                targets.labels[name] = index
        return targets


def plain_reference(role: str, content: str, targets: Targets, cell_index: int) -> str:
    """Return the text that replaces a {ref} or {numref} role."""
    match = EXPLICIT.match(content)
    text, label = (match.group("text"), match.group("target").strip()) if match else ("", content.strip())
    if label in targets.figures:
        where = "below" if targets.figures[label] > cell_index else "above"
        return f"the figure {where}"
    if label in targets.exercises:
        number = targets.exercises[label]
        return text.replace("%s", number.split()[-1]) if text else number
    if text:
        return text.replace("%s", "").strip()
    return targets.sections.get(label, label.replace("-", " "))


def convert_markdown(source: str, targets: Targets, cell_index: int = 0) -> str:
    """Return a markdown cell's source with every site-only construct turned into plain Markdown."""

    def directive(match: re.Match) -> str:
        name, argument = match.group("name"), match.group("argument").strip()
        options, body = split_options(match.group("body"))
        body = FENCE_DIRECTIVE.sub(directive, body + "\n").strip("\n")
        if name in GATES:
            return ""
        if name == "exercise":
            number = targets.exercises.get(options.get("label", ""), "Exercise")
            heading = f"**{number}" + (f": {argument}" if argument else "") + "**"
            return f"{heading}\n\n{body}\n"
        if name in ADMONITIONS:
            title = argument if name == "admonition" else (argument or name.capitalize())
            quoted = "\n".join(f"> {line}" if line else ">" for line in body.split("\n"))
            return (f"> **{title}**\n>\n" if title else "") + quoted + "\n"
        return body + "\n"  # any other directive: keep its content, drop the markup

    def role(match: re.Match) -> str:
        text = plain_role(match)
        before = match.string[: match.start()]
        sentence_start = re.search(r"(\n\s*\n|^)\s*([-*]|\d+\.)?\s*$", before)
        starts_sentence = not before.strip() or before.rstrip()[-1] in ".!?" or sentence_start
        return text[:1].upper() + text[1:] if starts_sentence else text

    def plain_role(match: re.Match) -> str:
        name, content = match.group("name"), match.group("content")
        if name.startswith("cite"):
            return citation(name, content)
        if name in ("ref", "numref", "eq", "doc", "term", "download"):
            if name in ("ref", "numref"):
                return plain_reference(name, content, targets, cell_index)
            explicit = EXPLICIT.match(content)
            return explicit.group("text") if explicit else content
        if name == "math":
            return f"${content}$"
        return f"`{content}`" if name in ("code", "kbd", "file", "samp") else content

    text = FENCE_DIRECTIVE.sub(directive, source if source.endswith("\n") else source + "\n")
    text = TARGET.sub("", text)
    text = ROLE.sub(role, text)
    return text.strip("\n")


def unlink_missing(source: str, available: set[str]) -> str:
    """Turn relative links to files that are not in ``available`` into their plain text."""

    def replace(match: re.Match) -> str:
        target = match.group("target")
        if re.match(r"^[a-z][a-z0-9+.-]*:|^#", target):
            return match.group(0)
        return match.group(0) if target.split("#")[0] in available else match.group("text")

    return LINK.sub(replace, source)


def convert_notebook(notebook, chapter_number: int, *, links: set[str] | None = None) -> nbformat.NotebookNode:
    """Return a copy of a chapter with plain-Markdown markup, no solution gates and figure captions as text.

    Solutions, hidden tests and outputs are left as they are. With ``links``, relative links to files not in
    that set become plain text.
    """
    notebook = nbformat.from_dict(copy.deepcopy(notebook))
    targets = Targets.of(notebook, chapter_number)
    cells = []
    for index, cell in enumerate(notebook.cells):
        if is_gate(cell):
            continue
        if cell.cell_type == "markdown":
            cell.source = convert_markdown(cell.source, targets, index)
            if links is not None:
                cell.source = unlink_missing(cell.source, links)
        cells.append(cell)
        caption = figure_meta(cell).get("caption")
        if caption:
            caption_cell = nbformat.v4.new_markdown_cell(f"*Figure: {caption}*")
            caption_cell.id = f"{cell.id}-caption"[:64]
            cells.append(caption_cell)
    notebook.cells = cells
    return notebook


# --------------------------------------------------------------------------------------------------
# The three forms of a chapter
# --------------------------------------------------------------------------------------------------


def clear_outputs(notebook):
    notebook, _ = ClearOutput().preprocess(notebook, {})
    return notebook


def student_notebook(notebook, chapter_number: int, *, links: set[str] | None = None) -> nbformat.NotebookNode:
    """Return the student version of a chapter: plain markup, solutions stubbed, no hidden tests, no outputs."""
    student = freeze_withheld_cells(convert_notebook(notebook, chapter_number, links=links))
    student, _ = ClearSolutions(code_stub={"python": CODE_STUB}, text_stub=TEXT_STUB, enforce_metadata=True).preprocess(
        student, {}
    )
    student, _ = ClearHiddenTests(enforce_metadata=True).preprocess(student, {})
    return clear_outputs(student)


def assignment_notebook(notebook, chapter_number: int, *, links: set[str] | None = None) -> nbformat.NotebookNode:
    """Return a chapter as an nbgrader source notebook: plain markup, solutions and hidden tests kept."""
    return clear_outputs(freeze_withheld_cells(convert_notebook(notebook, chapter_number, links=links)))


def site_notebook(notebook) -> nbformat.NotebookNode:
    """Return a chapter for the solution-free site: MyST kept, no solution cells or gates, checks without
    hidden tests or outputs."""
    notebook = nbformat.from_dict(copy.deepcopy(notebook))
    cells = []
    hidden_tests = ClearHiddenTests(enforce_metadata=False)
    for index, cell in enumerate(notebook.cells):
        if is_gate(cell) or "solution" in tags(cell) or nbgrader(cell).get("solution"):
            continue
        if "check" in tags(cell) or nbgrader(cell).get("grade"):
            cell, _ = hidden_tests.preprocess_cell(cell, {}, index)
            cell.outputs = []
            cell.execution_count = None
        cells.append(cell)
    notebook.cells = cells
    return notebook


def chapter_numbers() -> dict[Path, int]:
    """Return each chapter notebook with its number on the site (its place in `_toc.yml`)."""
    return {path: number for number, path in enumerate(toc.chapters(), start=1)}


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


# --------------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------------


def write_student(out: Path) -> list[Path]:
    """Write the student version of every chapter, and the student edition of the course package, to ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    numbers = chapter_numbers()
    names = {path.name for path in numbers}
    written = []
    for path, number in numbers.items():
        target = out / path.name
        nbformat.write(student_notebook(read(path), number, links=names), target)
        written.append(target)
    copy_helpers(out)
    return written


def nbgrader_config() -> str:
    """Return the text of the course's nbgrader_config.py."""
    return f'''"""nbgrader configuration of the Convolutional Autoencoders course (written by `make assignments`).

Run nbgrader's commands in this folder, with the course environment active and MNIST_NPZ set where the
grading machine has no internet access, e.g. `MNIST_NPZ=/path/to/mnist.npz nbgrader autograde 01_conv2d`.
"""

c = get_config()  # noqa: F821  (provided by nbgrader when it reads this file)

c.CourseDirectory.course_id = "{COURSE_ID}"

# One time limit per cell (nbgrader's default, 30 s, interrupts chapter 3's training and scores it 0).
# Derived from measurement on a 2-core CPU without a GPU: the longest cell is a training cell, 1-2 minutes in
# chapter 3 and up to {LONGEST_CELL_SECONDS} s in chapters 4 and 5. On a busy machine grading took three times
# as long as on an idle one; {GRADING_TIMEOUT_MARGIN} times the longest cell leaves room for that.
c.Execute.timeout = {GRADING_CELL_TIMEOUT}

# TensorFlow's C++ runtime writes start-up lines to file descriptor 2 when it is imported. Without this
# kernel argument (the course's IPython kernel configuration, tools/ipython_kernel_config.py) they would be
# captured into a cell of every graded notebook and every student's feedback.
c.Execute.extra_arguments = {KERNEL_ARGUMENTS!r}

# Stubs in the released notebooks (nbgrader's defaults, stated for the record).
c.ClearSolutions.code_stub = {{"python": {CODE_STUB!r}}}
c.ClearSolutions.text_stub = {TEXT_STUB!r}
'''


def write_assignments(out: Path) -> list[Path]:
    """Write a ready nbgrader course to ``out``: nbgrader_config.py and source/<chapter>/ for every chapter."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "nbgrader_config.py").write_text(nbgrader_config())
    written = []
    for path, number in chapter_numbers().items():
        folder = out / "source" / path.stem
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        target = folder / path.name
        nbformat.write(assignment_notebook(read(path), number, links={path.name}), target)
        copy_helpers(folder)
        written.append(target)
    return written


SITE_FILES = ("_config.yml", "_toc.yml", "book")
INSTRUCTOR_PAGES = ("book/instructors",)  # left out of the solution-free site
# The student edition's one setting, under `sphinx: config:` of the copy's _config.yml: its course kit holds the
# student notebooks and the student edition of the package (book/_ext/course_kit.py).
STUDENT_SITE_CONFIG = "    course_edition: student  # written by `make book-student`: this copy has no solutions\n"


def write_site_source(out: Path) -> Path:
    """Copy the book to ``out`` with every chapter made solution-free; return the copy's root."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for name in SITE_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, out / name)
        else:
            shutil.copy2(source, out / name)
    for page in toc.pages():
        relative = page.relative_to(ROOT)
        if relative.parts[0] in SITE_FILES:
            continue
        (out / relative).parent.mkdir(parents=True, exist_ok=True)
        if page.suffix == ".ipynb":
            nbformat.write(site_notebook(read(page)), out / relative)
        else:
            shutil.copy2(page, out / relative)
    # The instructors' page describes the hidden tests and each exercise's key point: not for students.
    for page in INSTRUCTOR_PAGES:
        (out / f"{page}.md").unlink()
        toc_file = out / "_toc.yml"
        toc_file.write_text(re.sub(rf"^\s*- file: {re.escape(page)}\s*\n", "", toc_file.read_text(), flags=re.M))
    for markdown in (out / "book").rglob("*.md"):
        text = markdown.read_text()
        # a sentence that points to the page goes with it
        unlinked = re.sub(r"\s*[^.!?\n]*(?:\n[^.!?\n]+)*\[[^\]]+\]\(instructors\.md[^)]*\)[^.!?]*[.!?]", "", text)
        if unlinked != text:
            markdown.write_text(unlinked)
    config = out / "_config.yml"
    text = config.read_text()
    if "\n  config:\n" not in text:
        raise ValueError("_config.yml has no `sphinx: config:` section for the student edition's setting")
    config.write_text(text.replace("\n  config:\n", "\n  config:\n" + STUDENT_SITE_CONFIG, 1))
    return out


def build_student_site(html: Path, work: Path | None = None) -> subprocess.CompletedProcess:
    """Build the solution-free site into ``html`` (warnings as errors); return the finished build process."""
    work = work or html.parent / "student-site"
    source = write_site_source(work / "book")
    result = subprocess.run(book_build_command(source, work), capture_output=True, text=True, cwd=source)
    if result.returncode == 0:
        if html.exists():
            shutil.rmtree(html)
        shutil.copytree(work / "_build" / "html", html)
    return result


# --------------------------------------------------------------------------------------------------
# Scores
# --------------------------------------------------------------------------------------------------


def score_rows(course: Path, course_id: str = COURSE_ID) -> list[dict]:
    """Return one row per student, assignment and graded part, from the course's nbgrader gradebook.

    ``status`` is "graded", "needs manual grade" (nbgrader flagged the part, or no grade was recorded for
    it: a submission without the part's check cell) or "not submitted" (a student of the gradebook with no
    submission of the assignment; the score is 0 until one is graded).
    """
    from nbgrader.api import Gradebook, MissingEntry

    rows = []
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id) as gradebook:
        for assignment in gradebook.assignments:
            for student in gradebook.students:
                try:
                    submission = gradebook.find_submission(assignment.name, student.id)
                except MissingEntry:
                    for notebook in assignment.notebooks:
                        for cell in sorted(notebook.grade_cells, key=lambda c: c.cell_type + c.name):
                            rows.append(
                                {
                                    "student": student.id,
                                    "assignment": assignment.name,
                                    "exercise": exercise_of(cell.name),
                                    "part": cell.name,
                                    "score": 0.0,
                                    "max_score": float(cell.max_score),
                                    "status": "not submitted",
                                }
                            )
                    continue
                for notebook in submission.notebooks:
                    for grade in sorted(notebook.grades, key=lambda g: g.cell.cell_type + g.name):
                        ungraded = grade.auto_score is None and grade.manual_score is None
                        rows.append(
                            {
                                "student": student.id,
                                "assignment": assignment.name,
                                "exercise": exercise_of(grade.name),
                                "part": grade.name,
                                "score": float(grade.score),
                                "max_score": float(grade.max_score),
                                "status": "needs manual grade" if grade.needs_manual_grade or ungraded else "graded",
                            }
                        )
    return rows


def write_scores(course: Path, out) -> list[dict]:
    rows = score_rows(course)
    fields = ["student", "assignment", "exercise", "part", "score", "max_score", "status"]
    writer = csv.DictWriter(out, fieldnames=fields)
    writer.writeheader()
    writer.writerows(rows)
    return rows


def nbgrader_command(course: Path, *args: str) -> subprocess.CompletedProcess:
    """Run one of nbgrader's commands in a course folder, with this environment's nbgrader."""
    import os

    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    result = subprocess.run(
        [str(Path(sys.executable).parent / "nbgrader"), *args], cwd=course, env=env, capture_output=True, text=True
    )
    if result.returncode:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return result


# --------------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------------


def show(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coursetools", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    student = commands.add_parser("student", help="student notebooks")
    student.add_argument("--out", type=Path, default=BUILD / "student")
    assignments = commands.add_parser("assignments", help="an nbgrader course")
    assignments.add_argument("--out", type=Path, default=BUILD / "nbgrader")
    site = commands.add_parser("book-student", help="the solution-free site")
    site.add_argument("--out", type=Path, default=BUILD / "html-student")
    scores = commands.add_parser("scores", help="per-exercise scores as CSV, from an nbgrader course's gradebook")
    scores.add_argument("--course", type=Path, default=BUILD / "nbgrader")
    scores.add_argument("--out", type=Path, default=None, help="CSV file (default: standard output)")
    args = parser.parse_args(argv)

    if args.command == "student":
        for target in write_student(args.out):
            print(f"wrote {show(target)}")
    elif args.command == "assignments":
        for target in write_assignments(args.out):
            print(f"wrote {show(target)}")
        print(f"wrote {show(args.out / 'nbgrader_config.py')} (cell timeout {GRADING_CELL_TIMEOUT} s)")
    elif args.command == "book-student":
        result = build_student_site(args.out.resolve())
        if result.returncode:
            print(result.stdout[-5000:] + result.stderr[-5000:], file=sys.stderr)
            return result.returncode
        print(f"The student edition is at: {args.out.resolve() / 'index.html'}")
    elif args.command == "scores":
        if args.out:
            with open(args.out, "w", newline="") as out:
                rows = write_scores(args.course, out)
            print(f"wrote {len(rows)} scores to {args.out}")
        else:
            write_scores(args.course, sys.stdout)
    return 0
