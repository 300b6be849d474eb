"""The contracts: buf lint passes and gen/ is exactly what `make gen` writes."""

from __future__ import annotations

import filecmp
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _buf() -> str:
    local = ROOT / ".tools" / "node_modules" / ".bin" / "buf"
    if local.exists():
        return str(local)
    found = shutil.which("buf")
    if found is None:
        pytest.skip("buf not installed: `make tools` installs it from npm (@bufbuild/buf); npm is absent")
    return found


def test_buf_lint_passes() -> None:
    done = subprocess.run([_buf(), "lint"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_buf_lint_catches_a_bad_contract(tmp_path: Path) -> None:
    # Proves the lint configuration is live: a non-standard name must fail.
    shutil.copytree(ROOT / "proto", tmp_path / "proto")
    shutil.copytree(ROOT / "third_party", tmp_path / "third_party")
    shutil.copy(ROOT / "buf.yaml", tmp_path / "buf.yaml")
    bad = tmp_path / "proto" / "crispy" / "v1" / "bad.proto"
    bad.write_text('syntax = "proto3";\npackage crispy.v1;\nmessage bad_name { string X = 1; }\n')
    done = subprocess.run([_buf(), "lint"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "bad_name" in done.stdout + done.stderr


def _differences(left: Path, right: Path) -> list[str]:
    compared = filecmp.dircmp(left, right, ignore=["__pycache__"])
    out = [f"only in gen/: {n}" for n in compared.left_only] + [f"missing from gen/: {n}" for n in compared.right_only]
    out += [f"differs: {n}" for n in compared.diff_files]
    for sub in compared.common_dirs:
        out += _differences(left / sub, right / sub)
    return out


def test_generated_code_is_current(tmp_path: Path) -> None:
    out = tmp_path / "gen"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "gen.py"), "--out", str(out)], check=True, timeout=300)
    assert _differences(ROOT / "gen", out) == [], "gen/ is stale: run `make gen` and commit"
