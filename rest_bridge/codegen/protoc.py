"""Runs grpc_tools.protoc with our include paths and our plugin (gen script and tests)."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROTO = ROOT / "proto"
GOOGLEAPIS = ROOT / "third_party" / "googleapis"
# The one package the generated Python lives under (gen/chorus_contracts/): proto
# packages such as `crispy` or `mcos` would otherwise be top-level modules that
# collide with other distributions. Descriptor names stay "crispy/v1/chat.proto".
GENERATED_PACKAGE = "chorus_contracts"


def contract_roots() -> list[str]:
    """The top-level proto directories of ours (`chorus`, `crispy`, ...)."""
    return sorted(p.name for p in PROTO.iterdir() if p.is_dir())


def rehome_imports(directory: Path, roots: Sequence[str] | None = None) -> None:
    """Points protoc's absolute imports of our contracts (`from crispy.v1 import ...`)
    at GENERATED_PACKAGE, in every .py and .pyi under `directory`."""
    names = "|".join(map(re.escape, roots if roots is not None else contract_roots()))
    statement = re.compile(rf"^(\s*)(from|import) ({names})(?=[.\s])", re.MULTILINE)
    for path in [*directory.rglob("*.py"), *directory.rglob("*.pyi")]:
        text = path.read_text()
        moved = statement.sub(rf"\1\2 {GENERATED_PACKAGE}.\3", text)
        if moved != text:
            path.write_text(moved)


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
