"""The classroom's benchmark (python -m classroom bench, make bench-class): the chapters it accepts. The timing itself
is a measurement, printed by the command, not a test."""

from __future__ import annotations

import pytest

from classroom import bench


def test_a_class_chapter_that_is_not_in_the_toc_is_refused_before_anything_runs(capsys):
    # before anything is graded (many minutes), not after
    with pytest.raises(SystemExit) as stop:
        bench.main(["--class", "2", "--class-chapters", "01_conv2d,07_flow"])
    assert stop.value.code == 2
    assert "--class-chapters: no chapter 07_flow in _toc.yml" in capsys.readouterr().err
