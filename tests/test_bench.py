"""make bench's bookkeeping (coursetools.bench): the run times it writes and the chapters it accepts. The timing itself
is measured by running `make bench`, never asserted in a test."""

from __future__ import annotations

import json

import pytest

from coursetools import bench


def test_run_times_of_some_chapters_replace_only_theirs(tmp_path):
    path = tmp_path / "run_times.json"
    path.write_text(json.dumps({"about": "figures", "seconds": {"a": 10.0, "b": 200.0, "c": 30.0}}))
    bench.write_run_times(path, {"b": 150.5}, order=["a", "b", "c"])
    written = json.loads(path.read_text())
    assert written == {"about": "figures", "seconds": {"a": 10.0, "b": 150.5, "c": 30.0}}


def test_run_times_follow_the_toc_order_then_keep_the_rest(tmp_path):
    path = tmp_path / "run_times.json"
    path.write_text(json.dumps({"about": "", "seconds": {"old": 5.0, "b": 2.0}}))
    bench.write_run_times(path, {"a": 1.0, "b": 3.0}, order=["a", "b"])
    assert list(json.loads(path.read_text())["seconds"].items()) == [("a", 1.0), ("b", 3.0), ("old", 5.0)]


def test_a_chapter_that_is_not_in_the_toc_is_refused_before_anything_runs(capsys):
    with pytest.raises(SystemExit) as stop:
        bench.main(["--chapters", "04_autoencoders_at_work,06_gan", "--only-chapters"])
    assert stop.value.code == 2
    error = capsys.readouterr().err
    assert "no chapter 06_gan in _toc.yml" in error and "04_autoencoders_at_work" in error
