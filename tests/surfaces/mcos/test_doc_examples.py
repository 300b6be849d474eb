"""The README's Micro Chief of Staff examples run as written, in order, against `make run` defaults.

The server runs with the default configuration (so the development identity
provider). The first block mints the assertion with the real CLI; each curl
block then runs in bash with `TOKEN`, and `TASK_ID` / `FLIGHTS` once the
task creation and the flight search have answered.
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

from tests.support.chorus_process import ROOT, ChorusProcess
from tests.support.sse import parse_sse


def _section() -> str:
    text = (ROOT / "README.md").read_text()
    return text.split("### Micro Chief of Staff: the document's examples", 1)[1].split("\n## ", 1)[0]


def _curl_blocks() -> list[str]:
    return [b.strip() for b in re.findall(r"```bash\n(curl .*?)```", _section(), flags=re.S)]


def test_readme_covers_every_documented_route() -> None:
    route = re.compile(r"(?:-X (\w+) )?\"?http://localhost:8080(/api/[a-z_/]*)")
    routes = [route.search(b).group(1, 2) for b in _curl_blocks()]  # type: ignore[union-attr]
    assert routes == [
        (None, "/api/chat"),
        (None, "/api/chat"),
        (None, "/api/chat/history"),
        ("PATCH", "/api/state/preferences"),
        ("POST", "/api/tasks"),
        (None, "/api/tasks"),
        ("PATCH", "/api/tasks/"),
        ("DELETE", "/api/tasks/"),
        ("POST", "/api/tools/search_flights"),
        ("POST", "/api/tools/rank_flights"),
        ("POST", "/api/memory/pin"),
        (None, "/api/memory"),
        (None, "/api/state"),
        (None, "/api/health"),
    ]


def _run(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, env=env, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return done


def test_readme_examples_work_against_make_run_defaults(tmp_path: Path) -> None:
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    with ChorusProcess(tmp_path / "data") as proc:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CHORUS_")}
        env.update({"CHORUS_DATA_DIR": str(proc.data_dir), "CHORUS_CONFIG": str(proc.data_dir / "chorus.toml")})
        mint = re.search(r"```bash\n(export TOKEN=.*?)```", _section(), flags=re.S)
        assert mint is not None
        env["TOKEN"] = _run(mint.group(1) + 'printf %s "$TOKEN"', env).stdout
        port = proc.rest_url.rsplit(":", 1)[1]
        results: list[tuple[int, str, Any]] = []
        for block in _curl_blocks():
            command = block.replace("localhost:8080", f"localhost:{port}").replace(
                "curl ", "curl -sS -w '\\n%{http_code} %{content_type}' ", 1
            )
            body, _, tail = _run(command, env).stdout.rpartition("\n")
            status, _, content_type = tail.partition(" ")
            if content_type.startswith("text/event-stream"):
                parsed: Any = [event.json() for event in parse_sse(body + "\n")[0]] if body else []
            else:
                parsed = json.loads(body) if body else None
            results.append((int(status), content_type, parsed))
            if block.startswith("curl -X POST http://localhost:8080/api/tasks"):
                env["TASK_ID"] = parsed["id"]
            if "search_flights" in block and "/api/tools/" in block:
                env["FLIGHTS"] = json.dumps(parsed["flights"])

    statuses = [status for status, _, _ in results]
    assert statuses == [200, 200, 200, 200, 201, 200, 200, 204, 200, 200, 200, 200, 200, 200]
    chat, tool_chat = results[0][2], results[1][2]
    assert [e["type"] for e in chat][-1] == "done" and {e["type"] for e in chat[:-1]} == {"token"}
    assert chat[-1]["conversation_id"] == "conv_abc123" and chat[-1]["message_id"].startswith("msg_")
    kinds = [e["type"] for e in tool_chat]
    assert kinds[:2] == ["tool_call", "tool_result"] and kinds[-1] == "done"
    assert set(kinds[2:-1]) == {"token"}
    assert tool_chat[0]["name"] == "search_flights" and tool_chat[0]["args"]["destination"] == "CDG"
    assert len(tool_chat[1]["result"]["flights"]) > 0
    history = results[2][2]
    assert [m["role"] for m in history["messages"]] == ["user", "assistant", "user", "assistant"]
    assert history["messages"][3]["tool_calls"][0]["name"] == "search_flights"
    assert results[3][2] == {
        "timezone": "America/New_York",
        "work_hours": "09:00-17:00",
        "preferred_airlines": ["United", "Delta"],
    }
    created, listed, patched = results[4][2], results[5][2], results[6][2]
    assert created["title"] == "Send budget report" and created["status"] == "open"
    assert [t["id"] for t in listed["tasks"]] == [created["id"]]
    assert patched["status"] == "completed" and patched["completed_at"] == "2025-11-20T15:00:00Z"
    assert patched["title"] == "Send budget report"  # unsent fields unchanged
    flights, ranked = results[8][2]["flights"], results[9][2]["ranked_flights"]
    assert {r["flight_id"] for r in ranked} == {f["id"] for f in flights}
    assert [r["rank"] for r in ranked] == list(range(1, len(flights) + 1))
    pinned, memories, state, health = (r[2] for r in results[10:])
    assert memories["pinned_memories"] == [pinned]
    assert state["user_id"] == "user_123" and state["tasks"] == []  # the task was deleted
    assert state["preferences"]["timezone"] == "America/New_York" and state["pinned_memories"] == [pinned]
    assert health["status"] == "healthy"
