"""Build the site: `jupyter-book build` of the whole book, warnings as errors (make book).

python -m coursetools build            # into _build/html
"""

from __future__ import annotations

import argparse
import subprocess

from .settings import BUILD, ROOT, book_build_command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coursetools build", description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    result = subprocess.run(book_build_command(ROOT, ROOT), cwd=ROOT)
    if result.returncode:
        return result.returncode
    print(f"The book is at: {BUILD / 'html' / 'index.html'}")
    return 0
