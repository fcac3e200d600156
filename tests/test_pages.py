"""The lists of chapters and exercises (README, introduction, instructors' page, setup page) are the ones
`python -m coursetools pages` writes from the chapters' files, and it says what a chapter lacks for them."""

from __future__ import annotations

import copy

import pytest

from coursetools import exercises, pages


def test_every_generated_list_is_up_to_date():
    stale = pages.stale()
    assert not stale, "\n".join(stale)


def test_every_list_names_every_chapter_and_exercise():
    """What the lists are written from: each chapter's title and each exercise's number, title and points."""
    written = {generated.path.name: generated.render() for generated in pages.generated_lists()}
    for chapter in exercises.chapters():
        assert f"| {chapter.number}. {chapter.title} | `notebooks/{chapter.path.name}` |" in written["README.md"]
        assert f"{chapter.number}. [{chapter.title}](../notebooks/{chapter.path.name}): " in written["intro.md"]
        assert f"| {chapter.number}. {chapter.title} | " in written["setup.md"]
        for exercise in chapter.exercises:
            row = f"| **{exercise.number}** {exercise.title} | "
            assert row in written["instructors.md"] and f" | {exercise.points} |\n" in written["instructors.md"] + "\n"


def test_a_chapter_without_its_summary_or_an_exercise_without_its_skill_is_named(monkeypatch):
    first = exercises.chapters()[0]
    bare = copy.deepcopy(first)
    bare.notebook.metadata.pop("course")
    monkeypatch.setattr(exercises, "chapters", lambda: [bare])
    with pytest.raises(ValueError, match=f"{first.path.name} has no summary: set its notebook metadata course.summary"):
        pages.intro_chapters()
    label = first.exercises[0].label
    table = copy.deepcopy(first.table)
    del table[label]["skill"]
    monkeypatch.setattr(exercises.Chapter, "table", property(lambda self: table))
    with pytest.raises(ValueError, match=f"the entry '{label}' needs \"skill\""):
        pages.instructors_exercises()
