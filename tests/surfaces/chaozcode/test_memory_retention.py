"""Memory Spine versions, soft delete, restore and the 30-day purge, on a real server (REST
bridge in-process, the session's database) whose manual clock the test moves; the purge runs
as the platform job `chaozcode.memory_purge`, hourly of that clock.

Each step moves the clock, then waits until that period's job has run (its row in the
platform's `jobs` table), and only then looks.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.app import SURFACES
from server.config import JobSettings, compose_settings
from server.surfaces.chaozcode.memory_jobs import PURGE
from server.surfaces.chaozcode.settings import ChaozCodeSettings
from tests.support import backends
from tests.support.chorus_process import printed, run_cli
from tests.support.clock import ManualClock
from tests.support.inprocess_chorus import running_chorus

DAY_MS = 86_400_000
HOUR_MS = 3_600_000


def rfc3339_ms(ms: int) -> str:
    """As protobuf's JSON writes a whole-second time stamp (the clock moves in whole seconds)."""
    assert ms % 1000 == 0
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Server:
    clock: ManualClock
    rest: httpx.AsyncClient
    data_dir: Path
    user_id: str


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    clock = ManualClock(int(time.time()) // 3600 * 3600 * 1000 + 60_000)  # a minute into an hour
    settings = compose_settings(SURFACES)(
        data_dir=tmp_path,
        grpc={"host": "127.0.0.1", "port": 0},
        rest={"host": "127.0.0.1", "port": 0, "transport": "inprocess"},
        chaozcode=ChaozCodeSettings(memory_purge_interval=HOUR_MS / 1000),
        jobs=JobSettings(poll_interval=0.05, lease=5.0),
        **backends.settings_overrides(tmp_path),
    )
    async with running_chorus(settings, clock) as chorus:
        out = await asyncio.to_thread(
            run_cli, tmp_path, "chaozcode", "users", "add", "--email", "r@example.com", "--plan", "enterprise"
        )
        headers = {"authorization": f"Bearer {printed(out, 'key')}"}
        async with httpx.AsyncClient(base_url=chorus.endpoints.rest + "/v2", headers=headers, timeout=30) as client:
            yield Server(clock, client, tmp_path, printed(out, "user"))


async def call(server: Server, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
    response = await server.rest.request(method, path, **kwargs)
    assert response.status_code == status, response.text
    return response.json()


async def advance(server: Server, ms: int) -> None:
    """Moves the clock, then waits for this period's purge job to succeed."""
    server.clock.now += ms
    period = server.clock.now // HOUR_MS * HOUR_MS
    job_id = f"{PURGE}@{period}"
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


def rows_of(server: Server, memory_id: str) -> dict[str, int]:
    counts = {}
    for table, column in (
        ("chaozcode_memories", "id"),
        ("chaozcode_memory_versions", "memory_id"),
        ("chaozcode_memory_tags", "memory_id"),
    ):
        sql = f"SELECT COUNT(*) FROM {table} WHERE owner_id = :u AND {column} = :m"
        counts[table] = int(backends.fetch(server.data_dir, sql, u=server.user_id, m=memory_id)[0][0])
    events = "SELECT COUNT(*) FROM chaozcode_events WHERE owner_id = :u AND subject = :s"
    counts["events"] = int(backends.fetch(server.data_dir, events, u=server.user_id, s=f"memory:{memory_id}")[0][0])
    return counts


async def test_versions_carry_their_own_times(server: Server) -> None:
    start = server.clock.now
    await call(server, "POST", "/memory/store", 201, json={"id": "plan", "content": "Ship in March", "tags": ["q1"]})
    server.clock.now += DAY_MS
    await call(server, "PUT", "/memory/plan", json={"content": "Ship in April"})
    server.clock.now += DAY_MS
    current = await call(server, "PUT", "/memory/plan", json={"tags": ["q2"]})
    assert current["version"] == 3 and current["content"] == "Ship in April" and current["tags"] == ["q2"]
    assert current["createdAt"] == rfc3339_ms(start) and current["updatedAt"] == rfc3339_ms(start + 2 * DAY_MS)
    history = await call(server, "GET", "/memory/plan/versions")
    assert [(v["version"], v["content"], v["createdAt"]) for v in history["versions"]] == [
        (1, "Ship in March", rfc3339_ms(start)),
        (2, "Ship in April", rfc3339_ms(start + DAY_MS)),
        (3, "Ship in April", rfc3339_ms(start + 2 * DAY_MS)),
    ]
    found = await call(server, "POST", "/memory/search", json={"query": "when do we ship", "tags": ["q1"]})
    assert found["results"] == []  # tags are the current version's
    found = await call(server, "POST", "/memory/search", json={"query": "when do we ship", "tags": ["q2"]})
    assert [r["id"] for r in found["results"]] == ["plan"]


async def test_deleted_memories_restore_for_30_days_then_are_purged(server: Server) -> None:
    for memory_id, content in (("keep", "The office wifi password rotates monthly"), ("drop", "Parking is on level 3")):
        await call(server, "POST", "/memory/store", 201, json={"id": memory_id, "content": content, "tags": ["x"]})
        await call(server, "PUT", f"/memory/{memory_id}", json={"importance": "high"})
    deleted_at = server.clock.now
    for memory_id in ("keep", "drop"):
        gone = await call(server, "DELETE", f"/memory/{memory_id}")
        assert gone["purgeAt"] == rfc3339_ms(deleted_at + 30 * DAY_MS)
    assert (await call(server, "GET", "/memory/stats"))["vectorCount"] == 0
    assert (await call(server, "POST", "/memory/search", json={"query": "wifi password"}))["results"] == []

    await advance(server, 30 * DAY_MS - 2 * HOUR_MS)  # 29 days and 22 hours: both still held
    assert rows_of(server, "drop") == {
        "chaozcode_memories": 1,
        "chaozcode_memory_versions": 2,
        "chaozcode_memory_tags": 1,
        "events": 3,
    }
    restored = await call(server, "POST", "/memory/keep/restore", json={})
    assert restored["version"] == 2 and restored["importance"] == "high"
    found = await call(server, "POST", "/memory/search", json={"query": "how often does the wifi password change"})
    assert [r["id"] for r in found["results"]] == ["keep"]

    await advance(server, 3 * HOUR_MS)  # 30 days and an hour after the delete
    assert rows_of(server, "drop") == dict.fromkeys(
        ("chaozcode_memories", "chaozcode_memory_versions", "chaozcode_memory_tags", "events"), 0
    )
    await call(server, "POST", "/memory/drop/restore", 404, json={})
    await call(server, "GET", "/memory/drop", 404)
    assert (await call(server, "GET", "/memory/keep"))["version"] == 2  # restored: never purged
    assert rows_of(server, "keep")["chaozcode_memory_versions"] == 2
    await call(server, "POST", "/memory/store", 201, json={"id": "drop", "content": "the id is free again"})


async def test_a_memory_past_its_window_cannot_be_restored_before_the_purge_runs(server: Server) -> None:
    await call(server, "POST", "/memory/store", 201, json={"id": "late", "content": "Lunch is at noon"})
    await call(server, "DELETE", "/memory/late")
    server.clock.now += 30 * DAY_MS  # exactly the window: no job waited for
    await call(server, "POST", "/memory/late/restore", 404, json={})
