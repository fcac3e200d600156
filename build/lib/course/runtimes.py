"""Run times: the seconds each chapter takes to execute, as `make bench` measured them (run_times.json)."""

from __future__ import annotations

import json
import os
from pathlib import Path

__all__ = ["run_times", "format_run_time", "run_time_note"]

RUN_TIMES = Path(__file__).resolve().parent / "run_times.json"


def run_times(path: str | os.PathLike | None = None) -> dict[str, float]:
    """Return the measured seconds to execute each chapter, ``{"01_conv2d": 8.4, ...}``, from run_times.json."""

    path = Path(path or RUN_TIMES)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: `make bench` writes it")
    return {str(name): float(seconds) for name, seconds in json.loads(path.read_text())["seconds"].items()}


def format_run_time(seconds: float) -> str:
    """Return a duration as a reader plans with it: ``"under a minute"``, ``"about 2 minutes"``.

    Rounded to whole minutes (under a minute: said so), so that the text does not change with the few
    seconds that separate two measurements on the same machine.
    """
    if not seconds >= 0:
        raise ValueError(f"a run time is a number of seconds of at least 0, got {seconds!r}")
    if seconds < 60:
        return "under a minute"
    minutes = int(seconds / 60 + 0.5)
    return "about 1 minute" if minutes == 1 else f"about {minutes} minutes"


class _Markdown:
    """A display object whose text is Markdown (rendered by Jupyter Book and JupyterLab) and plain text."""

    def __init__(self, text: str):
        self.text = text

    def _repr_markdown_(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text


def run_time_note(chapter: str, path: str | os.PathLike | None = None) -> _Markdown:
    """Return the opening section's run-time line for ``chapter`` (``"01_conv2d"``), from `make bench`'s figures."""
    seconds = run_times(path)
    if chapter not in seconds:
        raise KeyError(f"run_times.json has no figure for {chapter!r} (it has {', '.join(seconds)}): run `make bench`")
    return _Markdown(
        f"**Time to run:** {format_run_time(seconds[chapter])} on a 2-core laptop without a GPU "
        "(measured by `make bench`)."
    )
