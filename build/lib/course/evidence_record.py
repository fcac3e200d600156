"""The evidence: what `make evidence` measured over several seeds, and how the chapters cite it.

``evidence.json`` (a file of this package) holds one entry per experiment of :mod:`course.experiments`: the seeds,
every measured value per seed, the values that do not depend on a seed (a baseline such as PCA), their mean and
spread, the settings, and a digest of the code and settings that produced them. The chapters read it with
:func:`evidence`; a test recomputes each digest from the code (:func:`code_digest`) and fails when the code or
settings changed after the evidence was measured.

    >>> recipes = course.evidence("03-recipes")
    >>> recipes.values("val_mse/cosine")        # one value per seed
    >>> print(recipes.table({"cosine": "val_mse/cosine"}))

:func:`show_source` shows a function of the package in a chapter: the code the chapter runs and the evidence
measured is the same code, and the reader sees it.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import inspect
import json
import os
import sys
import textwrap
import types
from pathlib import Path

import numpy as np

__all__ = ["EVIDENCE_FILE", "Evidence", "evidence", "code_digest", "summarise", "show_source"]

EVIDENCE_FILE = Path(__file__).resolve().parent / "evidence.json"


def summarise(values) -> dict:
    """Return the mean, the standard deviation (n - 1), the smallest and the largest of per-seed values."""
    values = np.asarray(values, dtype=float)
    return {
        "mean": float(values.mean()),
        "sd": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
        "min": float(values.min()),
        "max": float(values.max()),
    }


class Evidence:
    """One entry of evidence.json: per-seed values of one experiment, and the values that need no seed."""

    def __init__(self, name: str, entry: dict):
        self.name = name
        self.entry = entry
        self.seeds = list(entry["seeds"])
        self.settings = entry["settings"]

    def __repr__(self) -> str:
        return f"Evidence({self.name!r}, seeds {self.seeds})"

    @property
    def metrics(self) -> list[str]:
        """The names of the per-seed values."""
        return list(self.entry["values"])

    def values(self, metric: str) -> np.ndarray:
        """Return the per-seed values of ``metric``, in the order of ``seeds``."""
        if metric not in self.entry["values"]:
            raise KeyError(f"evidence {self.name!r} has no per-seed value {metric!r}; it has {self.metrics}")
        return np.asarray(self.entry["values"][metric], dtype=float)

    def value(self, metric: str, seed: int) -> float:
        """Return the value of ``metric`` for one seed."""
        return float(self.values(metric)[self.seeds.index(seed)])

    def fixed(self, name: str):
        """Return a value that does not depend on the seed (a baseline, a count of parameters)."""
        if name not in self.entry.get("fixed", {}):
            raise KeyError(
                f"evidence {self.name!r} has no fixed value {name!r}; it has {list(self.entry.get('fixed', {}))}"
            )
        return self.entry["fixed"][name]

    def mean(self, metric: str) -> float:
        return float(self.values(metric).mean())

    def sd(self, metric: str) -> float:
        return summarise(self.values(metric))["sd"]

    def range(self, metric: str) -> tuple[float, float]:
        values = self.values(metric)
        return float(values.min()), float(values.max())

    def count(self, condition) -> int:
        """Return on how many seeds ``condition(values)`` holds; ``values`` maps each metric to that seed's value."""
        return sum(
            bool(condition({metric: self.entry["values"][metric][i] for metric in self.metrics}))
            for i in range(len(self.seeds))
        )

    def below(self, metric: str, other) -> int:
        """Return on how many seeds ``metric`` is below ``other``: another metric (its value for the same seed) or a
        number."""
        second = self.values(other) if isinstance(other, str) else np.asarray(other, dtype=float)
        return int(np.sum(self.values(metric) < second))

    def above(self, metric: str, other) -> int:
        """Return on how many seeds ``metric`` is above ``other``: another metric (its value for the same seed) or a
        number."""
        second = self.values(other) if isinstance(other, str) else np.asarray(other, dtype=float)
        return int(np.sum(self.values(metric) > second))

    def holds(self, condition) -> str:
        """Return "n of N seeds": how many seeds the ``condition`` of :meth:`count` holds for."""
        return f"{self.count(condition)} of {len(self.seeds)} seeds"

    def contains(self, metric: str, value: float, margin: float) -> bool:
        """Whether ``value`` lies within the seeds' range of ``metric``, widened by ``margin`` on each side.

        The margin covers what another machine's rounding changes in one run (a chapter's run is one of the seeds,
        but a different processor may compute it a little differently).
        """
        low, high = self.range(metric)
        return bool(low - margin <= value <= high + margin)

    def table(self, rows: dict, digits: int = 4, label: str = "") -> str:
        """Return a narrow text table: one row per ``{label: metric}``, with mean, spread and range over the seeds."""
        width = max([len(label)] + [len(name) for name in rows]) + 2
        head = f"{label:<{width}}{'mean':>{digits + 4}}{'± sd':>{digits + 5}}{'lowest':>{digits + 6}}{'highest':>{digits + 7}}"
        lines = [head]
        for name, metric in rows.items():
            s = summarise(self.values(metric))
            lines.append(
                f"{name:<{width}}{s['mean']:>{digits + 4}.{digits}f}{s['sd']:>{digits + 5}.{digits}f}"
                f"{s['min']:>{digits + 6}.{digits}f}{s['max']:>{digits + 7}.{digits}f}"
            )
        lines.append(f"({len(self.seeds)} seeds: {', '.join(str(seed) for seed in self.seeds)})")
        return "\n".join(lines)


def _load(path: Path | None = None) -> dict:
    path = Path(path or os.environ.get("COURSE_EVIDENCE") or EVIDENCE_FILE)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: `make evidence` measures it")
    return json.loads(path.read_text(encoding="utf-8"))


def evidence(name: str, path: str | os.PathLike | None = None) -> Evidence:
    """Return the evidence ``name`` (an experiment of course.experiments) from evidence.json."""
    entries = _load(path)["entries"]
    if name not in entries:
        raise KeyError(f"evidence.json has no entry {name!r} (it has {', '.join(entries)}): run `make evidence`")
    return Evidence(name, entries[name])


# --------------------------------------------------------------------------------------------------
# The digest of the code and settings that produced an entry
# --------------------------------------------------------------------------------------------------
def _is_course(value) -> bool:
    module = value.__name__ if isinstance(value, types.ModuleType) else getattr(value, "__module__", None)
    return isinstance(module, str) and (module == "course" or module.startswith("course."))


def _code_objects(code: types.CodeType):
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


def _names(obj) -> tuple[set[str], dict]:
    """The names an object's code refers to, and the namespace they are looked up in."""
    if isinstance(obj, type):
        names = set()
        for member in vars(obj).values():
            function = getattr(member, "fget", member)  # properties
            if isinstance(function, (types.FunctionType, staticmethod, classmethod)):
                function = getattr(function, "__func__", function)
                for code in _code_objects(function.__code__):
                    names |= set(code.co_names)
        return names, vars(sys.modules[obj.__module__])
    names = set()
    for code in _code_objects(obj.__code__):
        names |= set(code.co_names)
    return names, obj.__globals__


def _normalised_source(obj) -> str:
    """The source of a function or class without its docstrings, comments and layout: what it computes."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(obj)))
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
                if isinstance(body[0].value.value, str):
                    node.body = body[1:] or [ast.Pass()]
    return ast.unparse(tree)


def _dependencies(obj, found: dict) -> None:
    key = f"{obj.__module__}.{obj.__qualname__}"
    if key in found:
        return
    found[key] = _normalised_source(obj)
    names, namespace = _names(obj)
    for name in sorted(names):
        if name.startswith("__"):
            continue
        value = namespace.get(name)
        if value is None and (Path(__file__).parent / f"{name}.py").is_file():
            value = importlib.import_module(f"course.{name}")  # imported inside a function: from . import vae
        if value is None:
            continue
        if isinstance(value, types.ModuleType):
            if _is_course(value):  # course.x.y: the attributes of a course module that the code names
                for attribute in sorted(names):
                    member = getattr(value, attribute, None)
                    if isinstance(member, (types.FunctionType, type)) and _is_course(member):
                        _dependencies(member, found)
            continue
        if isinstance(value, (types.FunctionType, type)):
            if _is_course(value):
                _dependencies(value, found)
        elif isinstance(value, (dict, list, tuple, str, int, float, frozenset)) and not isinstance(value, bool):
            module = namespace.get("__name__", "")
            if module.startswith("course"):  # a constant of the package: its value counts
                found[f"{module}.{name}"] = _constant(value, found)


def _holds_code(value) -> bool:
    """Whether a constant holds a function, or a class of the package, whose repr names a memory address."""
    if isinstance(value, types.FunctionType) or (isinstance(value, type) and _is_course(value)):
        return True
    if isinstance(value, dict):
        return any(_holds_code(k) or _holds_code(v) for k, v in value.items())
    if isinstance(value, (list, tuple, frozenset)):
        return any(_holds_code(item) for item in value)
    return False


def _constant(value, found: dict) -> str:
    """A constant as text that is the same in every process: functions and classes by name (and their code among
    the dependencies), containers item by item, anything else by its repr."""
    if not _holds_code(value):
        return repr(value)
    if isinstance(value, (types.FunctionType, type)):
        if _is_course(value):
            _dependencies(value, found)
        return f"<{value.__module__}.{value.__qualname__}>"
    if not _holds_code(value):
        return repr(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_constant(k, found)}: {_constant(v, found)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return type(value).__name__ + "(" + ", ".join(_constant(item, found) for item in value) + ")"
    return repr(value)


def code_digest(functions, settings: dict) -> str:
    """Return a digest of the functions' source, of every function, class and constant of the course package they
    use (at any depth), and of ``settings``: it changes when any of them does.

    The source counts without docstrings, comments and layout (compared as ``ast.unparse`` writes it), so that
    rewording a docstring or reformatting a function leaves the evidence fresh, and any change to what it computes
    does not.
    """
    found: dict[str, str] = {}
    for function in functions if isinstance(functions, (list, tuple)) else [functions]:
        _dependencies(function, found)
    text = json.dumps(settings, sort_keys=True) + "".join(f"\n# {key}\n{found[key]}" for key in sorted(found))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --------------------------------------------------------------------------------------------------
# Showing the package's code in a chapter
# --------------------------------------------------------------------------------------------------
class _Source:
    """Source code shown as a code block (Markdown for the site and JupyterLab, plain text elsewhere)."""

    def __init__(self, text: str):
        self.text = text

    def _repr_markdown_(self) -> str:
        return f"```python\n{self.text}\n```"

    def __repr__(self) -> str:
        return self.text


def show_source(*objects) -> _Source:
    """Return the source of functions or classes of the course package, to show in a chapter.

    The chapters call the package's training and measuring functions, the same code that `make evidence` runs
    over several seeds; showing it keeps it in the reader's view.
    """
    parts = []
    for obj in objects:
        if not _is_course(obj):
            raise ValueError(f"show_source shows the course package's code; {obj!r} is not from it")
        parts.append(inspect.getsource(obj).rstrip())
    return _Source("\n\n\n".join(parts))
