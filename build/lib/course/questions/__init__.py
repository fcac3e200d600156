"""Self-check questions: the data of each chapter's questions (``<chapter>.py`` in this folder) and their loader.

Questions are data: <chapter>.py in this folder defines QUESTIONS, a list of Choice and Numeric.
`self_check(chapter, section)` shows the questions of one section as a small HTML widget with its own
script (no network, no kernel needed once the output is stored) and a plain-text fallback. They are for
the reader, not graded.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

__all__ = ["Option", "Choice", "Mistake", "Numeric", "load_questions"]

QUESTIONS_DIR = Path(__file__).resolve().parent  # <chapter>.py: one file of questions per chapter


class Option(NamedTuple):
    """One answer of a multiple-choice question and the feedback a reader gets on choosing it.

    The feedback of a wrong option names the misconception that leads to it; that of the right option
    says why it is right.
    """

    text: str
    feedback: str
    right: bool = False


class Choice(NamedTuple):
    """A multiple-choice question with exactly one right option."""

    id: str
    section: str
    prompt: str
    options: tuple


class Mistake(NamedTuple):
    """A wrong numeric answer that a known misconception produces, and the feedback that names it."""

    value: float
    feedback: str


class Numeric(NamedTuple):
    """A question whose answer is a number, computed by the course's functions (never typed in).

    ``explanation`` is shown with a right answer; ``mistakes`` are the wrong values that typical
    misconceptions give, each with feedback that names the misconception; ``other`` is the feedback for
    any other wrong value. Answers within ``tolerance`` of ``answer`` count as right.
    """

    id: str
    section: str
    prompt: str
    answer: float
    explanation: str
    mistakes: tuple = ()
    other: str = "Not this one: work through the rule of this section step by step."
    tolerance: float = 0.0


def _check_question(chapter: str, question) -> None:
    where = f"questions/{chapter}.py, question {getattr(question, 'id', question)!r}"
    if type(question).__name__ not in ("Choice", "Numeric"):
        raise TypeError(f"{where}: a question is a course.Choice or a course.Numeric, got {type(question).__name__}")
    if not (question.id and question.section and question.prompt.strip()):
        raise ValueError(f"{where}: a question needs an id, a section and a prompt")
    if type(question).__name__ == "Choice":
        if len(question.options) < 2:
            raise ValueError(f"{where}: a multiple-choice question needs at least two options")
        if sum(bool(option.right) for option in question.options) != 1:
            raise ValueError(f"{where}: exactly one option must be right (right=True)")
        if any(not option.feedback.strip() for option in question.options):
            raise ValueError(f"{where}: every option needs feedback (why it is right, or the misconception)")
        if len({option.text for option in question.options}) != len(question.options):
            raise ValueError(f"{where}: two options have the same text")
    else:
        if isinstance(question.answer, bool) or not np.isfinite(float(question.answer)):
            raise ValueError(f"{where}: the answer must be a finite number, got {question.answer!r}")
        if not question.explanation.strip() or not question.other.strip():
            raise ValueError(f"{where}: a numeric question needs an explanation and feedback for other answers")
        values = [float(mistake.value) for mistake in question.mistakes]
        if len(set(values)) != len(values):
            raise ValueError(f"{where}: two mistakes have the same value")
        for mistake in question.mistakes:
            if abs(float(mistake.value) - float(question.answer)) <= question.tolerance:
                raise ValueError(f"{where}: the mistake {mistake.value!r} equals the answer")
            if not mistake.feedback.strip():
                raise ValueError(f"{where}: the mistake {mistake.value!r} has no feedback")


def load_questions(chapter: str) -> list:
    """Return the questions of ``chapter`` (``"01_conv2d"``), read from this folder's <chapter>.py.

    Each question is checked: exactly one right option, feedback for every option, a finite numeric answer
    that none of its listed mistakes equals, ids unique in the chapter.
    """
    import importlib.util

    path = QUESTIONS_DIR / f"{chapter}.py"
    if not path.is_file():
        raise FileNotFoundError(
            f"no questions for chapter {chapter!r}: the course package has no {path.name} (a package older than "
            "the chapter? install the course package that comes with it)"
        )
    spec = importlib.util.spec_from_file_location(f"course_questions_{chapter}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    questions = list(getattr(module, "QUESTIONS", []))
    for question in questions:
        _check_question(chapter, question)
    ids = [question.id for question in questions]
    if len(set(ids)) != len(ids):
        raise ValueError(f"questions/{chapter}.py: question ids repeat: {sorted(i for i in ids if ids.count(i) > 1)}")
    return questions
