"""The self-check questions (src/course/questions/<chapter>.py) and the frame every chapter opens and closes with.

Questions: every chapter of `_toc.yml` has at least 6; each has exactly one right answer and feedback for every
option; numeric answers are computed by the course's own functions, never typed in; the chapter shows every
section's questions and none of them is graded. Chapters: an opening section (learning objectives tied to
sections, prerequisites, the run time from `make bench`) and a closing summary that points to the next chapter.
"""

from __future__ import annotations

import ast
import json
import re

import numpy as np
import pytest

import course
from coursetools import chapters
from coursetools.settings import NOTEBOOKS, PACKAGE

CHAPTERS = chapters.chapters()
STEMS = [path.stem for path in CHAPTERS]
MIN_QUESTIONS = 6
SELF_CHECK_CALL = re.compile(r"""course\.self_check\(\s*["']([\w-]+)["']\s*,\s*["']([\w-]+)["']""")


def question_file(stem: str):
    return PACKAGE / "questions" / f"{stem}.py"


def notebook_cells(stem: str) -> list[dict]:
    return json.loads((NOTEBOOKS / f"{stem}.ipynb").read_text(encoding="utf-8"))["cells"]


def source(cell: dict) -> str:
    return "".join(cell["source"])


def calls_course(node: ast.AST) -> bool:
    """Whether an expression calls a function of course (``course.conv_output_size(...)``) somewhere in it."""
    return any(
        isinstance(sub, ast.Call)
        and isinstance(sub.func, ast.Attribute)
        and isinstance(sub.func.value, ast.Name)
        and sub.func.value.id == "course"
        for sub in ast.walk(node)
    )


def numeric_answers(stem: str) -> list[tuple[str, ast.expr | None]]:
    """Return ``(id, answer expression)`` of every ``Numeric(...)`` written in a chapter's question file."""
    found = []
    for node in ast.walk(ast.parse(question_file(stem).read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "Numeric":
            keywords = {keyword.arg: keyword.value for keyword in node.keywords}
            name = keywords.get("id")
            found.append((name.value if isinstance(name, ast.Constant) else "?", keywords.get("answer")))
    return found


@pytest.mark.parametrize("stem", STEMS)
class TestQuestionFile:
    def test_exists_with_enough_questions(self, stem):
        assert question_file(stem).is_file(), f"{stem} has no question file: write src/course/questions/{stem}.py"
        questions = course.load_questions(stem)
        assert len(questions) >= MIN_QUESTIONS, f"{stem} has {len(questions)} questions; at least {MIN_QUESTIONS}"

    def test_each_choice_has_three_options_and_each_numeric_a_known_mistake(self, stem):
        """What the loader does not require (it refuses a question without exactly one right option, feedback
        everywhere, or an explanation; test_a_bad_question_file_is_refused_with_the_question_named), the course
        does: distractors enough to think about, and a misconception named for a numeric answer."""
        problems = []
        for question in course.load_questions(stem):
            if isinstance(question, course.Choice) and len(question.options) < 3:
                problems.append(f"{question.id}: fewer than 3 options")
            if isinstance(question, course.Numeric) and not question.mistakes:
                problems.append(f"{question.id}: no known mistake with feedback that names it")
        assert not problems, "\n".join(problems)

    def test_numeric_answers_are_computed_by_course_functions(self, stem):
        """Each Numeric's answer is an expression that calls course (never a number typed in), and equals it."""
        text = question_file(stem).read_text(encoding="utf-8")
        assert re.search(r"^import course$", text, flags=re.MULTILINE), f"questions/{stem}.py does not import course"
        answers = numeric_answers(stem)
        loaded = {q.id: q for q in course.load_questions(stem) if isinstance(q, course.Numeric)}
        assert {name for name, _ in answers} == set(loaded), "Numeric questions written and loaded differ"
        for name, expression in answers:
            assert expression is not None, f"{name}: no answer= keyword"
            assert calls_course(expression), f"{name}: the answer {ast.unparse(expression)} is not computed by course"
            value = eval(compile(ast.Expression(expression), "answer", "eval"), {"course": course})  # noqa: S307
            assert value == loaded[name].answer

    def test_every_section_is_shown_once_and_not_graded(self, stem):
        """Every section of the question file is shown by a cell of the chapter, which nbgrader does not grade."""
        sections = {question.section for question in course.load_questions(stem)}
        shown = []
        for cell in notebook_cells(stem):
            for chapter, section in SELF_CHECK_CALL.findall(source(cell)):
                assert chapter == stem, f"{stem} shows the questions of {chapter}"
                assert not cell["metadata"].get("nbgrader"), f"{stem}: the self-check cell of {section} is in nbgrader"
                assert not {"solution", "check", "exercise"} & set(cell["metadata"].get("tags", []))
                shown.append(section)
        assert sorted(shown) == sorted(sections), (
            f"{stem}: sections shown {sorted(shown)}, in the file {sorted(sections)}"
        )


BAD_QUESTIONS = {
    "two right options": 'Choice("q", "s", "?", (Option("a", "why", right=True), Option("c", "why", right=True)))',
    "no right option": 'Choice("q", "s", "?", (Option("a", "no"), Option("b", "no")))',
    "an option without feedback": 'Choice("q", "s", "?", (Option("a", "why", right=True), Option("b", " ")))',
    "a mistake that is the answer": 'Numeric("q", "s", "?", 4, "why", (Mistake(4, "no"),))',
    "an answer that is no number": 'Numeric("q", "s", "?", float("nan"), "why")',
}


@pytest.mark.parametrize("mistake", BAD_QUESTIONS)
def test_a_bad_question_file_is_refused_with_the_question_named(mistake, tmp_path, monkeypatch):
    """course.load_questions, which every self-check cell calls, refuses a question file with a bad question
    and says which question of which file; a good one loads."""
    good = 'Choice("fine", "s", "?", (Option("a", "why", right=True), Option("b", "the misconception")))'
    header = "from course import Choice, Mistake, Numeric, Option\n"
    (tmp_path / "99_bad.py").write_text(f"{header}QUESTIONS = [{good}, {BAD_QUESTIONS[mistake]}]\n")
    (tmp_path / "99_good.py").write_text(f"{header}QUESTIONS = [{good}]\n")
    monkeypatch.setattr(course.questions, "QUESTIONS_DIR", tmp_path)
    with pytest.raises(ValueError, match=r"questions/99_bad\.py, question 'q'"):
        course.load_questions("99_bad")
    assert [question.id for question in course.load_questions("99_good")] == ["fine"]


def test_widget_html_is_accessible_offline_and_deterministic():
    widget = course.self_check("01_conv2d", "padding")
    html = widget._repr_mimebundle_()["text/html"]
    assert html == course.self_check("01_conv2d", "padding").html, "the HTML differs between two calls"
    assert not re.search(r"(src|href)=|https?://", html), "the widget loads or links something"
    assert 'aria-live="polite"' in html and "<script data-ca-widgets>" in html
    for radio in re.findall(r'<input type="radio"[^>]*id="([^"]+)"', course.self_check("01_conv2d", "layouts").html):
        assert f'<label for="{radio}">' in course.self_check("01_conv2d", "layouts").html
    choice = course.self_check("01_conv2d", "layouts")
    right = next(o for q in course.load_questions("01_conv2d") if q.id == "batch-layout" for o in q.options if o.right)
    assert right.feedback not in choice.text, "the plain text gives the answer away"
    with pytest.raises(ValueError, match="sections"):
        course.self_check("01_conv2d", "no-such-section")


# --------------------------------------------------------------------------------------------------
# Opening and closing of every chapter
# --------------------------------------------------------------------------------------------------
def opening_cells(stem: str) -> list[dict]:
    """The cells from the title to the first section heading after the learning objectives."""
    cells = notebook_cells(stem)
    start = next(
        (i for i, c in enumerate(cells) if "Learning objectives" in source(c) or "learning objectives" in source(c)),
        None,
    )
    assert start is not None, f"{stem}: no opening section with learning objectives"
    return cells[start : start + 4]


@pytest.mark.parametrize("stem", STEMS)
class TestChapterFrame:
    def test_objectives_are_tied_to_sections(self, stem):
        text = "\n".join(source(c) for c in opening_cells(stem) if c["cell_type"] == "markdown")
        objectives = [line for line in text.splitlines() if re.match(r"^\s*[-*] ", line)]
        assert len(objectives) >= 3, f"{stem}: fewer than 3 learning objectives"
        untied = [line for line in objectives if not re.search(r"\{ref\}`[^`]+`|\]\(#[^)]+\)|\{numref\}", line)]
        assert not untied, f"{stem}: objectives without a link to their section:\n" + "\n".join(untied)
        assert re.search(r"\*\*Prerequisites", text), f"{stem}: no **Prerequisites** in the opening section"

    def test_run_time_comes_from_the_bench_figures(self, stem):
        cell = next((c for c in opening_cells(stem) if c.get("id") == "run-time"), None)
        assert cell is not None and cell["cell_type"] == "markdown", f"{stem}: no markdown cell 'run-time'"
        assert source(cell).startswith(course.run_time_note(stem).text), (
            f"{stem}: the stated run time is not run_times.json's: python -m coursetools bench --write-notes"
        )

    def test_first_code_cell_gets_the_course_package(self, stem):
        first = next(c for c in notebook_cells(stem) if c["cell_type"] == "code")
        assert first.get("id") == "course-package", f"{stem}: the first code cell is not 'course-package'"
        assert source(first) == source(next(c for c in notebook_cells(STEMS[0]) if c.get("id") == "course-package"))

    def test_closes_with_a_summary_that_names_no_later_chapter_but_the_next(self, stem):
        """The summary may lead on to the next chapter, and names no later one first; a chapter added after it
        needs nothing of it (every page's footer links the next, tests/test_book.py)."""
        cells = [c for c in notebook_cells(stem) if c["cell_type"] == "markdown"]
        summary = next((i for i, c in enumerate(cells) if re.match(r"^## Summary", source(c))), None)
        assert summary is not None, f"{stem}: no '## Summary' section"
        after = "\n".join(source(c) for c in cells[summary:])
        index = STEMS.index(stem)
        later = [name for name in re.findall(r"\]\((\w+)\.ipynb", after) if name in STEMS[index + 1 :]]
        assert later[:1] in ([], STEMS[index + 1 : index + 2]), (
            f"{stem}: the summary leads on to {later[0]}, not the next"
        )


def test_run_times_cover_every_chapter_of_the_toc():
    seconds = course.run_times()
    assert sorted(seconds) == sorted(STEMS), f"run_times.json has {sorted(seconds)}, _toc.yml {sorted(STEMS)}"
    assert all(0 < value < 3600 for value in seconds.values()), seconds


def test_run_times_are_rounded_coarsely():
    assert course.format_run_time(8.4) == course.format_run_time(59.0) == "under a minute"
    assert course.format_run_time(79.8) == "about 1 minute"
    assert course.format_run_time(108.0) == course.format_run_time(143.9) == "about 2 minutes"
    with pytest.raises(ValueError):
        course.format_run_time(float("nan"))
    with pytest.raises(KeyError, match="make bench"):
        course.run_time_note("99_no_such_chapter")


# --------------------------------------------------------------------------------------------------
# Questions that test understanding: the right option's place and length give nothing away, no question is
# answered in the cells just above it, the numbering runs through the chapter, feedback is true as written
# --------------------------------------------------------------------------------------------------
RADIO = re.compile(r'<input type="radio"[^>]*?>')
FORM = re.compile(r'<form class="ca-q" data-kind="choice".*?</form>', re.S)
WORD = re.compile(r"[\w'’×·−-]+")
NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?")
ABOVE = 3  # how many cells above a self-check cell a question must not be answered in


def self_check_cells(stem: str) -> list[tuple[int, str]]:
    """The (cell index, section) of every self-check cell of a chapter, in order."""
    found = []
    for index, cell in enumerate(notebook_cells(stem)):
        for _, section in SELF_CHECK_CALL.findall(source(cell)):
            found.append((index, section))
    return found


def right_positions(stem: str) -> list[int]:
    """The place (0 = first) at which each multiple-choice question of the chapter shows its right option."""
    positions = []
    for _, section in self_check_cells(stem):
        for form in FORM.findall(course.self_check(stem, section).html):
            radios = RADIO.findall(form)
            positions.append(next(i for i, radio in enumerate(radios) if "data-right" in radio))
    return positions


def words(text: str) -> list[str]:
    return [w.lower().strip("'’-") for w in WORD.findall(text.replace("\u2009", " "))]


def cell_text(cell: dict) -> str:
    """What a reader reads in a cell: its source and its text outputs (not the HTML of widgets)."""
    parts = [source(cell)]
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            parts.append("".join(output.get("text", "")))
        elif "text/plain" in output.get("data", {}) and "text/html" not in output.get("data", {}):
            parts.append("".join(output["data"]["text/plain"]))
    return "\n".join(parts)


def key_numbers(text: str, prompt: str) -> set[str]:
    """Numbers an option states that its prompt does not (single digits are too common to count)."""
    given = {n.replace(",", "") for n in NUMBER.findall(prompt)}
    return {n.replace(",", "") for n in NUMBER.findall(text) if len(n.replace(",", "").replace(".", "")) > 1} - given


def key_phrases(text: str, length: int = 4) -> set[str]:
    """Every run of ``length`` words of an option."""
    tokens = words(text)
    return {" ".join(tokens[i : i + length]) for i in range(len(tokens) - length + 1)}


@pytest.mark.parametrize("stem", STEMS)
class TestQuestionsTestUnderstanding:
    def test_the_right_option_is_in_no_favoured_place(self, stem):
        """A fixed, seeded shuffle per question: no place holds more than half of a chapter's right answers."""
        positions = right_positions(stem)
        assert positions, f"{stem}: no multiple-choice question shown"
        counts = {place: positions.count(place) for place in set(positions)}
        assert max(counts.values()) <= len(positions) / 2, (
            f"{stem}: the right option is shown at places {positions} (0 = first); one place holds more than half"
        )
        assert right_positions(stem) == positions, f"{stem}: the order of the options changes between two renderings"

    def test_the_right_option_is_rarely_the_longest(self, stem):
        """The right option is strictly longer than every other in at most a third of a chapter's questions."""
        choices = [q for q in course.load_questions(stem) if isinstance(q, course.Choice)]
        longest = [
            q.id
            for q in choices
            if len(next(o for o in q.options if o.right).text) > max(len(o.text) for o in q.options if not o.right)
        ]
        assert len(longest) <= len(choices) / 3, (
            f"{stem}: the right option is the longest in {len(longest)} of {len(choices)} questions: {longest}"
        )

    def test_no_question_is_answered_in_the_cells_above_it(self, stem):
        """No right option's key number, or run of four of its words, appears in the three cells above its
        question; nor does a numeric question's answer (of two digits or more); nor is the question's own case
        worked there (every number of its prompt, and its answer, in those cells)."""
        cells = notebook_cells(stem)
        by_section = {}
        for question in course.load_questions(stem):
            by_section.setdefault(question.section, []).append(question)
        problems = []
        for index, section in self_check_cells(stem):
            above = "\n".join(cell_text(cell) for cell in cells[max(0, index - ABOVE) : index])
            above_words = " ".join(words(above))
            above_numbers = {n.replace(",", "") for n in NUMBER.findall(above)}
            for question in by_section.get(section, []):
                # the same case worked above: every number of the prompt stands there, and so does the answer's
                prompt_numbers = {n.replace(",", "") for n in NUMBER.findall(question.prompt)}
                same_case = bool(prompt_numbers) and prompt_numbers <= above_numbers
                if isinstance(question, course.Choice):
                    right = next(o for o in question.options if o.right).text
                    numbers = key_numbers(right, question.prompt) & above_numbers
                    right_numbers = {n.replace(",", "") for n in NUMBER.findall(right)} - prompt_numbers
                    if same_case and right_numbers and right_numbers <= above_numbers:
                        numbers |= right_numbers
                    phrases = [p for p in key_phrases(right) if f" {p} " in f" {above_words} "]
                else:
                    answer = f"{question.answer:g}"
                    numbers = {answer} & above_numbers if len(answer.replace(".", "")) > 1 or same_case else set()
                    phrases = []
                if numbers or phrases:
                    problems.append(f"{question.id} (section {section}): above it stand {sorted(numbers) + phrases}")
        assert not problems, f"{stem}: questions answered in the {ABOVE} cells above them:\n" + "\n".join(problems)

    def test_numbering_runs_through_the_chapter(self, stem):
        """The question file lists its questions in the order the chapter shows their sections, so that a question's
        number, its place in the file, runs 1, 2, 3 ... through the chapter."""
        shown = [section for _, section in self_check_cells(stem)]
        listed = []
        for question in course.load_questions(stem):
            if not listed or listed[-1] != question.section:
                listed.append(question.section)
        assert listed == shown, f"{stem}: the file lists the sections {listed}, the chapter shows {shown}"

    def test_feedback_does_not_point_at_places(self, stem):
        """The options are shuffled, so no text may refer to an option by its letter or place."""
        pointing = re.compile(
            r"\boption [a-e]\b|\b[a-e]\)|\bthe (first|second|third|last) option\b|\boption above\b", re.I
        )
        problems = []
        for question in course.load_questions(stem):
            texts = [question.prompt]
            if isinstance(question, course.Choice):
                texts += [o.text for o in question.options] + [o.feedback for o in question.options]
            else:
                texts += [question.explanation, question.other] + [m.feedback for m in question.mistakes]
            problems += [f"{question.id}: {t[:80]!r}" for t in texts if pointing.search(t)]
        assert not problems, "\n".join(problems)


def test_the_shuffle_is_fixed_and_differs_between_questions():
    """The same question always shows the same order (on every machine: random.Random seeded by a string), and
    the orders differ between questions."""
    from course.widgets import option_order

    question = next(q for q in course.load_questions("01_conv2d") if isinstance(q, course.Choice))
    assert option_order(question, "ca-x-y") == option_order(question, "ca-x-y")
    assert sorted(option_order(question, "ca-x-y")) == list(range(len(question.options)))
    orders = {tuple(option_order(question, f"ca-x-{i}")) for i in range(20)}
    assert len(orders) > 3, "twenty keys gave almost the same order"


def test_checkerboard_feedback_states_the_stamp_counts_of_two_dimensions():
    """Chapter 2's feedback on kernel sizes names how many stamps an inner cell receives in 2-D: those are the
    values a transposed convolution of ones, with a kernel of ones, gives inside the map."""
    question = next(q for q in course.load_questions("02_transposed_conv") if q.id == "checkerboard-kernel")
    stride = int(re.search(r"[Ss]tride (\d+)", question.prompt).group(1))
    for kernel in [int(o.text) for o in question.options if int(o.text) >= stride]:
        ones = np.ones((kernel, kernel))
        canvas = course.transposed_conv_frames(np.ones((6, 6)), ones, stride=stride)[-1].grids[-1].values
        inner = sorted({int(v) for v in np.unique(canvas[kernel:-kernel, kernel:-kernel])})
        feedback = next(o.feedback for o in question.options if o.text == str(kernel))
        in_two_dimensions = re.search(r"in 2-D[^.:]*", feedback)
        assert in_two_dimensions, f"kernel {kernel}: the feedback does not say what an inner cell receives in 2-D"
        stated = {int(n) for n in re.findall(r"\b\d+\b", in_two_dimensions.group(0))}
        assert set(inner) <= stated, f"kernel {kernel}: inner cells receive {inner} stamps; feedback: {feedback}"


def test_rare_precision_feedback_states_the_ratio_its_numbers_give():
    """Chapter 4: with recall 0.5, 1 % false alarms and one defect in 1,000 parts, false alarms outnumber the
    defects by about ten to one (and the defects caught by twenty)."""
    question = next(q for q in course.load_questions("04_autoencoders_at_work") if q.id == "rare-precision")
    false_alarms, defects = 0.01 * 999, 1.0
    spoken = {"ten": 10, "twenty": 20, "five": 5, "a hundred": 100}
    for option in question.options:
        for said in re.findall(r"(\w+(?: \w+)?) to one", option.feedback):
            number = spoken.get(said.split()[-1] if said not in spoken else said)
            assert number is not None and abs(number - false_alarms / defects) <= 1, option.feedback
