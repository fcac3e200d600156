"""A student's path from the site to a running chapter, tried as a student would, offline.

(a) The course kit is downloaded from the built site over http, unpacked into an empty folder outside the
    repository, a fresh virtual environment is made with its README's commands (from the package cache and the
    registries), and chapter 1 runs in it under nbval with its stored outputs.
(b) A chapter downloaded alone (the site's download button), in an environment without the course package, says
    in one line how to get it and stops there.
(c) With the site built for an address (SITE_URL, served here by a local http server), the first cell of the
    chapter the site serves installs the package from the site when it runs on Colab, and the chapter runs.
(d) The site without an address has no launch button and no dead link; with one, Colab's and Binder's buttons
    point at the repository and the served chapter at the site.

(a), (b) and (c) share one environment, made once (about two minutes from the package cache).
"""

from __future__ import annotations

import functools
import http.server
import io
import json
import os
import re
import subprocess
import sys
import threading
import urllib.request
import zipfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from coursetools.kit import DISTRIBUTION, KIT, KIT_FOLDER, PACKAGE_FOLDER
from coursetools.settings import ROOT, book_build_command

pytestmark = pytest.mark.slow

CHAPTER = "01_conv2d.ipynb"
REPOSITORY = "https://github.com/example-org/convolutional-autoencoders"


class Server:
    """A static http server on 127.0.0.1 for one folder, in a thread (the site as a host serves it)."""

    def __init__(self, folder: Path):
        handler = functools.partial(QuietHandler, directory=str(folder))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def get(self, path: str) -> bytes:
        with urllib.request.urlopen(f"{self.url}/{path}", timeout=60) as response:
            return response.read()

    def close(self) -> None:
        self.httpd.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def readme_commands(readme: str, heading: str) -> list[str]:
    """The commands of the README's code block under ``heading``."""
    section = readme.split(f"## {heading}", 1)[1]
    block = re.search(r"```\w*\n(.*?)```", section, re.DOTALL).group(1)
    return [line for line in block.splitlines() if line.strip()]


def run(command, cwd: Path, env: dict | None = None, timeout: int = 900) -> subprocess.CompletedProcess:
    result = subprocess.run(
        command, cwd=cwd, env=env, shell=isinstance(command, str), capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"{command} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def register_kernel(python: Path, folder: Path, name: str) -> dict:
    """Register ``python``'s IPython kernel as ``name`` in a Jupyter path of its own; return the environment
    that finds it."""
    run([str(python), "-m", "ipykernel", "install", "--prefix", str(folder), "--name", name], cwd=folder)
    return dict(os.environ, JUPYTER_PATH=str(folder / "share" / "jupyter"))


@pytest.fixture(scope="module")
def site(html):
    server = Server(html)
    yield server
    server.close()


@pytest.fixture(scope="module")
def kit(site, tmp_path_factory) -> Path:
    """The kit, downloaded from the site and unpacked into an empty folder outside the repository, with the
    environment its README's Linux commands make (all but the last, which starts JupyterLab)."""
    folder = tmp_path_factory.mktemp("student-computer")
    assert not folder.resolve().is_relative_to(ROOT)
    zipfile.ZipFile(io.BytesIO(site.get(KIT))).extractall(folder)
    kit = folder / KIT_FOLDER
    commands = readme_commands((kit / "README.md").read_text(), "Linux and macOS")
    assert commands[-1] == ".venv/bin/jupyter lab", commands
    for command in commands[:-1]:
        run(command, cwd=kit)
    return kit


@pytest.fixture(scope="module")
def kit_kernel(kit, tmp_path_factory) -> dict:
    return register_kernel(kit / ".venv" / "bin" / "python", tmp_path_factory.mktemp("jupyter"), "course-kit")


def test_a_the_kit_runs_chapter_1_with_its_stored_outputs(kit, kit_kernel):
    assert (kit / CHAPTER).is_file() and list(kit.glob("*.whl"))
    assert (kit / ".venv" / "etc" / "ipython" / "ipython_kernel_config.py").is_file()
    # nbval in this process's environment, the chapter's kernel in the kit's; outside the repository, so that
    # none of the repository's pytest settings apply
    command = [
        *(sys.executable, "-m", "pytest", CHAPTER, "-p", "no:cacheprovider", "-p", "no:xdist", "-q"),
        *("--nbval", "--nbval-kernel-name", "course-kit", "--nbval-cell-timeout", "300"),
        *("--nbval-sanitize-with", str(ROOT / "tests" / "nbval_sanitize.cfg"), "--rootdir", str(kit)),
    ]
    result = subprocess.run(command, cwd=kit, env=kit_kernel, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-5000:]
    assert re.search(r"\b\d+ passed\b", result.stdout)


@pytest.fixture(scope="module")
def without_package(kit, kit_kernel):
    """The kit's environment once the course package is uninstalled (a student's own environment)."""
    run([str(kit / ".venv" / "bin" / "python"), "-m", "pip", "uninstall", "--yes", "--quiet", DISTRIBUTION], cwd=kit)
    return kit_kernel


def execute(notebook: nbformat.NotebookNode, folder: Path, env: dict, kernel: str = "course-kit"):
    """Execute a notebook in ``folder`` with ``kernel``; return the error that stopped it, or None."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        NotebookClient(
            notebook, kernel_name=kernel, timeout=300, resources={"metadata": {"path": str(folder)}}
        ).execute()
    except CellExecutionError as error:
        return error
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return None


def test_b_a_chapter_alone_says_how_to_get_the_package_and_stops(site, without_package, tmp_path):
    (tmp_path / CHAPTER).write_bytes(site.get(f"_sources/notebooks/{CHAPTER}"))
    notebook = nbformat.read(tmp_path / CHAPTER, as_version=4)
    for cell in notebook.cells:  # a fresh run: no stored output or count left to mistake for this run's
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    error = execute(notebook, tmp_path, without_package)
    assert error is not None, "the chapter ran without the course package"
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code[0].id == "course-package"
    (output,) = code[0].outputs
    assert output.output_type == "error" and output.ename == "CoursePackageMissing"
    assert output.traceback == [output.evalue], "more than the one-line instruction"
    assert "course kit" in output.evalue and "Running the notebooks" in output.evalue and "\n" not in output.evalue
    assert all(cell.execution_count is None for cell in code[1:]), "cells after the first ran"


@pytest.fixture(scope="module")
def addressed_site(tmp_path_factory):
    """The book built for a public address (a local server that serves the build) and a repository."""
    root = tmp_path_factory.mktemp("addressed-site")
    (root / "_build" / "html").mkdir(parents=True)
    server = Server(root / "_build" / "html")
    env = dict(os.environ, SITE_URL=server.url, REPOSITORY_URL=REPOSITORY)
    result = subprocess.run(book_build_command(ROOT, root), cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    yield server, root / "_build" / "html"
    server.close()


def test_c_on_colab_the_first_cell_installs_the_package_from_the_site(addressed_site, kit, without_package, tmp_path):
    server, _ = addressed_site
    (tmp_path / CHAPTER).write_bytes(server.get(f"_sources/notebooks/{CHAPTER}"))
    notebook = nbformat.read(tmp_path / CHAPTER, as_version=4)
    assert (
        f'SITE_URL = "{server.url}"'
        in notebook.cells[[c.get("id") for c in notebook.cells].index("course-package")].source
    )
    # Colab's kernel has google.colab imported; here an IPython start-up file plays that part
    startup = tmp_path / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-colab.py").write_text(
        "import sys, types\nimport google  # the namespace package that protobuf lives in\n"
        "google.colab = sys.modules['google.colab'] = types.ModuleType('google.colab')\n"
    )
    error = execute(notebook, tmp_path, dict(without_package, IPYTHONDIR=str(tmp_path / "ipython")))
    assert error is None, str(error)[-3000:]
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors and sum(c.cell_type == "code" for c in notebook.cells) > 20
    probe = "import course, pathlib; print(pathlib.Path(course.__file__).parent.parent.name)"
    where = run([str(kit / ".venv" / "bin" / "python"), "-c", probe], cwd=tmp_path).stdout.strip()
    assert where == "site-packages", f"the course package came from {where}, not from an install"


def links(page: Path) -> list[str]:
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    return [tag.get(attribute) for tag in soup.find_all(True) for attribute in ("href", "src") if tag.get(attribute)]


def test_d_without_an_address_no_launch_button_and_no_dead_link(html):
    pages = sorted(page for page in html.rglob("*.html") if "_static" not in page.relative_to(html).parts)
    dead = []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "launch-buttons" not in text and "colab.research.google.com" not in text, page.name
        for link in links(page):
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or not parts.path:
                continue
            target = (page.parent / unquote(parts.path)).resolve()
            if not target.exists():
                dead.append(f"{page.relative_to(html)}: {link}")
    assert not dead, "dead links:\n" + "\n".join(dead[:20])
    assert (html / KIT).is_file() and (html / PACKAGE_FOLDER / "index.html").is_file()
    for chapter in (html / "notebooks").glob("*.html"):
        assert "course-kit.zip" in chapter.read_text(encoding="utf-8"), f"{chapter.name}: no course kit button"


def test_d_with_an_address_the_buttons_point_at_the_repository_and_the_site(addressed_site):
    server, html = addressed_site
    page = (html / "notebooks" / "01_conv2d.html").read_text(encoding="utf-8")
    assert (
        f"https://colab.research.google.com/github/example-org/convolutional-autoencoders/blob/main/notebooks/{CHAPTER}"
        in page
    )
    assert "https://mybinder.org/v2/gh/example-org/convolutional-autoencoders/main" in page
    served = json.loads(server.get(f"_sources/notebooks/{CHAPTER}"))
    first = next(c for c in served["cells"] if c["cell_type"] == "code")
    assert f'SITE_URL = "{server.url}"' in "".join(first["source"])
    kit = zipfile.ZipFile(io.BytesIO(server.get(KIT)))
    assert server.url in kit.read(f"{KIT_FOLDER}/README.md").decode()


def test_the_kit_unpacks_to_readable_files_and_chapters_that_need_no_site(site):
    kit = zipfile.ZipFile(io.BytesIO(site.get(KIT)))
    modes = {info.filename: (info.external_attr >> 16) & 0o777 for info in kit.infolist()}
    assert modes and all(mode == 0o644 for mode in modes.values()), modes
    for name in kit.namelist():
        if name.endswith(".ipynb"):  # no citation key without its bibliography, no link to a page it lacks
            markdown = [
                c.source
                for c in nbformat.reads(kit.read(name).decode(), as_version=4).cells
                if c.cell_type == "markdown"
            ]
            assert not [text for text in markdown if "{cite" in text or "](../book/" in text], name
