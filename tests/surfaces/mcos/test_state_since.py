"""GET /api/state?since=: exactly what changed after a time, on a server whose clock the test moves.

The server runs in-process (real gRPC server and REST bridge on ephemeral
ports) with a manual clock, so every change has a known time.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from chorus_contracts.mcos.v1 import state_pb2, state_pb2_grpc
from google.protobuf.timestamp_pb2 import Timestamp

from server.platform.times import rfc3339_ms
from server.surfaces.mcos.settings import McosRetentionSettings
from tests.support import mcos_identity as identity
from tests.support.clock import ManualClock
from tests.support.inprocess_chorus import running_chorus
from tests.surfaces.mcos.inprocess import mcos_settings

DAY_MS = 86_400_000


@dataclass
class Server:
    clock: ManualClock
    rest: httpx.AsyncClient
    grpc_addr: str
    metadata: tuple[tuple[str, str], ...]


@pytest.fixture
async def server(tmp_path: Path, idp: identity.TestIdp) -> AsyncIterator[Server]:
    # Whole seconds, so times render without fractions; near the real time, so tokens verify.
    clock = ManualClock(int(time.time()) * 1000)
    # The bridge calls the handlers in-process.
    settings = mcos_settings(tmp_path, idp, rest_transport="inprocess", retention=McosRetentionSettings(interval=0))
    token = idp.token(identity.new_sub())
    async with (
        running_chorus(settings, clock) as chorus,
        httpx.AsyncClient(base_url=chorus.endpoints.rest, headers={"cf-access-jwt-assertion": token}) as client,
    ):
        yield Server(clock, client, chorus.endpoints.grpc, (("cf-access-jwt-assertion", token),))


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp() * 1000)


async def call(server: Server, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
    response = await server.rest.request(method, path, **kwargs)
    assert response.status_code == status, response.text
    return response.json() if response.content else None


async def state(server: Server, since_ms: int | None = None) -> dict[str, Any]:
    params = {"since": rfc3339_ms(since_ms)} if since_ms is not None else {}
    body: dict[str, Any] = await call(server, "GET", "/api/state", params=params)
    return body


async def chat(server: Server, text: str) -> None:
    body = {"messages": [{"role": "user", "content": text}], "stream": False, "conversation_id": "c"}
    await call(server, "POST", "/api/chat", json=body)


def titles(snapshot: dict[str, Any]) -> list[str]:
    return [t["title"] for t in snapshot["tasks"]]


async def test_since_returns_only_later_changes(server: Server) -> None:
    clock = server.clock
    t0 = clock.now
    a = await call(server, "POST", "/api/tasks", 201, json={"title": "A"})
    c = await call(server, "POST", "/api/tasks", 201, json={"title": "C"})
    await call(server, "POST", "/api/memory/pin", json={"type": "fact", "key": "m1", "value": "one"})
    await chat(server, "first")

    full = await state(server)
    assert "deleted_task_ids" not in full
    assert sorted(titles(full)) == ["A", "C"]
    assert [m["content"] for m in full["recent_messages"] if m["role"] == "user"] == ["first"]
    assert ms(full["last_updated"]) == t0

    clock.now = t1 = t0 + 1000
    completed = await call(server, "PATCH", f"/api/tasks/{a['id']}", json={"status": "completed"})
    assert ms(completed["completed_at"]) == ms(completed["updated_at"]) == t1
    await call(server, "DELETE", f"/api/tasks/{c['id']}", 204)

    clock.now = t2 = t0 + 2000
    # Completing a completed task again changes nothing, not even updated_at.
    same = await call(server, "PATCH", f"/api/tasks/{a['id']}", json={"status": "completed"})
    assert same == completed
    await call(server, "POST", "/api/memory/pin", json={"type": "fact", "key": "m2", "value": "two"})
    await call(server, "POST", "/api/tasks", 201, json={"title": "B"})
    await chat(server, "second")

    since_t0 = await state(server, t0)
    assert titles(since_t0) == ["B", "A"]  # most recently changed first
    assert since_t0["deleted_task_ids"] == [c["id"]]
    assert [m["key"] for m in since_t0["pinned_memories"]] == ["m2"]
    assert [m["content"] for m in since_t0["recent_messages"] if m["role"] == "user"] == ["second"]
    assert all(ms(m["timestamp"]) == t2 for m in since_t0["recent_messages"])
    assert ms(since_t0["last_updated"]) == t2

    since_t1 = await state(server, t1)
    assert titles(since_t1) == ["B"] and "deleted_task_ids" not in since_t1
    assert ms(since_t1["last_updated"]) == t2

    since_t2 = await state(server, t2)
    assert since_t2["tasks"] == since_t2["pinned_memories"] == since_t2["recent_messages"] == []
    assert ms(since_t2["last_updated"]) == t2

    # The deleted task is nowhere else.
    assert titles(await state(server)) == ["B", "A"]
    assert [t["title"] for t in (await call(server, "GET", "/api/tasks"))["tasks"]] == ["A", "B"]


async def test_last_updated_never_precedes_since_nor_passes_now(server: Server) -> None:
    clock = server.clock
    t0 = clock.now
    await call(server, "POST", "/api/tasks", 201, json={"title": "A"})
    clock.now = t0 + 5000
    # Nothing changed since t0 + 1 s: the client's own since comes back ...
    assert ms((await state(server, t0 + 1000))["last_updated"]) == t0 + 1000
    # ... unless it is in the future: then now.
    assert ms((await state(server, t0 + DAY_MS))["last_updated"]) == t0 + 5000

    clock.now = t4 = t0 + 6000
    preferences = await call(server, "PATCH", "/api/state/preferences", json={"timezone": "Europe/Berlin"})
    changed = await state(server, t0 + 5000)
    assert changed["preferences"] == preferences and changed["tasks"] == []
    assert ms(changed["last_updated"]) == t4


async def test_grpc_since_reports_deletions(server: Server) -> None:
    clock = server.clock
    t0 = clock.now
    task = await call(server, "POST", "/api/tasks", 201, json={"title": "Gone soon"})
    clock.now = t0 + 1000
    await call(server, "DELETE", f"/api/tasks/{task['id']}", 204)
    since = Timestamp()
    since.FromMilliseconds(t0)
    async with grpc.aio.insecure_channel(server.grpc_addr) as channel:
        stub = state_pb2_grpc.StateServiceStub(channel)
        response = await stub.GetState(state_pb2.GetStateRequest(since=since), metadata=server.metadata)
        full = await stub.GetState(state_pb2.GetStateRequest(), metadata=server.metadata)
    assert list(response.deleted_task_ids) == [task["id"]] and list(response.tasks) == []
    assert response.last_updated.ToMilliseconds() == t0 + 1000
    assert list(full.deleted_task_ids) == [] and list(full.tasks) == []


async def test_a_cursor_sees_writes_in_the_same_millisecond_as_the_snapshot(server: Server) -> None:
    """`since` compares times to the millisecond, so a write in the snapshot's millisecond is
    lost to it; the snapshot's `cursor` counts changes, so polling with it loses nothing."""
    clock = server.clock
    t0 = clock.now
    gone = await call(server, "POST", "/api/tasks", 201, json={"title": "Gone soon"})
    kept = await call(server, "POST", "/api/tasks", 201, json={"title": "Kept"})
    first = await state(server)
    assert sorted(titles(first)) == ["Gone soon", "Kept"] and ms(first["last_updated"]) == t0
    # Still t0: every one of these lands in the same millisecond as the snapshot.
    await call(server, "POST", "/api/tasks", 201, json={"title": "Same ms"})
    await call(server, "PATCH", f"/api/tasks/{kept['id']}", json={"status": "in_progress"})
    await call(server, "DELETE", f"/api/tasks/{gone['id']}", 204)
    await call(server, "POST", "/api/memory/pin", json={"type": "fact", "key": "k", "value": "v"})
    preferences = await call(server, "PATCH", "/api/state/preferences", json={"timezone": "Asia/Tokyo"})
    await chat(server, "same ms too")

    by_time = await state(server, ms(first["last_updated"]))
    assert titles(by_time) == [] and by_time["pinned_memories"] == []  # the document's `since` misses them

    changed = await call(server, "GET", "/api/state", params={"cursor": first["cursor"]})
    assert sorted(titles(changed)) == ["Kept", "Same ms"]
    assert next(t for t in changed["tasks"] if t["title"] == "Kept")["status"] == "in_progress"
    assert changed["deleted_task_ids"] == [gone["id"]]
    assert [m["key"] for m in changed["pinned_memories"]] == ["k"]
    assert changed["preferences"] == preferences
    assert [m["content"] for m in changed["recent_messages"] if m["role"] == "user"] == ["same ms too"]
    assert changed["cursor"] != first["cursor"]

    # Nothing since: empty lists, and the same cursor again.
    quiet = await call(server, "GET", "/api/state", params={"cursor": changed["cursor"]})
    assert quiet["tasks"] == quiet["pinned_memories"] == quiet["recent_messages"] == []
    assert "deleted_task_ids" not in quiet and quiet["cursor"] == changed["cursor"]
    # A write that changes nothing is not news either.
    await call(server, "PATCH", f"/api/tasks/{kept['id']}", json={"status": "in_progress"})
    assert (await call(server, "GET", "/api/state", params={"cursor": quiet["cursor"]}))["tasks"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "not-a-cursor"},
        {"cursor": "WzEsMl0", "since": "2025-01-01T00:00:00Z"},  # both
        {"cursor": "Wy0xLDBd"},  # [-1, 0]
        {"cursor": "WyJhIiwwXQ"},  # ["a", 0]
    ],
)
async def test_a_bad_cursor_is_400(server: Server, params: dict[str, str]) -> None:
    response = await server.rest.get("/api/state", params=params)
    assert response.status_code == 400, response.text
    assert [issue["path"] for issue in response.json()["error"]["details"]["issues"]] == [["cursor"]]
