"""The course kit: what a student downloads from the site to run the chapters on any computer (made with the site).

    python -m coursetools wheel [--out _build/dist] [--student]     # the course package's wheel alone (make wheel)

Every build of the site (``make book``, ``make book-student``) writes, beside its pages (book/_ext/course_kit.py
calls :func:`write_site_files`):

* ``course-kit.zip``: one folder with the five chapters (as the site shows them, outputs included; the student
  site's kit has the student notebooks), the course package's wheel (the student site's: the student edition),
  ``requirements.txt`` (the student requirements and the wheel), ``requirements-lock.txt`` (their exact
  versions), ``ipython_kernel_config.py`` (keeps TensorFlow's start-up lines out of the cells) and a README
  with the commands for Linux, macOS and Windows. No repository needed. A separate file: no page loads it.
* ``course-package/``: the wheel and an ``index.html`` that lists it, which ``pip install --find-links`` reads.
  A chapter's first cell installs the package from there on Colab when the site has an address.

With an address (``SITE_URL``), the chapters the site serves (the download button's ``.ipynb`` and the kit's)
carry it in their first cell.
"""

from __future__ import annotations

import argparse
import html
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import nbformat

from . import chapters as toc
from .settings import BUILD, KERNEL_CONFIG, PACKAGE, ROOT

KIT = "course-kit.zip"  # at the top of the built site
KIT_FOLDER = "convolutional-autoencoders"  # the folder the kit unpacks to
PACKAGE_FOLDER = "course-package"  # at the top of the built site: the wheel, for pip --find-links
DISTRIBUTION = "convolutional-autoencoders-course"  # the package's name for pip (pyproject.toml)
STUDENT_REQUIREMENTS = ROOT / "requirements-student.txt"
STUDENT_LOCK = ROOT / "requirements-student-lock.txt"
SITE_URL_LINE = re.compile(r'^SITE_URL = "[^"\n]*"', re.MULTILINE)
CITE = re.compile(r"\{(?P<name>cite(?::[a-z]+)?)\}`(?P<content>[^`]*)`")


def build_wheel(out: Path, *, student: bool = False) -> Path:
    """Build the course package's wheel into ``out`` (the student edition: without course.answers); return it."""
    from .coursework import student_package

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "source"
        (source / "src").mkdir(parents=True)
        shutil.copy2(ROOT / "pyproject.toml", source / "pyproject.toml")
        if student:
            student_package(source / "src" / "course")
        else:
            shutil.copytree(PACKAGE, source / "src" / "course", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        wheels = Path(tmp) / "wheels"
        command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation"]
        subprocess.run([*command, "--wheel-dir", str(wheels), str(source)], check=True, capture_output=True)
        (wheel,) = wheels.glob("*.whl")
        target = out / wheel.name
        shutil.copy2(wheel, target)
    return target


def with_site_url(notebook: nbformat.NotebookNode, site_url: str) -> nbformat.NotebookNode:
    """Write the site's address into the chapter's first cell (``SITE_URL = "..."``), where it installs the
    package from on Colab. An empty address leaves the chapter as it is."""
    if site_url:
        for cell in notebook.cells:
            if cell.get("id") == "course-package":
                cell.source = SITE_URL_LINE.sub(f"SITE_URL = {site_url.rstrip('/')!r}".replace("'", '"'), cell.source)
    return notebook


def kit_notebooks(edition: str, source: Path, site_url: str) -> dict[str, nbformat.NotebookNode]:
    """Return the kit's chapters by file name: those of ``source`` (the book being built) for the site, the
    student notebooks for the student site; links to files the kit does not hold become plain text."""
    from .coursework import citation, student_notebook, unlink_missing

    chapters = toc.chapters()
    names = {path.name for path in chapters}
    notebooks = {}
    for number, path in enumerate(chapters, start=1):
        if edition == "student":
            notebook = student_notebook(nbformat.read(path, as_version=4), number, links=names)
        else:
            notebook = nbformat.read(source / path.relative_to(ROOT), as_version=4)
            for cell in notebook.cells:
                if cell.cell_type == "markdown":  # no bibliography beside them: citations as Author (year)
                    cell.source = CITE.sub(lambda m: citation(m.group("name"), m.group("content")), cell.source)
                    cell.source = unlink_missing(cell.source, names)
        notebooks[path.name] = with_site_url(notebook, site_url)
    return notebooks


def kit_requirements(wheel: Path) -> str:
    """Return the kit's requirements.txt: the student requirements, and the course package's wheel beside it."""
    lines = [line for line in STUDENT_REQUIREMENTS.read_text().splitlines() if line and not line.startswith("#")]
    return (
        "# What the chapters need, and the course package (its wheel is in this folder).\n"
        "# Install from this folder: python -m pip install -r requirements.txt -c requirements-lock.txt\n"
        + "\n".join(lines)
        + f"\n./{wheel.name}\n"
    )


def kit_readme(site_url: str, notebooks: list[str]) -> str:
    """Return the kit's README: what is in it, and the commands for Linux, macOS and Windows."""
    where = f" ({site_url})" if site_url else ""
    chapters = "\n".join(f"- `{name}`" for name in notebooks)
    return f"""# Convolutional Autoencoders: the course kit

The chapters of the book *Convolutional Autoencoders*{where} as notebooks, and what they need to run on your
own computer:

{chapters}
- the course's helper package, `course` (the `.whl` file), which every chapter imports;
- `requirements.txt` and `requirements-lock.txt`: TensorFlow, NumPy, Matplotlib, SciPy, scikit-learn,
  JupyterLab and the package, with the exact versions the book is tested with;
- `ipython_kernel_config.py`: keeps TensorFlow's start-up messages out of the notebooks.

You need **CPython 3.11, 3.12 or 3.13** (TensorFlow 2.21 has no wheels for other versions) on Linux (x86_64 or
aarch64), macOS on Apple silicon, or Windows x86_64 (or WSL); about 2.6 GB of disk for the environment; no GPU.
Open a terminal in this folder (the one that holds this README), then:

## Linux and macOS

```bash
python3 -m venv .venv
.venv/bin/python -m pip install -r requirements.txt -c requirements-lock.txt
mkdir -p .venv/etc/ipython && cp ipython_kernel_config.py .venv/etc/ipython/
.venv/bin/jupyter lab
```

If `python3 --version` says 3.14 or 3.10, use `python3.13` (or `python3.12`, `python3.11`) instead.

## Windows (PowerShell)

```powershell
py -3.13 -m venv .venv
.venv\\Scripts\\python -m pip install -r requirements.txt -c requirements-lock.txt
New-Item -ItemType Directory -Force .venv\\etc\\ipython | Out-Null
Copy-Item ipython_kernel_config.py .venv\\etc\\ipython\\
.venv\\Scripts\\jupyter lab
```

`py -0` lists the Pythons installed; `-3.12` or `-3.11` work as well.

## Then

JupyterLab opens in your browser: open `01_conv2d.ipynb` and run its cells from the top. Chapters 1 and 2 run in
seconds; chapters 3 to 5 train small networks for two to four minutes on a laptop's CPU. The first time a chapter
loads MNIST, Keras downloads it (11 MB); without internet access, set the environment variable `MNIST_NPZ` to the
path of a copy of `mnist.npz`.
"""


def write_index(folder: Path, wheel: Path) -> None:
    """Write the index.html that pip's --find-links reads: one link to the wheel."""
    name = html.escape(wheel.name)
    (folder / "index.html").write_text(
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{DISTRIBUTION}</title></head>\n'
        f'<body><h1>{DISTRIBUTION}</h1><p><a href="{name}">{name}</a></p></body></html>\n',
        encoding="utf-8",
    )


def write_kit(out: Path, notebooks: dict[str, nbformat.NotebookNode], wheel: Path, site_url: str) -> Path:
    """Write the kit (a zip of one folder) to ``out``; return it."""
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as kit:

        def add(name: str, data: bytes | str) -> None:
            info = zipfile.ZipInfo(f"{KIT_FOLDER}/{name}", date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = 0o100644 << 16  # a regular file, readable by all (unzip keeps the mode)
            kit.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)

        add("README.md", kit_readme(site_url, list(notebooks)))
        for name, notebook in notebooks.items():
            add(name, nbformat.writes(notebook) + "\n")
        add(wheel.name, wheel.read_bytes())
        add("requirements.txt", kit_requirements(wheel))
        add("requirements-lock.txt", STUDENT_LOCK.read_bytes())
        add("ipython_kernel_config.py", KERNEL_CONFIG.read_bytes())
    return out


def write_site_files(html_dir: Path, source: Path, *, edition: str = "book", site_url: str = "") -> Path:
    """Write the kit and the package folder into a built site ``html_dir`` (the book in ``source``), and the
    site's address into the chapters the site serves; return the kit."""
    package = html_dir / PACKAGE_FOLDER
    if package.exists():
        shutil.rmtree(package)
    wheel = build_wheel(package, student=edition == "student")
    write_index(package, wheel)
    notebooks = kit_notebooks(edition, source, site_url)
    if site_url:
        for name in notebooks:
            served = html_dir / "_sources" / "notebooks" / name
            if served.is_file():
                served_notebook = with_site_url(nbformat.read(served, as_version=4), site_url)
                nbformat.write(served_notebook, served)
    return write_kit(html_dir / KIT, notebooks, wheel, site_url)


def write_site_url(site_url: str) -> list[Path]:
    """Write the site's address into the first cell of every chapter of the repository (Colab's launch button opens
    the repository's chapters, so they must carry it); return the chapters that changed. The cell prints nothing
    where the package is installed, so no output changes: no re-execution is needed."""
    changed = []
    for path in toc.chapters():
        notebook = nbformat.read(path, as_version=4)
        before = [cell.source for cell in notebook.cells]
        notebook = with_site_url(notebook, site_url) if site_url else notebook
        if not site_url:  # back to no address
            for cell in notebook.cells:
                if cell.get("id") == "course-package":
                    cell.source = SITE_URL_LINE.sub('SITE_URL = ""', cell.source)
        if [cell.source for cell in notebook.cells] != before:
            nbformat.write(notebook, path)
            changed.append(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m coursetools wheel", description="Build the course package's wheel."
    )
    parser.add_argument("--out", type=Path, default=BUILD / "dist")
    parser.add_argument("--student", action="store_true", help="the student edition (without course.answers)")
    args = parser.parse_args(argv)
    print(f"wrote {build_wheel(args.out, student=args.student)}")
    return 0


def site_url_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m coursetools site-url",
        description="Write the site's public address into every chapter's first cell (empty: no address).",
    )
    parser.add_argument("url", nargs="?", default="", help="for example https://example.org/convolutional-autoencoders")
    args = parser.parse_args(argv)
    changed = write_site_url(args.url.strip())
    print(f"{len(changed)} chapter(s) changed" + (f": {', '.join(p.name for p in changed)}" if changed else ""))
    return 0
