"""Work sessions go inactive after `chittyos.sync.session_timeout` seconds without a heartbeat.

A private server with a one-second timeout and an empty store, so the
counts in lists and `/api/status` are exact.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.chittyos_sync import private_server
from tests.support.chorus_process import wait_until

TIMEOUT = 1.0


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    data_dir: Path = tmp_path_factory.mktemp("sync-sessions")
    with private_server(data_dir, f"\n[chittyos.sync]\nsession_timeout = {TIMEOUT}\n") as (_, client):
        yield client


def _register(api: httpx.Client, session_id: str) -> None:
    body = {"id": session_id, "projectId": "p", "aiPlatform": "claude"}
    assert api.post("/api/session", json=body).status_code == 201


def _active(api: httpx.Client, session_id: str) -> bool:
    return bool(api.get(f"/api/session/{session_id}").json()["active"])


def _counts(api: httpx.Client) -> tuple[int, int, int, int]:
    listed = api.get("/api/session").json()
    status = api.get("/api/status").json()["sessions"]
    return listed["total"], listed["active"], status["total"], status["active"]


def test_silent_sessions_go_inactive_and_heartbeats_revive_them(api: httpx.Client) -> None:
    _register(api, "quiet")
    _register(api, "busy")
    assert _counts(api) == (2, 2, 2, 2)
    started = time.monotonic()
    # Keep "busy" beating until "quiet" has been silent longer than the timeout.
    while time.monotonic() - started < TIMEOUT * 1.5:
        assert api.put("/api/session/busy", json={}).status_code == 200
        time.sleep(TIMEOUT / 5)
    assert not _active(api, "quiet") and _active(api, "busy")
    assert _counts(api) == (2, 1, 2, 1)
    listed = {s["sessionId"]: s["active"] for s in api.get("/api/session").json()["sessions"]}
    assert listed == {"quiet": False, "busy": True}

    beat = api.put("/api/session/quiet", json={"metadata": {"note": "back"}})
    assert beat.status_code == 200
    session = api.get("/api/session/quiet").json()
    assert session["active"] is True and session["lastActivity"] == beat.json()["updated"]
    assert session["metadata"] == {"note": "back"}
    assert wait_until(lambda: not _active(api, "quiet") and not _active(api, "busy"), timeout=TIMEOUT * 4)
    assert _counts(api) == (2, 0, 2, 0)


def test_a_paused_session_is_inactive_until_resumed(api: httpx.Client) -> None:
    _register(api, "pausing")
    assert api.put("/api/session/pausing", json={"active": False}).status_code == 200
    assert not _active(api, "pausing")
    assert api.put("/api/session/pausing", json={}).status_code == 200  # a beat alone does not resume
    assert not _active(api, "pausing")
    assert api.put("/api/session/pausing", json={"active": True}).status_code == 200
    assert _active(api, "pausing")


def test_a_todo_sync_counts_as_a_heartbeat(api: httpx.Client) -> None:
    assert api.post("/api/project", json={"id": "beats"}).status_code == 201
    _register(api, "syncer")
    assert wait_until(lambda: not _active(api, "syncer"), timeout=TIMEOUT * 4)
    synced = api.put("/api/todos/beats/sync", json={"sessionId": "syncer", "todos": []})
    assert synced.status_code == 200
    session = api.get("/api/session/syncer").json()
    assert session["active"] is True and session["lastActivity"] == synced.json()["lastSync"]


def test_ended_sessions_stay_counted_but_never_active(api: httpx.Client) -> None:
    total_before = api.get("/api/status").json()["sessions"]["total"]
    _register(api, "ending")
    assert api.delete("/api/session/ending").status_code == 200
    status = api.get("/api/status").json()["sessions"]
    assert status["total"] == total_before + 1
    assert not _active(api, "ending")
