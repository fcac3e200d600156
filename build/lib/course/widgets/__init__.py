"""Small HTML widgets that work offline and without a kernel: self-check questions, step-through figures and the
latent-space explorer (explorer.py)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import NamedTuple

import numpy as np

from ..questions import load_questions
from .explorer import LatentExplorer, latent_explorer, latent_explorer_pair

__all__ = ["self_check", "step_through", "Grid", "Frame", "MARKS"]
__all__ += ["latent_explorer", "latent_explorer_pair", "LatentExplorer"]  # explorer.py


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")


def _number_text(value: float) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:g}"


class _Widget:
    """A display object with HTML for a browser (text/html) and a plain-text fallback (text/plain)."""

    def __init__(self, html: str, text: str):
        self.html = html
        self.text = text

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/html": self.html, "text/plain": self.text}

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return self.text


# One style sheet and one script for both widgets, written into every widget's output: each output works on
# its own (a stored notebook in JupyterLab, a page of the site, a file opened from disk). The script sets up
# every widget on the page that is not set up yet, so that several copies on one page do no harm. Both carry
# the attribute data-ca-widgets, by which the site's build keeps one copy of each per page
# (book/_ext/book_reader.py).
@cache
def _widget_assets() -> str:
    """The widgets' style sheet and script (widgets.css and widgets.js, files of this package), as HTML."""
    folder = resources.files(__package__)
    css = " ".join((folder / "widgets.css").read_text(encoding="utf-8").split("*/", 1)[1].split())
    script = (folder / "widgets.js").read_text(encoding="utf-8").split("*/", 1)[1].strip()
    return f"<style data-ca-widgets>{css}</style>\n<script data-ca-widgets>{script}</script>"


def option_order(question, key: str) -> list[int]:
    """Return the order in which a multiple-choice question shows its options: a shuffle seeded by ``key``.

    Question files list the right option wherever it is easiest to write; the reader sees them in an order that
    depends on the question (its widget key, ``ca-<chapter>-<id>``) and on nothing else: the same on every
    run, machine and Python (``random.Random`` seeded with a string hashes it with SHA-512).
    """
    import random

    order = list(range(len(question.options)))
    random.Random(f"option order of {key}").shuffle(order)
    return order


def _choice_html(question, number: int, key: str) -> tuple[str, list[str]]:
    from html import escape

    letters = "abcdefghijklmnopqrstuvwxyz"
    options, answer_lines, text = [], [], [f"{number}. {question.prompt}"]
    shown = [question.options[i] for i in option_order(question, key)]
    for index, option in enumerate(shown):
        option_id = f"{key}-{index}"
        right = " data-right" if option.right else ""
        options.append(
            f'<div class="ca-opt"><input type="radio" name="{key}" id="{option_id}" value="{index}"{right} '
            f'data-feedback="{escape(option.feedback)}"><label for="{option_id}">{letters[index]}) '
            f'{escape(option.text)}</label> <span class="ca-mark"></span></div>'
        )
        verdict = "Right" if option.right else "Not right"
        answer_lines.append(f"<li>{letters[index]}) {verdict}: {escape(option.feedback)}</li>")
        text.append(f"   {letters[index]}) {option.text}")
    html = (
        f'<form class="ca-q" data-kind="choice" id="{key}"><fieldset>'
        f"<legend>Question {number}. {escape(question.prompt)}</legend>{''.join(options)}</fieldset>"
        f'<p class="ca-live" aria-live="polite"></p>'
        f"<details><summary>Show the answer and why each option is right or not</summary><ul>{''.join(answer_lines)}"
        "</ul></details></form>"
    )
    return html, text


def _numeric_html(question, number: int, key: str) -> tuple[str, list[str]]:
    from html import escape

    mistakes = "".join(
        f'<li data-mistake="{float(m.value)!r}" data-feedback="{escape(m.feedback)}">'
        f"{escape(_number_text(m.value))}: {escape(m.feedback)}</li>"
        for m in question.mistakes
    )
    html = (
        f'<form class="ca-q" data-kind="numeric" id="{key}" data-answer="{float(question.answer)!r}" '
        f'data-tolerance="{float(question.tolerance)!r}" data-explanation="{escape(question.explanation)}" '
        f'data-other="{escape(question.other)}">'
        f'<p class="ca-prompt" id="{key}-prompt">Question {number}. {escape(question.prompt)}</p>'
        f'<label for="{key}-answer">Your answer (a number): </label>'
        f'<input type="text" inputmode="decimal" autocomplete="off" id="{key}-answer" '
        f'aria-describedby="{key}-prompt"> <button type="submit">Check</button>'
        f'<p class="ca-live" aria-live="polite"></p>'
        f"<details><summary>Show the answer</summary><p>{escape(_number_text(question.answer))}: "
        f"{escape(question.explanation)}</p>"
        + (f"<p>Answers that come from a known mistake:</p><ul>{mistakes}</ul>" if mistakes else "")
        + "</details></form>"
    )
    return html, [f"{number}. {question.prompt} (answer with a number)"]


# The numbers of the self-check questions run through a chapter: each section's questions get the numbers after
# those of the sections shown before it in this process. A chapter shows its sections in order from the top (as
# make execute and nbval run it), so the stored outputs number 1, 2, 3, ... through the chapter; a section shown
# again (a cell run twice) keeps its numbers.
_NUMBERS: dict[str, dict[str, int]] = {}


def _first_number(chapter: str, section: str) -> int:
    shown = _NUMBERS.setdefault(chapter, {})
    if section not in shown:
        shown[section] = 1 + sum(len(_section_questions(chapter, name)) for name in shown)
    return shown[section]


def _section_questions(chapter: str, section: str) -> list:
    return [question for question in load_questions(chapter) if question.section == section]


def self_check(chapter: str, section: str, *, start: int | None = None) -> _Widget:
    """Return the self-check questions of one section of a chapter as a widget to display in a cell.

    ``course.self_check("01_conv2d", "padding")`` shows the questions of course/questions/01_conv2d.py
    whose ``section`` is ``"padding"``: multiple choice (radio buttons, feedback on choosing) and numeric
    answers (a field and a Check button), with a reason for every wrong answer. The HTML carries its own
    style and script, needs no kernel and no network, and is not graded. The questions are numbered through
    the chapter: the first one of a section follows the last one of the sections shown before it (``start``
    sets the first number instead). The widget is a region named by its numbers ("Self-check, questions 4
    and 5"), distinct from every other on the page. The plain-text form lists the questions without their
    answers.
    """
    chosen = _section_questions(chapter, section)
    if not chosen:
        sections = sorted({question.section for question in load_questions(chapter)})
        raise ValueError(f"questions/{chapter}.py has no question in section {section!r}; its sections: {sections}")
    first = _first_number(chapter, section) if start is None else int(start)
    last = first + len(chosen) - 1
    numbers = f"question {first}" if first == last else f"questions {first} to {last}"
    numbers = numbers if last - first != 1 else f"questions {first} and {last}"
    parts, text = [], [f"Self-check, {numbers} (not graded):"]
    for number, question in enumerate(chosen, start=first):
        key = f"ca-{_slug(chapter)}-{_slug(question.id)}"
        render = _choice_html if type(question).__name__ == "Choice" else _numeric_html
        html, lines = render(question, number, key)
        parts.append(html)
        text.extend(lines)
    label = f"ca-{_slug(chapter)}-{_slug(section)}-title"
    html = (
        f'<section class="ca-w ca-sc" aria-labelledby="{label}">'
        f'<p class="ca-title" id="{label}">Self-check, {numbers}: test your understanding (not graded)</p>'
        f'<p class="ca-note">Choose an answer or type a number: the feedback appears at once and says why.</p>'
        f"{''.join(parts)}{_widget_assets()}</section>"
    )
    return _Widget(html, "\n".join(text))


# --------------------------------------------------------------------------------------------------
# Step-through figures
# --------------------------------------------------------------------------------------------------
#
# A step-through figure is a list of frames; each frame holds grids of numbers (HTML tables) and a sentence
# that says what the frame shows. `step_through` renders them with Previous / Play / Next buttons, one frame at
# a time; a reader whose system asks for reduced motion gets Previous and Next without Play (nothing moves by
# itself); where scripts do not run, and on paper, all frames are shown as a strip. The frames come from the
# same arithmetic as the figures and the tests: conv2d_frames ends with conv2d_reference's output,
# transposed_conv_frames with Conv2DTranspose's. The frame functions are left out of the student edition
# (course.answers: they end with a layer's output); there the figures are stored HTML.

# What each mark looks like, for the key under a figure, and the sample cell the key draws with the same style
# as the grids (widgets.css: .m-<name>). None of them relies on colour: padding zeros are hatched and italic,
# inserted zeros shaded and upright, so that the two kinds of added zeros stay apart inside a window too.
MARKS = {
    "window": "thick border: the cells under the kernel; ×w is the weight that multiplies the cell",
    "padding": "hatched, italic: a zero added by padding",
    "inserted": "shaded, upright: a zero inserted between input cells",
    "current": "thick border, bold: the cell this step computes or reads",
    "stamp": "thick border, bold, +v: where this step adds the scaled kernel (v is what it adds)",
    "kept": "thick border: kept in the output",
    "cropped": "dotted border, struck through: cropped away",
    "empty": "·: not computed yet",
}
_SAMPLES = {
    "window": "5<small>×2</small>",
    "padding": "0",
    "inserted": "0",
    "current": "7",
    "stamp": "3<small>+2</small>",
    "kept": "4",
    "cropped": "4",
    "empty": "·",
}


class Grid(NamedTuple):
    """One grid of numbers in a frame.

    ``values`` is a 2-D array (NaN: not computed yet, drawn ·); ``marks`` maps ``(row, col)`` to a set of
    names of :data:`MARKS`; ``notes`` maps ``(row, col)`` to a short text written under the value
    (``×2``); ``origin`` is the grid position of index (0, 0), so that padding gets indices -1, -2, ...
    """

    label: str
    values: np.ndarray
    marks: dict = {}
    notes: dict = {}
    origin: tuple = (0, 0)


class Frame(NamedTuple):
    """One frame of a step-through figure: its grids and the sentence that says what it shows."""

    grids: tuple
    text: str


def _grid_html(grid: Grid, fmt: str) -> str:
    from html import escape

    values = np.asarray(grid.values, dtype=float)
    origin_row, origin_col = grid.origin
    head = "".join(f'<th scope="col">{c - origin_col}</th>' for c in range(values.shape[1]))
    rows = []
    for r in range(values.shape[0]):
        cells = []
        for c in range(values.shape[1]):
            marks = set(grid.marks.get((r, c), ()))
            value = values[r, c]
            if not np.isfinite(value):
                marks.add("empty")
                shown = '·<span class="ca-sr">not computed yet</span>'
            else:
                shown = escape(fmt.format(value + 0.0))
            sr = "".join(f", {name}" for name in sorted(marks - {"empty"}))
            note = grid.notes.get((r, c))
            classes = " ".join(f"m-{name}" for name in sorted(marks))
            cells.append(
                f"<td{f' class={chr(34)}{classes}{chr(34)}' if classes else ''}>{shown}"
                + (f"<small>{escape(note)}</small>" if note else "")
                + (f'<span class="ca-sr">{escape(sr)}</span>' if sr else "")
                + "</td>"
            )
        rows.append(f'<tr><th scope="row">{r - origin_row}</th>{"".join(cells)}</tr>')
    return (
        f'<div class="ca-st-grid"><table><caption>{escape(grid.label)}</caption>'
        f'<thead><tr><td class="ca-corner"></td>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'
    )


def step_through(frames, title: str, *, fmt: str = "{:g}", interval_ms: int = 1500) -> _Widget:
    """Return a step-through figure of ``frames`` (a list of :class:`Frame`) to display in a cell.

    On the page: Previous, Play/Pause and Next buttons and a frame counter; each frame shows its grids as
    tables of numbers and a sentence, which a screen reader announces on each step. Where the reader's
    system asks for reduced motion, Play is left out: the reader steps with Previous and Next. Where scripts
    do not run, and in print, all frames are shown as a strip. The key under the frames draws a sample cell of
    each mark the frames use, styled as in the grids. The plain-text form is the title and every frame's
    sentence (the figure's text equivalent).
    """
    from html import escape

    frames = list(frames)
    if not frames:
        raise ValueError("a step-through figure needs at least one frame")
    count = len(frames)
    used = sorted(
        {m for f in frames for g in f.grids for ms in g.marks.values() for m in ms}
        | (
            {"empty"}
            if any(not np.all(np.isfinite(np.asarray(g.values, float))) for f in frames for g in f.grids)
            else set()
        ),
        key=list(MARKS).index,
    )
    items = []
    for index, frame in enumerate(frames):
        grids = "".join(_grid_html(grid, fmt) for grid in frame.grids)
        items.append(
            f'<li class="ca-st-frame"><p class="ca-st-caption"><strong>Frame {index + 1} of {count}.</strong> '
            f'{escape(frame.text)}</p><div class="ca-st-grids">{grids}</div></li>'
        )
    key = "".join(
        f'<li><span class="ca-swatch m-{name}" aria-hidden="true">{_SAMPLES[name]}</span> {escape(MARKS[name])}</li>'
        for name in used
    )
    html = (
        f'<figure class="ca-w ca-st" data-interval="{int(interval_ms)}" aria-label="Step-through figure: {escape(title)}">'
        f'<p class="ca-title">{escape(title)}</p>'
        '<div class="ca-st-controls" hidden>'
        '<button type="button" data-step="prev">◀ Previous</button>'
        '<button type="button" data-step="play" aria-pressed="false">▶ Play</button>'
        '<button type="button" data-step="next">Next ▶</button>'
        f'<span class="ca-st-counter">Frame 1 of {count}</span></div>'
        '<p class="ca-st-live ca-sr" aria-live="polite"></p>'
        f'<ol class="ca-st-frames">{"".join(items)}</ol>'
        + (f'<div class="ca-st-legend"><p>Key:</p><ul class="ca-st-key">{key}</ul></div>' if used else "")
        + f"{_widget_assets()}</figure>"
    )
    text = [f"Step-through figure: {title} ({count} frames)"]
    text += [f"Frame {index + 1}: {frame.text}" for index, frame in enumerate(frames)]
    return _Widget(html, "\n".join(text))
