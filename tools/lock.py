"""Write requirements-lock.txt: the exact version of every package that requirements.txt installs.

    make lock    # resolves requirements.txt in a fresh virtual environment, then runs this script

`make lock` asks pip to resolve requirements.txt from scratch (`pip install --dry-run --report`: metadata
only, nothing installed) in an empty virtual environment, then runs this script with that environment's
Python, which turns pip's report into pins (pip's own version included).
"""

from __future__ import annotations

import json
import platform
import sys

import pip


def main(report_path: str) -> int:
    report = json.load(open(report_path, encoding="utf-8"))
    pins = sorted(
        (item["metadata"]["name"].lower().replace("_", "-"), item["metadata"]["version"]) for item in report["install"]
    )
    print("# Exact versions of the whole toolchain, resolved from requirements.txt by `make lock`.")
    print(f"# Resolved for Python {platform.python_version()} on {platform.system()} {platform.machine()}.")
    print("# Install with: pip install -r requirements.txt -c requirements-lock.txt")
    print(f"pip=={pip.__version__}")
    for name, version in pins:
        print(f"{name}=={version}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
