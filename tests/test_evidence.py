"""The evidence behind the chapters' claims (src/course/evidence.json, written by `make evidence`).

Fast: nothing is trained here. The file must hold a fresh entry for every experiment of course.experiments: one
whose digest of code and settings is the one the code has now (a change to a training function, a baseline or a
setting makes the entry stale until `make evidence` measures it again), with at least five seeds, the chapter's
own seed among them, and the summary of its values. The chapters may cite only entries that exist.
"""

from __future__ import annotations

import importlib
import json
import re
import sys
import textwrap

import numpy as np
import pytest

import course
import course.evidence_record as record
from course.experiments import EXPERIMENTS
from coursetools.settings import NOTEBOOKS

# a missing file fails every entry's test with what to run (not the collection of this file)
DATA = (
    json.loads(record.EVIDENCE_FILE.read_text(encoding="utf-8")) if record.EVIDENCE_FILE.is_file() else {"entries": {}}
)
CHAPTER_OF = {"03": "03_conv_autoencoder", "04": "04_autoencoders_at_work", "05": "05_variational_autoencoder"}


def digest(name: str) -> str:
    experiment = EXPERIMENTS[name]
    return record.code_digest([experiment.prepare, experiment.run], experiment.settings)


def chapter_seed(name: str) -> int:
    notebook = json.loads((NOTEBOOKS / f"{CHAPTER_OF[name[:2]]}.ipynb").read_text(encoding="utf-8"))
    source = "\n".join("".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code")
    return int(re.search(r"^SEED = (\d+)", source, flags=re.MULTILINE).group(1))


@pytest.mark.parametrize("name", list(EXPERIMENTS))
class TestEntry:
    def test_is_fresh(self, name):
        entry = DATA["entries"].get(name)
        assert entry is not None, (
            f"evidence.json has no entry {name!r}: run make evidence EVIDENCE_ARGS='--only {name}'"
        )
        assert entry["digest"] == digest(name), (
            f"the code or settings of {name!r} changed after it was measured: "
            f"run make evidence EVIDENCE_ARGS='--only {name}' (or revert the change)"
        )
        assert entry["settings"] == EXPERIMENTS[name].settings

    def test_has_five_seeds_or_more_with_the_chapters_own(self, name):
        entry = DATA["entries"][name]
        seeds = entry["seeds"]
        assert len(seeds) >= 5 and len(set(seeds)) == len(seeds), seeds
        assert list(seeds) == list(EXPERIMENTS[name].seeds)
        assert chapter_seed(name) in seeds, f"{name}: the chapter's seed is not one of the evidence's seeds"

    def test_values_summary_and_run_time(self, name):
        entry = DATA["entries"][name]
        assert entry["values"], f"{name}: no per-seed values"
        for metric, values in entry["values"].items():
            assert len(values) == len(entry["seeds"]), f"{name}/{metric}: {len(values)} values"
            assert all(np.isfinite(values)), f"{name}/{metric}: {values}"
            assert entry["summary"][metric] == pytest.approx(record.summarise(values)), f"{name}/{metric}"
        assert entry["seconds"] > 0 and entry["cpu"], f"{name}: no run time or CPU"


def test_every_entry_is_an_experiment():
    assert list(DATA["entries"]) == [name for name in EXPERIMENTS if name in DATA["entries"]]
    assert set(DATA["entries"]) <= set(EXPERIMENTS), sorted(set(DATA["entries"]) - set(EXPERIMENTS))


def test_the_chapters_cite_entries_that_exist():
    cited = set()
    for path in NOTEBOOKS.glob("*.ipynb"):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            cited |= set(re.findall(r"course\.evidence\(\s*\"([\w-]+)\"", "".join(cell["source"])))
    assert cited, "no chapter cites the evidence"
    assert cited <= set(DATA["entries"]), f"cited but not measured: {sorted(cited - set(DATA['entries']))}"


@pytest.fixture
def probe_package(tmp_path, monkeypatch):
    """A throw-away module that the digest follows as if it were part of the course package."""
    monkeypatch.setattr(record, "_is_course", lambda value: getattr(value, "__name__", "").startswith("probe")
                        or getattr(value, "__module__", "").startswith("probe"))  # fmt: skip
    monkeypatch.syspath_prepend(str(tmp_path))

    def write(name: str, text: str):
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(text))
        sys.modules.pop(name, None)
        importlib.invalidate_caches()
        return importlib.import_module(name)

    yield write
    for name in [n for n in sys.modules if n.startswith("probe")]:
        del sys.modules[name]


def test_the_digest_follows_the_code_it_calls_and_the_settings(probe_package):
    helper = """
        def scale(x):
            return 2 * x
    """
    probe_package("probe_helper", helper)
    main = """
        from probe_helper import scale

        def run(seed, settings):
            \"\"\"A docstring.\"\"\"
            return scale(seed)  # a comment
    """
    run = probe_package("probe_main", main).run
    first = record.code_digest(run, {"epochs": 5})
    assert record.code_digest(run, {"epochs": 5}) == first
    assert record.code_digest(run, {"epochs": 6}) != first, "a setting changed, the digest did not"
    reworded = main.replace("A docstring.", "Another docstring.").replace("# a comment", "# another")
    assert record.code_digest(probe_package("probe_main", reworded).run, {"epochs": 5}) == first, (
        "a docstring or a comment changed the digest"
    )
    probe_package("probe_helper", helper.replace("2 * x", "3 * x"))
    changed = probe_package("probe_main", main).run
    assert record.code_digest(changed, {"epochs": 5}) != first, "a function it calls changed, the digest did not"


def test_evidence_reads_values_ranges_and_counts():
    entry = {
        "seeds": [1, 2, 3, 4, 5],
        "settings": {},
        "values": {"a": [1.0, 2.0, 3.0, 4.0, 5.0], "b": [2.0, 1.0, 4.0, 5.0, 6.0]},
        "fixed": {"baseline": 2.5},
    }
    evidence = record.Evidence("probe", entry)
    assert evidence.mean("a") == 3.0 and evidence.range("a") == (1.0, 5.0)
    assert evidence.sd("a") == pytest.approx(np.std([1, 2, 3, 4, 5], ddof=1))
    assert evidence.value("a", 3) == 3.0 and evidence.fixed("baseline") == 2.5
    assert evidence.count(lambda v: v["a"] < v["b"]) == 4
    assert evidence.holds(lambda v: v["a"] < v["b"]) == "4 of 5 seeds"
    assert evidence.below("a", "b") == 4 and evidence.above("a", "b") == 1
    assert evidence.below("a", 3.5) == 3 and evidence.above("a", 3.5) == 2
    assert evidence.contains("a", 5.05, margin=0.1) and not evidence.contains("a", 5.2, margin=0.1)
    table = evidence.table({"first": "a", "second": "b"})
    assert all(len(line) <= 80 for line in table.splitlines()), table
    with pytest.raises(KeyError, match="has no per-seed value"):
        evidence.values("c")
    with pytest.raises((KeyError, FileNotFoundError), match="make evidence"):
        course.evidence("no-such-entry")


def test_show_source_shows_the_package_and_nothing_else():
    shown = course.show_source(course.train_autoencoder)
    assert "def train_autoencoder" in shown._repr_markdown_() and shown._repr_markdown_().startswith("```python")
    with pytest.raises(ValueError, match="course package"):
        course.show_source(json.dumps)


SHOWN = [
    course.make_optimizer,
    course.image_pipeline,
    course.train_autoencoder,
    course.two_pixel_share,
    course.box_blur,
    course.nearest_neighbour_labels,
    course.add_gaussian_noise,
    course.add_salt_and_pepper,
    course.spatial_autoencoder,
    course.vector_autoencoder,
    course.train,
    course.switching_median,
    course.fit_linear_denoiser,
    course.linear_denoise,
    course.tune_filters,
    course.add_defect,
    course.make_defective,
]


@pytest.mark.parametrize("function", SHOWN, ids=lambda f: f.__name__)
def test_code_the_chapters_show_fits_their_code_boxes(function):
    """The chapters show these functions (course.show_source): every line fits an 80-character code box."""
    long = [line for line in course.show_source(function).text.splitlines() if len(line) > 80]
    assert not long, f"{function.__name__}: lines over 80 characters:\n" + "\n".join(long)


VAE_SHOWN = ["summed_bce", "image_batches", "train_plain", "fitted_codes", "VariationalAutoencoder", "build_vae",
             "train_vae", "coverage", "aggregate_moments", "train_judge", "score_of"]  # fmt: skip


@pytest.mark.parametrize("name", VAE_SHOWN)
def test_code_chapter_5_shows_fits_its_code_boxes(name):
    import course.vae

    long = [line for line in course.show_source(getattr(course.vae, name)).text.splitlines() if len(line) > 80]
    assert not long, f"course.vae.{name}: lines over 80 characters:\n" + "\n".join(long)
