"""Students who open a chapter in JupyterLab (`make lab`) see its MyST markup rendered, not as raw text.

A JupyterLab server of the course environment (with the jupyterlab-myst extension of requirements.txt) is
started on 127.0.0.1 with a token, a copy of chapter 1 is opened in Debian's Chromium through pytest-playwright's
fixtures (those of test_browser.py), its first cells are run, and the rendered Markdown is read.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from coursetools import chapters as toc
from coursetools import coursework
from test_browser import browser_context_args, browser_type_launch_args  # noqa: F401  (Debian's Chromium)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RAW_MYST = re.compile(r"\{(exercise|solution-start|solution-end|admonition|cite(:[tp])?|numref|ref)\}|```\{|:label:")
FIRST_CELLS = 6


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A running JupyterLab on a copy of the first chapter; yields (url, token, notebook name)."""
    root = tmp_path_factory.mktemp("lab")
    chapter = toc.chapters()[0]
    shutil.copy2(chapter, root / chapter.name)
    coursework.copy_helpers(root)  # the student edition of the course package, beside the chapter
    settings = root / ".settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    # Render every cell, not only those in view, so that the whole chapter can be read.
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    token = os.urandom(16).hex()
    port = free_port()
    command = [
        str(Path(sys.executable).parent / "jupyter"),
        "lab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.user_settings_dir={root / '.settings'}",
        f"--LabApp.workspaces_dir={root / '.workspaces'}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # JupyterLab refuses root without it (students do not run as root)
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    env["JUPYTER_RUNTIME_DIR"] = str(root / ".runtime")
    log = open(root / "lab.log", "w")
    server = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not start:\n" + (root / "lab.log").read_text()[-3000:])
        if server.poll() is not None:
            pytest.fail("JupyterLab stopped:\n" + (root / "lab.log").read_text()[-3000:])
        yield url, token, chapter.name
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def test_jupyterlab_renders_the_chapters_myst(lab, page):
    url, token, name = lab
    page.set_default_timeout(120_000)
    page.goto(f"{url}/lab/tree/{name}?token={token}")
    page.wait_for_selector(".jp-NotebookPanel .jp-MarkdownCell")
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']")

    # run the first cells, as a student does, and wait until they have run
    page.locator(".jp-NotebookPanel .jp-Cell").first.click()
    for _ in range(FIRST_CELLS):
        page.keyboard.press("Shift+Enter")
    page.wait_for_function(
        """n => [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt')]
                 .filter(p => /\\[\\d+\\]/.test(p.textContent)).length >= n""",
        arg=1,
    )
    page.wait_for_function(
        "() => !document.querySelector('.jp-NotebookPanel .jp-InputPrompt')?.textContent.includes('[*]')"
        " && ![...document.querySelectorAll('.jp-NotebookPanel .jp-InputPrompt')]"
        ".some(p => p.textContent.includes('[*]'))"
    )
    errors = page.locator(".jp-NotebookPanel .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0, f"the first cells wrote to stderr: {errors.first.inner_text()[:300]}"

    # a rendered markdown cell hides its editor: innerText is what the reader sees. jupyterlab-myst renders
    # cell after cell; on a busy machine the later ones are still empty for a while, so wait until every
    # markdown cell of the chapter that holds words shows some text (else the checks below read blanks). A
    # solution's closing fence is a cell that shows nothing.
    selector = ".jp-NotebookPanel .jp-MarkdownCell.jp-mod-rendered .jp-Cell-inputArea"
    worded = sum(1 for c in nbformat.read(toc.chapters()[0], as_version=4).cells
                 if c.cell_type == "markdown" and re.search(r"\w", c.source)
                 and not re.fullmatch(r"```\{solution-end\}\s*```\s*", c.source))  # fmt: skip
    try:
        page.wait_for_function(
            f"n => [...document.querySelectorAll({selector!r})].filter(c => c.innerText.trim()).length >= n",
            arg=worded,
        )
    except PlaywrightTimeout:
        shown = page.eval_on_selector_all(selector, "nodes => nodes.filter(n => n.innerText.trim()).length")
        pytest.fail(f"after 120 s, {shown} of the chapter's {worded} markdown cells with words show any text")
    rendered = page.eval_on_selector_all(selector, "nodes => nodes.map(n => n.innerText)")
    assert len(rendered) >= 10, f"only {len(rendered)} markdown cells were rendered"
    text = "\n".join(rendered)
    found = RAW_MYST.search(text)
    assert not found, f"raw MyST in JupyterLab: {text[max(found.start() - 80, 0) : found.end() + 80]!r}"
    assert re.search(r"Exercise", text), "the exercises are not rendered as exercises"
    # jupyterlab-myst reads no bibliography: a citation shows its key, as a rendered citation, not as a role
    assert "lee_cae_lecture" in text and "{cite" not in text, "citations are not rendered"
