"""Idempotency through the in-process bridge transport, and key expiry on the server's clock.

A real Chorus runs in the test's event loop with a manual clock and a
one-hour key lifetime (`mcos.idempotency_ttl_hours`), bridging REST to its
handlers in-process.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support import mcos_identity as identity
from tests.support.clock import ManualClock
from tests.support.inprocess_chorus import running_chorus
from tests.support.sse import parse_sse
from tests.surfaces.mcos.inprocess import mcos_settings

HOUR_MS = 3_600_000
REPLAYED = "idempotent-replayed"


@dataclass
class Server:
    clock: ManualClock
    client: httpx.AsyncClient


@pytest.fixture
async def server(tmp_path: Path, idp: identity.TestIdp) -> AsyncIterator[Server]:
    clock = ManualClock(int(time.time() * 1000))
    settings = mcos_settings(tmp_path, idp, rest_transport="inprocess", idempotency_ttl_hours=1)
    # The assertion must outlive the clock's jumps.
    token = idp.token(identity.new_sub(), expires_in=10 * 86_400)
    async with (
        running_chorus(settings, clock) as chorus,
        httpx.AsyncClient(base_url=chorus.endpoints.rest, headers={"cf-access-jwt-assertion": token}) as client,
    ):
        yield Server(clock, client)


async def test_replays_in_process_until_the_key_expires(server: Server) -> None:
    client, clock = server.client, server.clock
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"title": "Renew insurance"}
    first = await client.post("/api/tasks", json=body, headers=key)
    assert first.status_code == 201 and REPLAYED not in first.headers
    clock.now += HOUR_MS - 1
    replay = await client.post("/api/tasks", json=body, headers=key)
    assert replay.status_code == 201 and replay.headers[REPLAYED] == "true" and replay.json() == first.json()
    assert (await client.post("/api/tasks", json={"title": "Other"}, headers=key)).status_code == 422
    clock.now += 1
    fresh = await client.post("/api/tasks", json=body, headers=key)
    assert fresh.status_code == 201 and REPLAYED not in fresh.headers
    assert fresh.json()["id"] != first.json()["id"]
    listed = (await client.get("/api/tasks")).json()["tasks"]
    assert sorted(t["id"] for t in listed) == sorted([first.json()["id"], fresh.json()["id"]])


async def test_chat_replays_in_process(server: Server) -> None:
    client = server.client
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"messages": [{"role": "user", "content": "Plan my week"}], "conversation_id": "week"}
    first = await client.post("/api/chat", json=body, headers=key)
    again = await client.post("/api/chat", json=body, headers=key)
    assert first.status_code == again.status_code == 200
    assert again.headers[REPLAYED] == "true"
    first_data = [e.data for e in parse_sse(first.text)[0]]
    assert [e.data for e in parse_sse(again.text)[0]] == first_data
    assert '"type":"done"' in first_data[-1]
    stored = (await client.get("/api/chat/history", params={"conversation_id": "week"})).json()["messages"]
    assert [m["role"] for m in stored] == ["user", "assistant"]
