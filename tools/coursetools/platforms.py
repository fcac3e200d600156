"""Check that the locks resolve on every platform and Python the course supports (run by `make lock`).

    python tools/coursetools/platforms.py UV REQUIREMENTS:LOCK [REQUIREMENTS:LOCK ...]

For each pair, `uv pip compile REQUIREMENTS -c LOCK` resolves for every platform of PLATFORMS and every Python of
PYTHONS (uv reads the registry's metadata only; nothing is installed). TensorFlow 2.21's wheels decide the list:
CPython 3.10-3.13 on Linux x86_64 and aarch64, macOS on Apple silicon and Windows x86_64; the course is tested on
3.11. Exits 1, naming each failing platform and Python with uv's reason, if one does not resolve.

A plain script (no imports of the course's packages): it runs in the empty environment that `make lock` makes.
"""

from __future__ import annotations

import subprocess
import sys

PLATFORMS = {
    "x86_64-manylinux_2_28": "Linux x86_64",
    "aarch64-manylinux_2_28": "Linux aarch64",
    "aarch64-apple-darwin": "macOS on Apple silicon",
    "x86_64-pc-windows-msvc": "Windows x86_64",
}
PYTHONS = ("3.11", "3.12", "3.13")


def resolves(uv: str, requirements: str, lock: str, platform: str, python: str) -> str:
    """Return "" if the pair resolves for ``platform`` and ``python``, else uv's last lines of reason."""
    command = [uv, "pip", "compile", "--quiet", requirements, "-c", lock, "--python-platform", platform]
    result = subprocess.run([*command, "--python-version", python], capture_output=True, text=True)  # pins: stdout
    if result.returncode == 0:
        return ""
    return " ".join(result.stderr.strip().splitlines()[-2:]) or f"uv exited {result.returncode}"


def main(argv: list[str]) -> int:
    if len(argv) < 2 or any(":" not in pair for pair in argv[1:]):
        print(__doc__.splitlines()[2].strip(), file=sys.stderr)
        return 2
    uv, failures = argv[0], []
    for pair in argv[1:]:
        requirements, lock = pair.split(":", 1)
        for platform, name in PLATFORMS.items():
            for python in PYTHONS:
                reason = resolves(uv, requirements, lock, platform, python)
                print(f"{requirements} on {name}, Python {python}: {'resolves' if not reason else 'FAILS'}", flush=True)
                if reason:
                    failures.append(f"{requirements} on {name}, Python {python}: {reason}")
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
