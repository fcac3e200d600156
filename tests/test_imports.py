"""The repository's three packages depend on each other one way: classroom on coursetools and course, coursetools
on course, course on neither; and no module imports itself back through others.

The graph is read from the source with ``ast``, not by importing: every ``import`` and ``from ... import``
anywhere in a module (inside functions too: an import put off until a call is still a dependency) is an edge
to the module it names, relative imports resolved, ``from package import name`` counted as an import of
``package.name`` where that is a module and of ``package`` otherwise. Imports of anything else (the standard
library, TensorFlow, nbgrader) are left out. A package's ``__init__`` is a module of its own.
"""

from __future__ import annotations

import ast
from pathlib import Path

from coursetools.settings import PACKAGE, ROOT

PACKAGES = {
    "course": PACKAGE,
    "coursetools": ROOT / "tools" / "coursetools",
    "classroom": ROOT / "classroom" / "classroom",
}
# What each package may import of the others.
ALLOWED = {"course": set(), "coursetools": {"course"}, "classroom": {"coursetools", "course"}}


def module_files() -> dict[str, Path]:
    """Every module of the three packages, by its dotted name."""
    modules = {}
    for package, folder in PACKAGES.items():
        for path in sorted(folder.rglob("*.py")):
            parts = [package, *path.relative_to(folder).with_suffix("").parts]
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of ``modules`` that the module ``name`` (in ``path``) imports."""

    def known(target: str) -> str | None:
        while target and target not in modules:
            target = target.rpartition(".")[0]
        return target or None

    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {known(alias.name) for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            for alias in node.names:
                found.add(f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules else known(source))
    return found - {None, name}


def import_graph() -> dict[str, set[str]]:
    modules = module_files()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def cycle(graph: dict[str, set[str]]) -> list[str]:
    """A cycle of the graph as the modules along it (the first back to the start), or [] if it has none."""
    state: dict[str, str] = {}  # "open" while on the path, "done" once every module it reaches is known
    path: list[str] = []

    def visit(module: str) -> list[str]:
        state[module] = "open"
        path.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        state[module] = "done"
        path.pop()
        return []

    for module in sorted(graph):
        if module not in state and (found := visit(module)):
            return found
    return []


def test_every_package_is_read():
    graph = import_graph()
    for package in PACKAGES:
        assert package in graph and any(name.startswith(f"{package}.") for name in graph), package


def test_the_import_graph_has_no_cycle():
    found = cycle(import_graph())
    assert not found, "an import cycle: " + " -> ".join(found)


def test_each_package_imports_only_what_it_may():
    problems = [
        f"{module} imports {target}"
        for module, targets in import_graph().items()
        for target in sorted(targets)
        if (theirs := target.split(".")[0]) != module.split(".")[0] and theirs not in ALLOWED[module.split(".")[0]]
    ]
    assert not problems, "imports against the layering (course <- coursetools <- classroom):\n" + "\n".join(problems)


# The distribution that provides each module the course package may import beyond the standard library.
DISTRIBUTIONS = {
    "keras": "keras",
    "matplotlib": "matplotlib",
    "numpy": "numpy",
    "scipy": "scipy",
    "sklearn": "scikit-learn",
    "tensorflow": "tensorflow",
}


def test_the_course_package_declares_every_distribution_it_imports():
    """A student who installs the wheel alone (Colab) gets every module the package imports: each top-level module
    outside the standard library and the package is named in DISTRIBUTIONS, and its distribution is among
    pyproject.toml's dependencies."""
    import re
    import sys
    import tomllib

    declared = {
        re.split(r"[<>=!~ ;\[]", requirement, maxsplit=1)[0].lower()
        for requirement in tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
            "dependencies"
        ]
    }
    imported = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"course", "__future__"}
    assert third_party <= set(DISTRIBUTIONS), (
        f"imported, with no distribution named: {third_party - set(DISTRIBUTIONS)}"
    )
    missing = {DISTRIBUTIONS[module] for module in third_party} - declared
    assert not missing, f"pyproject.toml's dependencies lack {sorted(missing)}"
