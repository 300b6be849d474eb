"""Runs grpc_tools.protoc with our include paths and our plugin (gen script and tests)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROTO = ROOT / "proto"
GOOGLEAPIS = ROOT / "third_party" / "googleapis"


def well_known_protos() -> Path:
    import grpc_tools

    return Path(grpc_tools.__file__).parent / "_proto"


def plugin_wrapper(directory: Path) -> Path:
    """An executable `protoc-gen-chorus` that runs our plugin with this interpreter."""
    script = directory / "protoc-gen-chorus"
    script.write_text(f"#!/bin/sh\nexec '{sys.executable}' -m rest_bridge.codegen.plugin\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def run_protoc(
    files: Sequence[str],
    outputs: Sequence[str],
    *,
    includes: Sequence[Path] = (),
    python_path: Sequence[Path] = (),
) -> None:
    """`outputs` are protoc flags such as `--python_out=DIR`; `python_path` is
    prepended for the plugin (it must import the chorus options' _pb2)."""
    env = dict(os.environ)
    if python_path:
        env["PYTHONPATH"] = os.pathsep.join([*map(str, python_path), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    include_flags = [f"-I{p}" for p in (*includes, PROTO, GOOGLEAPIS, well_known_protos())]
    cmd = [sys.executable, "-m", "grpc_tools.protoc", *include_flags, *outputs, *files]
    subprocess.run(cmd, check=True, cwd=ROOT, env=env)
