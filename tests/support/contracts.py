"""Compiling a test contract (tests/protos/) at test time, as `make gen` compiles ours.

protoc writes the Python, gRPC and our protoc-gen-chorus route table into a
directory the caller then puts on sys.path. The generated code lives in the
`chorus_testing` namespace package, shared by every test contract.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from rest_bridge.codegen.protoc import plugin_wrapper, rehome_imports, run_protoc

ROOT = Path(__file__).resolve().parents[2]
TEST_PROTOS = ROOT / "tests" / "protos"


def compile_test_contract(proto: str, out: Path, scratch: Path) -> None:
    """protoc with --python_out, --grpc_python_out and --chorus_out for `proto` (a path under
    tests/protos/) alone; its modules land in `out/chorus_testing/`, its method rules
    table as `<proto>_rules.py` beside them."""
    staging = scratch / "staging"
    staging.mkdir()
    run_protoc(
        [proto],
        [
            f"--python_out={staging}",
            f"--grpc_python_out={staging}",
            f"--plugin=protoc-gen-chorus={plugin_wrapper(scratch)}",
            f"--chorus_out={staging}",
        ],
        includes=[TEST_PROTOS],
        # The plugin imports chorus_contracts.chorus.api.v1.annotations_pb2 (from gen/) and rest_bridge (from the root).
        python_path=[ROOT / "gen", ROOT],
    )
    stem = Path(proto).relative_to("chorus_testing").with_suffix("")
    shutil.move(staging / "method_rules.py", staging / "chorus_testing" / f"{stem}_rules.py")
    # Keep only chorus_testing/: the plugin also writes bridge_index.py and openapi/,
    # and a `chorus/` on sys.path would shadow the real package in gen/. No __init__.py either:
    # chorus_testing stays a namespace package shared with other tests' compiled protos.
    rehome_imports(staging / "chorus_testing", ["chorus"])
    shutil.copytree(staging / "chorus_testing", out / "chorus_testing", dirs_exist_ok=True)
