"""Runs a Python command as if some distributions were not installed.

    python -m tests.support.without_modules mcp,airportsdata -- python -m server.cli serve

Each named module is `None` in `sys.modules`, so importing it raises
ModuleNotFoundError and `importlib.util.find_spec` finds nothing: what a
deployment without that extra sees. Use it as a `ChorusProcess` launcher.
"""

from __future__ import annotations

import runpy
import sys


def main(argv: list[str]) -> None:
    names, separator, *command = argv
    if separator != "--" or command[1:2] != ["-m"]:
        raise SystemExit("usage: without_modules MOD[,MOD...] -- python -m MODULE [ARGS...]")
    for name in names.split(","):
        sys.modules[name] = None  # type: ignore[assignment]
    module = command[2]
    sys.argv = [module, *command[3:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
