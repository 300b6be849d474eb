"""Regenerates gen/ from proto/ (`make gen`).

Stage one compiles our option protos so the plugin can read their extensions;
stage two compiles everything with the Python, .pyi, gRPC and chorus
(route table + OpenAPI) generators. Output goes to a scratch directory first
and then replaces gen/ wholesale, so stale files never linger.

    python scripts/gen.py [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTO = ROOT / "proto"
THIRD_PARTY = ROOT / "third_party" / "googleapis"


def _protoc(out: Path, files: list[str], extra: list[str], env: dict[str, str] | None = None) -> None:
    import grpc_tools

    wkt = Path(grpc_tools.__file__).parent / "_proto"
    cmd = [
        sys.executable,
        "-m",
        "grpc_tools.protoc",
        f"-I{PROTO}",
        f"-I{THIRD_PARTY}",
        f"-I{wkt}",
        *extra,
        *files,
    ]
    subprocess.run(cmd, check=True, cwd=ROOT, env=env)


def _plugin_wrapper(tmp: Path) -> Path:
    script = tmp / "protoc-gen-chorus"
    script.write_text(f"#!/bin/sh\nexec '{sys.executable}' -m rest_bridge.codegen.plugin\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def generate(out: Path) -> None:
    files = sorted(str(p.relative_to(PROTO)) for p in PROTO.rglob("*.proto"))
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        stage = tmp / "out"
        stage.mkdir()
        options = [f for f in files if f.startswith("chorus/")]
        bootstrap = tmp / "bootstrap"
        bootstrap.mkdir()
        _protoc(bootstrap, options, [f"--python_out={bootstrap}"])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(bootstrap), str(ROOT)])
        _protoc(
            stage,
            files,
            [
                f"--python_out={stage}",
                f"--pyi_out={stage}",
                f"--grpc_python_out={stage}",
                f"--plugin=protoc-gen-chorus={_plugin_wrapper(tmp)}",
                f"--chorus_out={stage}",
            ],
            env,
        )
        for directory in [d for d in stage.rglob("*") if d.is_dir() and d.name != "openapi"]:
            (directory / "__init__.py").touch()
        if out.exists():
            shutil.rmtree(out)
        shutil.copytree(stage, out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "gen")
    generate(parser.parse_args().out)


if __name__ == "__main__":
    main()
