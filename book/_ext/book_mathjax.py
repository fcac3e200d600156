"""Sphinx extension: MathJax served by the site itself, loading only the parts the book's math needs.

sphinx-mathjax-offline copies all of MathJax 3 (24 MB, every component, the speech rule engine) into the site
and has each page load ``tex-chtml.js``, a bundle of 1.16 MB (263 kB gzip-compressed) with every TeX package,
the contextual menu and its accessibility explorer. This extension takes MathJax's own files from that package
but copies only what it configures (1.7 MB on disk), and a page loads MathJax's ``startup.js`` with a
``loader`` list: the core, TeX input with the base and AMS packages (plus ``autoload``, which fetches any other
package the first time one of its macros is used), CommonHTML output with its fonts, and the hidden MathML that
screen readers read (``a11y/assistive-mml``). About 0.78 MB (165 kB gzip-compressed) on a page with math.
MathJax loads its parts with script tags, so the site typesets its math offline over http and from file://.

tests/test_browser.py typesets every page's math (no error, no formula left as source), over http and from a
file; tests/test_site.py checks that every file a page loads is in the site.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

# What a page loads, after startup.js (MathJax's loader names: [tex]/x is input/tex/extensions/x.js).
LOAD = ["input/tex-base", "[tex]/ams", "[tex]/newcommand", "[tex]/require", "[tex]/autoload",
        "[tex]/configmacros", "output/chtml", "a11y/assistive-mml"]  # fmt: skip
TEX_PACKAGES = ["ams", "newcommand", "require", "autoload", "configmacros"]
# The files and folders copied into _static/mathjax/: the above, every TeX package (autoload may fetch any of
# them), and the fonts of the CommonHTML output.
FILES = ["startup.js", "core.js", "input/tex-base.js", "input/tex/extensions", "output/chtml.js",
         "output/chtml/fonts/tex.js", "output/chtml/fonts/woff-v2", "a11y/assistive-mml.js"]  # fmt: skip


def mathjax_source() -> Path:
    """The MathJax 3 files that sphinx-mathjax-offline ships (the package is a requirement of the book)."""
    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    if spec is None or spec.origin is None:
        raise RuntimeError("MathJax's files come from the package sphinx-mathjax-offline: pip install it")
    return Path(spec.origin).parent / "static" / "mathjax"


def configure(app, config) -> None:
    config.mathjax_path = "mathjax/startup.js"
    settings = dict(config.mathjax3_config or {})
    settings["loader"] = {"load": LOAD}
    settings["tex"] = {**settings.get("tex", {}), "packages": {"[+]": TEX_PACKAGES}}
    config.mathjax3_config = settings


def copy_mathjax(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    source, target = mathjax_source(), Path(app.outdir) / "_static" / "mathjax"
    # the folder holds these files and nothing else, also after an incremental build over an older site
    shutil.rmtree(target, ignore_errors=True)
    for name in FILES:
        if (source / name).is_dir():
            shutil.copytree(source / name, target / name, dirs_exist_ok=True)
        else:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / name, target / name)


def setup(app):
    app.connect("config-inited", configure, priority=900)
    app.connect("build-finished", copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
