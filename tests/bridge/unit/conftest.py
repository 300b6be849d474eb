"""Fixtures for unit tests: test-only protos compiled on the fly."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import pytest

from rest_bridge.codegen.protoc import rehome_imports, run_protoc

ROOT = Path(__file__).resolve().parents[3]
TEST_PROTOS = ROOT / "tests" / "protos"


@pytest.fixture(scope="session")
def kitchen_sink_pb2(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """chorus_testing.v1.kitchen_sink_pb2, compiled into a temp dir on sys.path.

    Only the test proto is compiled; its chorus/api/v1 import resolves to the
    checked-in module under gen/chorus_contracts/.
    """
    out = tmp_path_factory.mktemp("kitchen_sink_gen")
    run_protoc(["chorus_testing/v1/kitchen_sink.proto"], [f"--python_out={out}"], includes=[TEST_PROTOS])
    rehome_imports(out, ["chorus"])
    sys.path.insert(0, str(out))
    importlib.invalidate_caches()
    return importlib.import_module("chorus_testing.v1.kitchen_sink_pb2")
