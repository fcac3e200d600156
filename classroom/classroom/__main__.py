"""The classroom's command line: ``python -m classroom grade|hub|bench ...`` (each with its own --help)."""

from __future__ import annotations

import sys

COMMANDS = {
    "grade": "autograde a class in the sandbox, feedback pages, a Canvas gradebook (classroom.grade)",
    "hub": "a JupyterHub for a trial class on this machine (classroom.hub)",
    "bench": "what grading costs per student and for a class (classroom.bench)",
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        print("usage: python -m classroom {" + ",".join(COMMANDS) + "} ...", file=sys.stderr)
        for name, what in COMMANDS.items():
            print(f"  {name:6s} {what}", file=sys.stderr)
        return 2
    from importlib import import_module

    return import_module(f"classroom.{argv[0]}").main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
