"""Sphinx extension: the course kit beside the site, a button for it on every page, and the site's address.

- Every page's download menu (the theme's button in the header) gets a third entry, "course kit (.zip)": the
  chapters and what they need to run anywhere (tools/coursetools/kit.py writes it when the build has finished,
  with the course package's wheel in ``course-package/``). The setup page links it in its text too.
- ``SITE_URL`` (an environment variable; `make book SITE_URL=https://...`), empty by default: the site's public
  address. With it, the chapters the site serves carry it in their first cell (which installs the course package
  from the site on Colab), and with ``REPOSITORY_URL`` too (the GitHub repository the site is built from) every
  chapter gets the theme's Colab and Binder launch buttons. Without them the site has no launch button.
- ``course_edition``: "book" (the full site) or "student" (the solution-free site of `make book-student`, whose
  kit holds the student notebooks and the student edition of the package).
"""

from __future__ import annotations

import os
from pathlib import Path

KIT = "course-kit.zip"


def site_address() -> tuple[str, str]:
    """Return the site's public address and the repository's, from the environment (empty if not given)."""
    return os.environ.get("SITE_URL", "").strip().rstrip("/"), os.environ.get("REPOSITORY_URL", "").strip().rstrip("/")


def launch_buttons(app, config) -> None:
    """With a public address and a repository, give the chapters Colab and Binder launch buttons."""
    site_url, repository_url = site_address()
    if site_url:
        config.html_baseurl = site_url + "/"
    if site_url and repository_url:
        options = dict(config.html_theme_options)
        options.update(
            repository_url=repository_url,
            repository_branch=os.environ.get("REPOSITORY_BRANCH", "main"),
            path_to_docs="",
            use_repository_button=True,
            launch_buttons={
                "binderhub_url": "https://mybinder.org",
                "colab_url": "https://colab.research.google.com",
                "notebook_interface": "jupyterlab",
            },
        )
        config.html_theme_options = options


def add_kit_button(app, pagename, templatename, context, doctree) -> None:
    """Add the course kit to the page's download menu (after the theme has made the menu)."""
    for button in context.get("header_buttons", []):
        if button.get("label") == "download-buttons":
            button["buttons"].append(
                {
                    "type": "link",
                    "url": context["pathto"](KIT, 1),
                    "text": "course kit (.zip)",
                    "tooltip": "Download the chapters and what they need to run on your computer",
                    "icon": "fas fa-file-zipper",
                    "label": "download-kit-button",
                }
            )


def write_kit(app, exception) -> None:
    """Write the kit and the package folder once the site is built."""
    if exception is not None or app.builder.name != "html":
        return
    from coursetools.kit import write_site_files

    site_url, _ = site_address()
    write_site_files(Path(app.outdir), Path(app.srcdir), edition=app.config.course_edition, site_url=site_url)


def setup(app):
    app.add_config_value("course_edition", "book", "html")
    app.connect("config-inited", launch_buttons)
    app.connect("html-page-context", add_kit_button, priority=502)
    app.connect("build-finished", write_kit)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
