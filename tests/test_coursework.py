"""The coursework conversion (coursetools.coursework): student notebooks, the nbgrader course, the solution-free
site, and the instructors' page kept in step with the chapters.

The conversion is tested on a small chapter written to the exercise conventions, then on every chapter
listed in `_toc.yml`: what a student receives contains no solution, no hidden test, no site-only markup and
no reference to something that is not there.
"""

from __future__ import annotations

import html as html_module
import io
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from coursetools import chapters as toc
from coursetools import coursework, exercises
from coursetools.exercises import nbgrader as meta
from coursetools.settings import CELL_TIMEOUT, COURSE_ID, GRADING_CELL_TIMEOUT, KERNEL_CONFIG, ROOT

CHAPTERS = toc.chapters()
NUMBERS = coursework.chapter_numbers()
# Site-only markup that must not reach a notebook a student opens in Jupyter.
LITERAL_MARKUP = {
    "directive": re.compile(r"^\s*(`{3,}|:{3,})\{[\w-]+\}", re.MULTILINE),
    "role": re.compile(r"\{[a-z][\w:-]*\}`"),
    "target": re.compile(r"^\([^()\s]+\)=\s*$", re.MULTILINE),
    "option": re.compile(r"^:(label|class|nonumber|name):", re.MULTILINE),
}
# Sentences that point to what only the site has.
DANGLING = re.compile(
    r"folded away|solutions? (is|are) (hidden|folded|below|above|shown)|(open|see|check) the solution|"
    r"solution (below|above)|in the margin",
    re.IGNORECASE,
)


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def markdown(notebook) -> list[str]:
    return [cell.source for cell in notebook.cells if cell.cell_type == "markdown"]


def secret_lines(notebook) -> set[str]:
    """The meaningful lines of solutions and hidden tests that appear nowhere else in the chapter."""
    public = "\n".join(exercises.visible(exercises.SOLUTION_REGION.sub("", c.source)) for c in notebook.cells)
    return {
        line.strip()
        for cell in notebook.cells
        for region in exercises.secret_regions(cell.source)
        for line in region.splitlines()
        if len(line.strip()) >= 8 and not line.strip().startswith("#") and line.strip() not in public
    }


def assert_no_secret(chapter: Path, text: str, where: str) -> None:
    """What a student receives of a chapter (a notebook's cells, a page's text) holds none of its solutions'
    or hidden tests' lines, nor their markers. The one check of every form a student receives: the student
    notebook, nbgrader's release (tests/test_nbgrader.py), the solution-free site."""
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text, f"{where}: a solution or hidden-test marker"
    leaked = sorted(line for line in secret_lines(read(chapter)) if line in text)
    assert not leaked, f"{where}: solution or hidden-test lines: {leaked[:5]}"


# --------------------------------------------------------------------------------------------------
# A small chapter written to the conventions
# --------------------------------------------------------------------------------------------------


def cell(kind, cell_id, source, tags=(), nbgrader=None, **metadata):
    new = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
    made = new(source)
    made.id = cell_id
    if tags:
        made.metadata["tags"] = list(tags)
    if nbgrader:
        made.metadata["nbgrader"] = nbgrader
    made.metadata.update(metadata)
    return made


def tiny_chapter() -> nbformat.NotebookNode:
    label = "ex-demo-sum"
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        cell(
            "markdown",
            "intro",
            "(sec-demo-intro)=\n## Sums\n\nAs {cite:t}`dumoulin2016guide` show, and "
            "{cite}`lecun1998gradient`. See {ref}`sec-demo-intro`, {ref}`the exercise <ex-demo-sum>`, "
            "{numref}`fig-demo` and [chapter 2](02_transposed_conv.ipynb).",
        ),
        cell("code", "setup", "import course\nvalues = [1, 2, 3]"),
        cell("code", "fig", "print('a figure')", mystnb={"figure": {"name": "fig-demo", "caption": "Three values."}}),
        cell(
            "markdown",
            "predict",
            "```{admonition} Predict\n:class: tip\nWhat is the sum? Write your guess down.\n```",
            tags=["predict"],
        ),
        cell(
            "markdown",
            f"{label}-prompt",
            f"```{{exercise}} Add them up\n:label: {label}\n\nSet `total` to the sum "
            "of `values`, as in {numref}`fig-demo`.\n```",
            tags=["exercise"],
        ),
        cell("code", f"{label}-data", "more_values = [4]"),
        cell(
            "markdown",
            f"{label}-solution-start",
            f"```{{solution-start}} {label}\n:class: dropdown\n```",
            tags=["solution-start"],
        ),
        cell(
            "code",
            f"{label}-solution",
            "### BEGIN SOLUTION\ntotal = sum(values)\n### END SOLUTION",
            tags=["solution"],
            nbgrader=exercises.nbgrader_metadata(f"{label}-solution"),
        ),
        cell("markdown", f"{label}-solution-end", "```{solution-end}\n```", tags=["solution-end"]),
        cell(
            "code",
            f"{label}-check",
            "course.expect_type('total', total, int, 'a whole number')\ncourse.passed('total')\n"
            "### BEGIN HIDDEN TESTS\nassert total == 6, 'total is not right yet: add every value'\n### END HIDDEN TESTS",
            tags=["check"],
            nbgrader=exercises.nbgrader_metadata(f"{label}-check", points=2),
        ),
    ]
    notebook.cells[-1].outputs = [nbformat.v4.new_output("stream", text="total: no known mistake found.\n")]
    notebook.cells[2].outputs = [nbformat.v4.new_output("stream", text="a figure\n")]
    return notebook


def assert_plain(notebook, where: str) -> None:
    text = "\n\n".join(markdown(notebook))
    for what, pattern in LITERAL_MARKUP.items():
        found = pattern.search(text)
        assert not found, f"{where}: literal {what} left: {text[max(found.start() - 60, 0) : found.end() + 60]!r}"
    found = DANGLING.search(text)
    assert not found, (
        f"{where}: refers to what a student does not have: {text[max(found.start() - 80, 0) : found.end() + 80]!r}"
    )


def test_markup_becomes_plain_markdown():
    source = tiny_chapter()
    converted = coursework.convert_notebook(source, 2)
    assert source == tiny_chapter(), "the source notebook is not modified"
    intro, prompt = converted.cells[0].source, converted.cells[5].source
    assert intro.startswith(
        "## Sums\n\nAs Dumoulin and Visin (2016) show, and (LeCun et al., 1998). See Sums, the exercise, "
        "the figure below and [chapter 2](02_transposed_conv.ipynb)."
    )
    assert prompt == "**Exercise 2.1: Add them up**\n\nSet `total` to the sum of `values`, as in the figure above."
    assert converted.cells[3].source == "*Figure: Three values.*", "the figure's caption follows it as text"
    assert converted.cells[4].source == "> **Predict**\n>\n> What is the sum? Write your guess down."
    assert not any("solution-start" in c.source or "solution-end" in c.source for c in converted.cells)
    assert_plain(converted, "converted tiny chapter")


def test_links_to_missing_files_become_text():
    converted = coursework.convert_notebook(tiny_chapter(), 2, links={"01_conv2d.ipynb"})
    assert "and chapter 2." in converted.cells[0].source


def test_assignment_notebook_keeps_solutions_and_hidden_tests():
    released_source = coursework.assignment_notebook(tiny_chapter(), 2)
    by_id = {c.id: c for c in released_source.cells}
    assert "total = sum(values)" in by_id["ex-demo-sum-solution"].source
    assert "### BEGIN HIDDEN TESTS" in by_id["ex-demo-sum-check"].source
    assert by_id["ex-demo-sum-check"].outputs == []
    assert_plain(released_source, "nbgrader source of the tiny chapter")


def test_site_notebook_has_no_solutions_hidden_tests_or_check_outputs():
    site = coursework.site_notebook(tiny_chapter())
    ids = [c.id for c in site.cells]
    assert "ex-demo-sum-solution" not in ids and "ex-demo-sum-solution-start" not in ids
    check = site.cells[ids.index("ex-demo-sum-check")]
    assert "HIDDEN" not in check.source and check.outputs == []
    assert site.cells[ids.index("ex-demo-sum-prompt")].source.startswith("```{exercise}"), "the site keeps its markup"
    assert site.cells[ids.index("fig")].outputs, "teaching outputs stay"


def test_nbgrader_config_sets_the_course_id_and_the_time_limit():
    text = coursework.nbgrader_config()
    config = {}

    class Section(dict):
        def __getattr__(self, name):
            return self.setdefault(name, Section())

        def __setattr__(self, name, value):
            self[name] = value

    root = Section()
    exec(compile(text, "nbgrader_config.py", "exec"), {"get_config": lambda: root})
    config = root
    assert config["CourseDirectory"]["course_id"] == COURSE_ID
    assert config["Execute"]["timeout"] == GRADING_CELL_TIMEOUT
    # its kernel arguments keep file descriptor 2 out of graded cells: tests/test_nbgrader.py runs nbgrader on it


def test_exercise_of_a_check_id():
    assert exercises.exercise_of("ex-conv2d-predict-check") == "ex-conv2d-predict"
    assert exercises.exercise_of("ex-conv2d-predict-check-shape") == "ex-conv2d-predict"


# --------------------------------------------------------------------------------------------------
# The chapters
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def student_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("student")
    coursework.write_student(out)
    return out


@pytest.fixture(scope="module")
def course_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("nbgrader")
    coursework.write_assignments(out)
    return out


def test_make_student_writes_every_chapter_and_the_student_edition(student_dir):
    assert sorted(p.name for p in student_dir.glob("*.ipynb")) == sorted(p.name for p in CHAPTERS)
    assert (student_dir / "course" / "__init__.py").is_file()


# --------------------------------------------------------------------------------------------------
# What students receive carries no function that answers an exercise
# --------------------------------------------------------------------------------------------------


def package_files(folder: Path) -> set[str]:
    return {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }


def test_the_student_edition_is_the_package_without_its_answers(student_dir, course_dir):
    """The student folder and every nbgrader source folder (which nbgrader copies into the release) hold the
    student edition: the course package, file for file, less course.answers. It imports, and every public name
    of the book's edition is there but the answer functions."""
    import subprocess
    import sys

    import course

    assert all(callable(getattr(course, name)) for name in coursework.WITHHELD)  # the book keeps them
    assert set(coursework.WITHHELD) == set(course.answers.__all__)
    book = package_files(coursework.PACKAGE)
    assert "answers.py" in book and "questions/01_conv2d.py" in book and "run_times.json" in book
    for folder in [student_dir] + [course_dir / "source" / chapter.stem for chapter in CHAPTERS]:
        edition = folder / "course"
        assert package_files(edition) == book - {"answers.py"}, folder
        for name in package_files(edition):
            assert (edition / name).read_bytes() == (coursework.PACKAGE / name).read_bytes(), name
    probe = (
        "import course; missing = [n for n in course.__all__ if n != 'EpochLog' and not hasattr(course, n)];"
        "print(course.__file__, sorted(set(course.__all__) & set(" + repr(list(coursework.WITHHELD)) + ")), missing)"
    )
    result = subprocess.run(
        [sys.executable, "-E", "-s", "-c", probe], cwd=student_dir, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == [str(student_dir / "course" / "__init__.py"), "[]", "[]"], result.stdout


def frozen_ids(chapter: Path) -> list[str]:
    """The cells of a chapter that call a withheld function, or read what only such cells define."""
    ids, names = [], set()
    for c in read(chapter).cells:
        if c.cell_type == "code":
            bound, loaded = coursework.cell_names(c.source)
            if coursework.WITHHELD_CALL.search(c.source) or loaded & names:
                ids.append(c.id)
                names |= bound
            else:
                names -= bound
    return ids


def test_a_check_cell_may_not_call_an_answer_function():
    notebook = tiny_chapter()
    notebook.cells[-1].source = notebook.cells[-1].source.replace("total == 6", "total == course.same_padding(6, 1)[0]")
    with pytest.raises(ValueError, match="leaves out"):
        coursework.freeze_withheld_cells(notebook)


def test_a_frozen_cell_shows_what_the_book_ran():
    notebook = tiny_chapter()
    figure = cell("code", "steps", "course.show_conv_steps(image, kernel)", tags=["hide-input"],
                  mystnb={"image": {"alt": "Two grids [with a window]"}})  # fmt: skip
    figure.outputs = [
        nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"})
    ]
    frames = cell("code", "frames", "frames = course.conv2d_frames(image, kernel)\nprint(len(frames))")
    frames.outputs = [nbformat.v4.new_output("stream", text="4\n")]
    notebook.cells[2:2] = [figure, frames]
    frozen = coursework.freeze_withheld_cells(notebook)
    by_id = {c.id: c for c in frozen.cells}
    assert by_id["steps"].cell_type == by_id["frames"].cell_type == "markdown"
    assert by_id["steps"].source == "![Two grids (with a window)](attachment:steps-0.png)"
    assert by_id["steps"].attachments == {"steps-0.png": {"image/png": "iVBORw0KGgo="}}
    assert "`course.conv2d_frames`" in by_id["frames"].source and "```text\n4\n```" in by_id["frames"].source
    assert "print(len(frames))" in by_id["frames"].source  # visible code stays visible
    nbformat.validate(frozen)
    unexecuted = nbformat.from_dict(notebook)
    unexecuted.cells[2].outputs = []
    with pytest.raises(ValueError, match="no stored output"):
        coursework.freeze_withheld_cells(unexecuted)


@pytest.mark.parametrize("chapter", [c for c in CHAPTERS if frozen_ids(c)], ids=lambda p: p.stem)
def test_cells_that_call_withheld_functions_are_shown_as_the_book_ran_them(chapter, student_dir, course_dir):
    """No code cell of what students receive (hidden tests included: they run where the student edition lacks
    the functions) calls an answer function; each cell that did, and each that reads what only those define, is
    a markdown cell with the book's output (running the student notebook, below, finds any name it misses)."""
    ids = frozen_ids(chapter)
    source = read(chapter)
    for generated in (read(student_dir / chapter.name), read(course_dir / "source" / chapter.stem / chapter.name)):
        calls = [c.id for c in generated.cells if c.cell_type == "code" and coursework.WITHHELD_CALL.search(c.source)]
        assert not calls, f"{chapter.name}: cells that call a withheld function: {calls}"
        by_id = {c.id: c for c in generated.cells}
        for cell_id in ids:
            frozen = by_id[cell_id]
            stored = next(c for c in source.cells if c.id == cell_id)
            assert frozen.cell_type == "markdown", cell_id
            html = [o.data["text/html"] for o in stored.outputs if "text/html" in o.get("data", {})]
            assert all(h.strip()[:200] in frozen.source for h in html), cell_id
            assert all(f"attachment:{name}" in frozen.source for name in frozen.get("attachments", {})), cell_id
    assert any(coursework.WITHHELD_CALL.search(c.source) for c in source.cells if c.id in ids)


def test_make_assignments_writes_a_course(course_dir):
    assert (course_dir / "nbgrader_config.py").is_file()
    for chapter in CHAPTERS:
        folder = course_dir / "source" / chapter.stem
        assert sorted(p.name for p in folder.iterdir()) == sorted([chapter.name, "course"])


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
class TestChapter:
    def test_student_notebook_is_plain_and_refers_to_nothing_missing(self, chapter, student_dir):
        notebook = read(student_dir / chapter.name)
        assert_plain(notebook, f"student {chapter.name}")
        links = [m for text in markdown(notebook) for m in re.findall(r"\]\(([^)#:]+)\)", text)]
        assert all((student_dir / link).exists() for link in links), links

    def test_nbgrader_source_is_plain_and_refers_to_nothing_missing(self, chapter, course_dir):
        notebook = read(course_dir / "source" / chapter.stem / chapter.name)
        assert_plain(notebook, f"nbgrader source {chapter.name}")
        links = [m for text in markdown(notebook) for m in re.findall(r"\]\(([^)#:]+)\)", text)]
        assert all((course_dir / "source" / chapter.stem / link).exists() for link in links), links

    def test_every_cross_reference_resolves_within_the_chapter(self, chapter):
        """{ref}/{numref} point into the same chapter (other chapters are linked with Markdown links), so that
        the student version can write them as text that names something the notebook has."""
        notebook = read(chapter)
        targets = coursework.Targets.of(notebook, NUMBERS[chapter])
        missing = []
        for text in markdown(notebook):
            for match in coursework.ROLE.finditer(text):
                if match.group("name") in ("ref", "numref"):
                    explicit = coursework.EXPLICIT.match(match.group("content"))
                    label = (explicit.group("target") if explicit else match.group("content")).strip()
                    if label not in targets.labels:
                        missing.append(match.group(0))
        assert not missing, f"references to labels this chapter does not define: {missing}"

    def test_exercises_keep_the_sites_numbering(self, chapter, student_dir):
        text = "\n".join(markdown(read(student_dir / chapter.name)))
        headings = re.findall(r"^\*\*Exercise (\d+\.\d+): ([^*]*)\*\*", text, re.MULTILINE)
        assert headings == [(e.number, e.title) for e in exercises.chapter(chapter).exercises]

    def test_no_solution_or_hidden_test_survives(self, chapter, student_dir):
        generated = read(student_dir / chapter.name)
        assert_no_secret(chapter, "\n".join(c.source for c in generated.cells), f"student {chapter.name}")

    def test_checks_are_kept_with_their_points(self, chapter, student_dir):
        def checks(notebook):
            return [(meta(c).get("grade_id"), meta(c).get("points")) for c in notebook.cells if meta(c).get("grade")]

        generated = read(student_dir / chapter.name)
        assert checks(generated) == checks(read(chapter)) and checks(generated)

    def test_outputs_are_cleared_and_stubs_in_place(self, chapter, student_dir):
        generated = read(student_dir / chapter.name)
        for code in (c for c in generated.cells if c.cell_type == "code"):
            assert code.outputs == [] and code.execution_count is None
            if meta(code).get("solution"):
                assert "raise NotImplementedError()" in code.source

    @pytest.mark.slow
    @pytest.mark.runs_code
    def test_running_it_stops_first_at_an_exercise_stub(self, chapter, student_dir):
        generated = read(student_dir / chapter.name)
        client = NotebookClient(
            generated, kernel_name="python3", timeout=CELL_TIMEOUT, resources={"metadata": {"path": str(student_dir)}}
        )
        with pytest.raises(CellExecutionError) as info:
            client.execute()
        assert info.value.ename == "NotImplementedError", f"failed before any exercise stub:\n{info.value}"
        failed = next(c for c in generated.cells if any(o.get("output_type") == "error" for o in c.get("outputs", [])))
        first_solution = next(c for c in generated.cells if meta(c).get("solution"))
        assert failed is first_solution, "an earlier cell failed, or an earlier exercise stub did not"


# --------------------------------------------------------------------------------------------------
# The solution-free site
# --------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_book_student_builds_without_solutions_hidden_tests_or_check_outputs(tmp_path):
    html = tmp_path / "html-student"
    result = coursework.build_student_site(html, tmp_path / "work")
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    for chapter in CHAPTERS:
        source = read(chapter)
        page = (html / chapter.relative_to(ROOT)).with_suffix(".html").read_text()
        text = html_module.unescape(re.sub(r"<[^>]+>", "", page))
        assert_no_secret(chapter, text, f"{chapter.name} on the student site")
        for check in (c for c in source.cells if meta(c).get("grade")):
            for output in check.get("outputs", []):
                shown = "".join(output.get("text", "")).strip()
                assert not shown or shown not in text, f"{chapter.name}: output of {check.id} on the student site"
        assert text.count("Exercise ") >= 1
        found = DANGLING.search(text)
        assert not found, f"{chapter.name}: the student site refers to what it does not show: {found.group(0)!r}"
    # its course kit: the student notebooks and the student edition of the package
    import zipfile

    from coursetools.kit import KIT, KIT_FOLDER

    with zipfile.ZipFile(html / KIT) as kit:
        names = kit.namelist()
        for chapter in CHAPTERS:
            kit_notebook = nbformat.reads(kit.read(f"{KIT_FOLDER}/{chapter.name}").decode(), as_version=4)
            text = "\n".join(cell.source for cell in kit_notebook.cells)
            assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text, chapter.name
            assert coursework.CODE_STUB in text, f"{chapter.name}: the kit's notebook is not the student notebook"
        (wheel,) = [name for name in names if name.endswith(".whl")]
        with zipfile.ZipFile(io.BytesIO(kit.read(wheel))) as package:
            modules = package.namelist()
    assert "course/__init__.py" in modules and "course/answers.py" not in modules


# --------------------------------------------------------------------------------------------------
# repo2docker (Binder, a JupyterHub image): binder/postBuild in a fresh environment
# --------------------------------------------------------------------------------------------------

KERNEL_PROBE = r"""
import json, sys
import nbformat
from nbclient import NotebookClient
notebook = nbformat.v4.new_notebook()
notebook.cells = [nbformat.v4.new_code_cell(
    "import os\nimport tensorflow as tf\nos.write(2, b'a line on file descriptor 2\\n')\nimport time; time.sleep(1)\n"
    "print(tf.__version__.split('.')[0])")]
NotebookClient(notebook, kernel_name="python3", timeout=300).execute()
print(json.dumps(notebook.cells[0].outputs))
"""


def fresh_environment(path: Path) -> Path:
    """A new virtual environment that sees the course's packages through a .pth file, and nothing else of it."""
    import subprocess
    import sys
    import sysconfig

    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    site_packages = next(path.glob("lib/python3*/site-packages"))
    (site_packages / "course-environment.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return path / "bin" / "python"


def kernel_outputs(python: Path) -> list[dict]:
    import json
    import os
    import subprocess

    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_CURRENT_TEST", "TF_CPP_MIN_LOG_LEVEL")}
    env["PATH"] = f"{python.parent}{os.pathsep}{env.get('PATH', '')}"
    result = subprocess.run([str(python), "-c", KERNEL_PROBE], capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_postbuild_installs_the_kernel_configuration_in_a_fresh_environment(tmp_path):
    """repo2docker runs binder/postBuild after installing binder/requirements.txt: afterwards the environment has
    the course package, and a kernel of it imports TensorFlow and nothing written to file descriptor 2 lands in
    the cell. Without postBuild, it does.
    (The kernels of the course environment read the same configuration, tools/ipython_kernel_config.py; those
    that nbgrader starts get the setting as an argument, tests/test_nbgrader.py.)"""
    import os
    import subprocess

    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == "python-3.11"
    python = fresh_environment(tmp_path / "hub")
    # pip builds the package with the setuptools it sees (PIP_NO_BUILD_ISOLATION=0, pip's inverted spelling of
    # --no-build-isolation), offline; repo2docker's pip fetches one
    env = dict(os.environ, PATH=f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}", PIP_NO_BUILD_ISOLATION="0")
    result = subprocess.run(["bash", str(ROOT / "binder" / "postBuild")], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    installed = tmp_path / "hub" / "etc" / "ipython" / "ipython_kernel_config.py"
    assert installed.read_text() == KERNEL_CONFIG.read_text()
    where = subprocess.run([str(python), "-c", "import course; print(course.__file__)"], capture_output=True, text=True)
    assert where.stdout.startswith(str(tmp_path / "hub")), where.stdout + where.stderr  # installed into the image
    outputs = kernel_outputs(python)
    assert [o.get("name") for o in outputs] == ["stdout"] and outputs[0]["text"] == "2\n", outputs

    control = kernel_outputs(fresh_environment(tmp_path / "without-postbuild"))
    assert any(o.get("name") == "stderr" for o in control), "without postBuild the line would be in the cell"
