"""Write requirements-lock.txt: the exact version of every package that requirements.txt installs.

    make lock    # resolves requirements.txt in a fresh virtual environment, then runs this script

`make lock` asks pip to resolve requirements.txt from scratch (`pip install --dry-run --report`: metadata
only, nothing installed) in an empty virtual environment, then runs this script with that environment's
Python, which turns pip's report into pins (pip's own version included).

The course supports every Python 3.11 and newer (Debian 12's 3.11.2 included), but the resolver picks the
newest release for the Python that runs it. A pinned release that needs a later Python than 3.11.0 gets an
environment marker and, for older interpreters, the release listed in OLDER_PYTHON below; a package that
needs one and has none there stops the script with a message that says what to add.
"""

from __future__ import annotations

import json
import platform
import sys

import pip
from packaging.specifiers import SpecifierSet
from packaging.version import Version

OLDEST_PYTHON = Version("3.11.0")
# package: the release to pin for a Python older than its newest release needs, and why that one.
OLDER_PYTHON = {
    # soupsieve 3.0.2 and later need Python 3.11.5 (possessive quantifiers in re); 3.0.0-3.0.1 are yanked.
    "soupsieve": "2.8.3",
}


def oldest_python(requires_python: str | None) -> Version | None:
    """The first 3.11.x or 3.12.0 that a Requires-Python admits, if it does not admit 3.11.0; else None."""
    if not requires_python:
        return None
    spec = SpecifierSet(requires_python)
    if spec.contains(OLDEST_PYTHON):
        return None
    for candidate in [*(Version(f"3.11.{micro}") for micro in range(1, 20)), Version("3.12.0")]:
        if spec.contains(candidate):
            return candidate
    return None


def main(report_path: str, requirements: str = "requirements.txt", lock: str = "requirements-lock.txt") -> int:
    report = json.load(open(report_path, encoding="utf-8"))
    lines = []
    for item in report["install"]:
        metadata = item["metadata"]
        name, version = metadata["name"].lower().replace("_", "-"), metadata["version"]
        needs = oldest_python(metadata.get("requires_python"))
        if needs is None:
            lines.append((name, f"{name}=={version}"))
        elif name in OLDER_PYTHON:
            lines.append((name, f'{name}=={version} ; python_full_version >= "{needs}"'))
            lines.append((name, f'{name}=={OLDER_PYTHON[name]} ; python_full_version < "{needs}"'))
        else:
            sys.exit(
                f"{name} {version} needs Python {needs} or newer: add to OLDER_PYTHON in tools/coursetools/lock.py "
                f"the newest release of {name} that Python {OLDEST_PYTHON} can install"
            )
    print(f"# Exact versions of every package that {requirements} installs, resolved by `make lock`.")
    print(f"# Resolved for Python {platform.python_version()} on {platform.system()} {platform.machine()};")
    print("# a marker pins another release where the newest needs a later Python than 3.11.0.")
    print(f"# Install with: pip install -r {requirements} -c {lock}")
    print(f"pip=={pip.__version__}")
    for _, line in sorted(lines):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
