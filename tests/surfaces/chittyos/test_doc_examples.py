"""The README's ChittyOS examples (the document's "Examples") run as written.

The server starts as `make run` does (default configuration) plus the admin
key; each bash block is run by bash with curl, in order, with `ADMIN_KEY`,
`API_KEY` and (after the first block) `TOKEN` in its environment.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.chorus_process import ChorusProcess, printed, run_cli

ROOT = Path(__file__).resolve().parents[3]
ADMIN_KEY = "readme-admin-key-0123456789"


def _blocks() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("### ChittyOS: the document's examples", 1)[1].split("\n## ", 1)[0]
    return [b.strip() for b in re.findall(r"```bash\n(curl .*?)```", section, flags=re.S)]


def test_readme_covers_every_document_example() -> None:
    routes = [re.search(r"http://(\w+)\.localhost:8080(\S*)", b).group(1, 2) for b in _blocks()]  # type: ignore[union-attr]
    assert routes == [
        ("auth", "/api/auth/token"),
        ("auth", "/api/auth/verify"),
        ("api", "/api/project"),
        ("auth", "/api/auth/refresh"),
        ("api", "/api/session"),
        ("api", "/api/project"),
        ("api", "/api/todos/my-app/sync"),
        ("api", "/api/todos/my-app"),
        ("api", "/api/session/session-abc123"),
        ("ai", "/v1/chat/completions"),
        ("ai", "/v1/embeddings"),
        ("id", "/generate"),
        ("id", "/validate/01-P-ROP-0001-T-25-C-X"),
        ("id", "/metadata/01-P-ROP-0001-T-25-C-X"),
    ]


def test_readme_examples_work_against_make_run_defaults(tmp_path: Path) -> None:
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    env = {"CHORUS_CHITTYOS__AUTH__ADMIN_KEY": ADMIN_KEY}
    with ChorusProcess(tmp_path / "data", env=env) as proc:
        out = run_cli(proc.data_dir, "api-keys", "create", "--tenant", "chittyos")
        shell_env = {
            **os.environ,
            "ADMIN_KEY": ADMIN_KEY,
            "API_KEY": printed(out, "key"),
        }
        port = proc.rest_url.rsplit(":", 1)[1]
        results: list[tuple[int, Any]] = []
        for block in _blocks():
            command = block.replace("localhost:8080", f"localhost:{port}").replace(
                "curl ", "curl -sS -w '\\n%{http_code}' ", 1
            )
            done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, env=shell_env, timeout=60)
            assert done.returncode == 0, done.stderr
            body, _, status = done.stdout.rpartition("\n")
            results.append((int(status), json.loads(body)))
            if len(results) == 1:
                shell_env["TOKEN"] = results[0][1]["access_token"]

    statuses = [status for status, _ in results]
    assert statuses == [200, 200, 200, 200, 201, 201, 200, 200, 200, 200, 200, 200, 200, 404]
    bodies = [body for _, body in results]
    token, verified, projects, refreshed, session, project, synced, todos, ended = bodies[:9]
    chat, embedded, minted, valid, meta = bodies[9:]
    assert token["scope"] == "read write" and token["token_type"] == "Bearer"
    assert verified["valid"] is True and verified["chittyId"] == "01-P-EO-0001-T-25-C-X"
    assert projects["projects"] == [] and projects["total"] == 0
    assert refreshed["access_token"] != token["access_token"]
    assert session["session"]["id"] == "session-abc123" and session["session"]["active"] is True
    assert project["project"]["id"] == "my-app" and project["created"] is True
    assert (synced["added"], synced["updated"], synced["totalTodos"]) == (1, 0, 1)
    assert todos["todos"][0]["content"] == "Fix login bug" and todos["todos"][0]["addedBy"] == "session-abc123"
    assert todos["sessions"] == ["session-abc123"]
    assert ended["success"] is True and ended["sessionId"] == "session-abc123"
    assert chat["object"] == "chat.completion" and chat["choices"][0]["message"]["role"] == "assistant"
    assert 'You said: "Explain ChittyOS"' in chat["choices"][0]["message"]["content"]
    assert embedded["object"] == "list" and len(embedded["data"][0]["embedding"]) == 768
    assert re.fullmatch(r"01-P-ROP-0001-T-\d\d-C-X", minted["chittyId"])
    assert minted["metadata"] == {"entityType": "PROP", "description": "User property record"}
    assert valid == {
        "valid": True,
        "chittyId": "01-P-ROP-0001-T-25-C-X",
        "hasMetadata": minted["chittyId"] == "01-P-ROP-0001-T-25-C-X",
        "format": "VV-G-LLL-SSSS-T-YM-C-X",
    }
    assert meta == {"error": "Metadata not found", "chittyId": "01-P-ROP-0001-T-25-C-X"}
