"""Regenerates gen/ from proto/ (`make gen`): one package, gen/chorus_contracts/.

Stage one compiles our option protos so the plugin can read their extensions;
stage two compiles everything with the Python, .pyi, gRPC and chorus
(route table + OpenAPI) generators. Output goes to a scratch directory first
and then replaces gen/ wholesale, so stale files never linger.

    python scripts/gen.py [--out DIR]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rest_bridge.codegen.protoc import (  # noqa: E402
    GENERATED_PACKAGE,
    PROTO,
    plugin_wrapper,
    rehome_imports,
    run_protoc,
)


def _package(directory: Path) -> None:
    """Moves protoc's output in `directory` under GENERATED_PACKAGE, imports included."""
    package = directory / GENERATED_PACKAGE
    package.mkdir()
    for child in list(directory.iterdir()):
        if child != package:
            shutil.move(str(child), package / child.name)
    rehome_imports(package)
    # openapi/ too: its documents are package data (the bridge reads them with importlib.resources).
    for sub in [package, *(d for d in package.rglob("*") if d.is_dir())]:
        (sub / "__init__.py").touch()


def generate(out: Path) -> None:
    files = sorted(str(p.relative_to(PROTO)) for p in PROTO.rglob("*.proto"))
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        stage = tmp / "out"
        stage.mkdir()
        options = [f for f in files if f.startswith("chorus/")]
        bootstrap = tmp / "bootstrap"
        bootstrap.mkdir()
        run_protoc(options, [f"--python_out={bootstrap}"])
        _package(bootstrap)
        run_protoc(
            files,
            [
                f"--python_out={stage}",
                f"--pyi_out={stage}",
                f"--grpc_python_out={stage}",
                f"--plugin=protoc-gen-chorus={plugin_wrapper(tmp)}",
                f"--chorus_out={stage}",
            ],
            python_path=[bootstrap, ROOT],
        )
        _package(stage)
        if out.exists():
            shutil.rmtree(out)
        shutil.copytree(stage, out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "gen")
    generate(parser.parse_args().out)


if __name__ == "__main__":
    main()
