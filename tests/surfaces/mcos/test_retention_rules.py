"""MCoS retention rules (spec 003, "Data Retention") run as platform jobs on a real
server (in-process, REST bridge, the session's database) whose manual clock the test
moves: completed tasks kept 1 year, the event log kept 30 days, and task tombstones
purged after their window with the `since`/`cursor` reads that could need them refused.

Each step moves the clock, then waits until that period's job has run (its row in
the platform's `jobs` table), and only then looks.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.config import JobSettings
from server.platform.scope import Scope
from server.platform.storage.database import Database
from server.platform.times import rfc3339_ms
from server.surfaces.mcos.retention_jobs import COMPLETED_TASKS, EVENT_LOG, TOMBSTONES
from server.surfaces.mcos.settings import McosRetentionSettings
from server.surfaces.mcos.stores.user_events import UserEvents
from tests.support import backends
from tests.support import mcos_identity as identity
from tests.support.clock import ManualClock
from tests.support.envelopes import assert_error
from tests.support.inprocess_chorus import running_chorus
from tests.surfaces.mcos.inprocess import mcos_settings

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
INTERVAL_MS = HOUR_MS  # retention runs hourly (of the clock)


@dataclass
class Server:
    clock: ManualClock
    rest: httpx.AsyncClient
    data_dir: Path
    db: Database
    scope: Scope


@pytest.fixture
async def server(tmp_path: Path, idp: identity.TestIdp) -> AsyncIterator[Server]:
    clock = ManualClock(int(time.time()) * 1000)
    settings = mcos_settings(
        tmp_path, idp, rest_transport="inprocess", retention=McosRetentionSettings(interval=INTERVAL_MS / 1000)
    )
    settings = settings.model_copy(update={"jobs": JobSettings(poll_interval=0.05, lease=5.0)})
    sub = identity.new_sub()
    token = idp.token(sub, expires_in=800 * 86_400)  # the clock moves a year and more
    db = Database(settings.resolved_database_url)
    async with (
        running_chorus(settings, clock) as chorus,
        httpx.AsyncClient(base_url=chorus.endpoints.rest, headers={"cf-access-jwt-assertion": token}) as client,
    ):
        yield Server(clock, client, tmp_path, db, Scope(settings.mcos.tenant, sub))
    await db.close()


async def call(server: Server, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
    response = await server.rest.request(method, path, **kwargs)
    assert response.status_code == status, response.text
    return response.json() if response.content else None


async def advance(server: Server, ms: int, kind: str) -> None:
    """Moves the clock, then waits for this period's `kind` job to succeed."""
    server.clock.now += ms
    period = server.clock.now // INTERVAL_MS * INTERVAL_MS
    job_id = f"{kind}@{period}"
    deadline = time.monotonic() + 20
    while True:
        rows = await asyncio.to_thread(
            backends.fetch, server.data_dir, "SELECT state FROM jobs WHERE id = :id", id=job_id
        )
        if rows and rows[0][0] == "succeeded":
            return
        assert not rows or rows[0][0] in ("queued", "running"), rows
        assert time.monotonic() < deadline, f"{job_id} did not run"
        await asyncio.sleep(0.05)


async def task_ids(server: Server) -> set[str]:
    body = await call(server, "GET", "/api/tasks", params={"limit": 100})
    return {task["id"] for task in body["tasks"]}


async def new_task(server: Server, title: str) -> str:
    created = await call(server, "POST", "/api/tasks", 201, json={"title": title})
    return str(created["id"])


async def test_completed_tasks_are_kept_one_year_then_reported_deleted(server: Server) -> None:
    done = await new_task(server, "file taxes")
    await call(server, "PATCH", f"/api/tasks/{done}", json={"status": "completed"})
    open_task = await new_task(server, "renew passport")
    server.clock.now += 10 * DAY_MS
    done_later = await new_task(server, "book flights")
    await call(server, "PATCH", f"/api/tasks/{done_later}", json={"status": "completed"})
    before = (await call(server, "GET", "/api/state"))["cursor"]

    await advance(server, 355 * DAY_MS - HOUR_MS, COMPLETED_TASKS)  # a year less an hour after `done`
    assert await task_ids(server) == {done, open_task, done_later}

    await advance(server, 2 * HOUR_MS, COMPLETED_TASKS)  # a year and an hour
    assert await task_ids(server) == {open_task, done_later}
    changed = await call(server, "GET", "/api/state", params={"cursor": before})
    assert changed["deleted_task_ids"] == [done]

    await advance(server, 10 * DAY_MS, COMPLETED_TASKS)
    assert await task_ids(server) == {open_task}  # an open task never expires


async def test_the_event_log_records_each_change_and_tool_call_for_30_days(server: Server) -> None:
    task = await new_task(server, "call the bank")
    await call(server, "PATCH", f"/api/tasks/{task}", json={"title": "call the bank today"})
    await call(server, "PATCH", "/api/tasks/task_missing", 404, json={"title": "x"})  # no change, no entry
    await call(server, "POST", "/api/memory/pin", json={"type": "fact", "key": "bank", "value": "ING"})
    await call(server, "PATCH", "/api/state/preferences", json={"timezone": "Europe/Amsterdam"})
    args = {"title": "pay rent"}
    chat = {"messages": [{"role": "user", "content": f"/tool create_task {json.dumps(args)}"}], "stream": False}
    await call(server, "POST", "/api/chat", json=chat)
    await call(server, "DELETE", f"/api/tasks/{task}", 204)
    events = UserEvents(server.db)
    logged = [(e.kind, e.subject) for e in await events.recent(server.scope)]
    created_by_tool = next(s for k, s in logged if k == "task.created" and s != task)
    assert logged == [
        ("task.created", task),
        ("task.updated", task),
        ("memory.pinned", "bank"),
        ("preferences.updated", "preferences"),
        ("task.created", created_by_tool),
        ("tool.called", "create_task"),
        ("task.deleted", task),
    ]
    assert (await events.recent(server.scope))[1].detail == {"fields": ["title"]}

    await advance(server, 30 * DAY_MS - HOUR_MS, EVENT_LOG)
    assert len(await events.recent(server.scope)) == 7
    await call(server, "PATCH", "/api/state/preferences", json={"timezone": "UTC"})
    await advance(server, 2 * HOUR_MS, EVENT_LOG)
    assert [e.kind for e in await events.recent(server.scope)] == ["preferences.updated"]


async def test_tombstones_are_purged_after_30_days_and_older_cursors_refused(server: Server) -> None:
    kept = await new_task(server, "kept")
    gone = await new_task(server, "gone")
    first = await call(server, "GET", "/api/state")
    since_before = server.clock.now - 1
    server.clock.now += 1000
    await call(server, "DELETE", f"/api/tasks/{gone}", 204)
    server.clock.now += 1000
    after = await call(server, "GET", "/api/state")
    since_after = server.clock.now

    await advance(server, 30 * DAY_MS - HOUR_MS, TOMBSTONES)
    # Within the window every cursor is still answered, the deletion included.
    old = await call(server, "GET", "/api/state", params={"cursor": first["cursor"]})
    assert old["deleted_task_ids"] == [gone]
    assert (await call(server, "GET", "/api/state", params={"since": rfc3339_ms(since_before)}))[
        "deleted_task_ids"
    ] == [gone]

    await advance(server, 2 * HOUR_MS, TOMBSTONES)
    rows = await asyncio.to_thread(
        backends.fetch, server.data_dir, "SELECT id FROM mcos_tasks WHERE deleted_at_ms IS NOT NULL"
    )
    assert rows == []
    refused = await server.rest.get("/api/state", params={"cursor": first["cursor"]})
    assert "cursor" in json.dumps(assert_error(refused, "mcos", 400, "VALIDATION_ERROR"))
    refused = await server.rest.get("/api/state", params={"since": rfc3339_ms(since_before)})
    assert "since" in json.dumps(assert_error(refused, "mcos", 400, "VALIDATION_ERROR"))
    # Reads from after the deletion need no tombstone, and a full read never does.
    assert (await call(server, "GET", "/api/state", params={"cursor": after["cursor"]})).get(
        "deleted_task_ids", []
    ) == []
    recent = await call(server, "GET", "/api/state", params={"since": rfc3339_ms(since_after)})
    assert recent.get("deleted_task_ids", []) == []
    assert [t["id"] for t in (await call(server, "GET", "/api/state"))["tasks"]] == [kept]
