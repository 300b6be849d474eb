"""Following `GET /api/state?cursor=` misses no write while several writers change one
user's tasks, memories and preferences at once, on SQLite and on PostgreSQL.

Two servers share one database, as two Chorus processes would. A write's time says
nothing about when it commits: PostgreSQL commits concurrent transactions in any order,
so a write stamped (or numbered) early can become visible after a later one, and a
follower that had stepped past it would lose it for good. Each user's change numbers
are taken under a lock on that user's counter row, so they commit in order.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Table, update

from server.platform.chat.conversation_store import ConversationStore
from server.platform.clock import SystemClock
from server.platform.scope import Scope
from server.platform.storage.database import Database
from server.surfaces.mcos.conversations import ConversationService
from server.surfaces.mcos.memories import MemoryService
from server.surfaces.mcos.preferences import PreferenceService
from server.surfaces.mcos.settings import McosRateLimits, McosRetentionSettings
from server.surfaces.mcos.stores.user_changes import UserChanges, next_change
from server.surfaces.mcos.tables import McosTaskRow
from server.surfaces.mcos.tasks import TaskService
from server.surfaces.mcos.user_state import UserStateService
from tests.support import mcos_identity as identity
from tests.support.inprocess_chorus import running_chorus
from tests.surfaces.mcos.inprocess import mcos_settings

WRITERS = 8
ROUNDS = 12
FOLLOWERS = 3


@pytest.fixture
async def two_servers(tmp_path: Path, idp: identity.TestIdp) -> AsyncIterator[tuple[str, str, str]]:
    """Two servers on one database; (REST url, REST url, a token for one user)."""
    settings = mcos_settings(
        tmp_path,
        idp,
        retention=McosRetentionSettings(interval=0),
        rate_limits=McosRateLimits(storage_writes_per_day=100_000),
    )
    async with running_chorus(settings) as first, running_chorus(settings) as second:
        yield first.endpoints.rest, second.endpoints.rest, idp.token(identity.new_sub())


async def test_followers_see_every_concurrent_write(two_servers: tuple[str, str, str]) -> None:
    first_url, second_url, token = two_servers
    headers = {"cf-access-jwt-assertion": token}
    async with (
        httpx.AsyncClient(base_url=first_url, headers=headers, timeout=60) as first,
        httpx.AsyncClient(base_url=second_url, headers=headers, timeout=60) as second,
    ):
        clients = (first, second)
        start = (await first.get("/api/state")).json()["cursor"]
        titles: dict[str, str] = {}  # task id -> its last title
        keys: set[str] = set()
        done = asyncio.Event()

        async def write(writer: int) -> None:
            client = clients[writer % 2]
            for n in range(ROUNDS):
                created = await client.post("/api/tasks", json={"title": f"w{writer} t{n}"})
                assert created.status_code == 201, created.text
                task_id = created.json()["id"]
                renamed = await client.patch(f"/api/tasks/{task_id}", json={"title": f"w{writer} t{n} done"})
                assert renamed.status_code == 200, renamed.text
                titles[task_id] = f"w{writer} t{n} done"
                pinned = await client.post(
                    "/api/memory/pin", json={"type": "fact", "key": f"w{writer}k{n}", "value": "v"}
                )
                assert pinned.status_code == 200, pinned.text
                keys.add(f"w{writer}k{n}")

        async def follow(client: httpx.AsyncClient) -> tuple[dict[str, str], set[str]]:
            seen: dict[str, str] = {}
            seen_keys: set[str] = set()
            cursor = start
            while True:
                finished = done.is_set()  # read before the poll: a poll after it has everything
                response = await client.get("/api/state", params={"cursor": cursor})
                assert response.status_code == 200, response.text
                body: dict[str, Any] = response.json()
                # Lists are bounded; these polls stay well under the bounds.
                assert len(body["tasks"]) < 200 and len(body["pinned_memories"]) < 100
                seen.update((t["id"], t["title"]) for t in body["tasks"])
                seen_keys.update(m["key"] for m in body["pinned_memories"])
                cursor = body["cursor"]
                if finished:
                    return seen, seen_keys
                await asyncio.sleep(0)

        followers = [asyncio.create_task(follow(clients[n % 2])) for n in range(FOLLOWERS)]
        await asyncio.gather(*(write(n) for n in range(WRITERS)))
        done.set()
        assert len(titles) == WRITERS * ROUNDS
        for seen, seen_keys in await asyncio.gather(*followers):
            # Every task reached each follower in its final state, every memory at all.
            assert seen == titles, f"missed {len(set(titles) - set(seen))} tasks"
            assert seen_keys == keys


BOB = Scope("mcos", "bob")
_tasks = McosTaskRow.__table__
assert isinstance(_tasks, Table)


def state_service(db: Database) -> UserStateService:
    clock = SystemClock()
    conversations = ConversationService(ConversationStore(db, "mcos"), clock, active_messages=100)
    return UserStateService(
        TaskService(db, clock),
        MemoryService(db, clock),
        PreferenceService(db, clock),
        conversations,
        UserChanges(db),
        clock,
    )


async def test_a_writer_that_commits_late_is_not_skipped(two_processes: tuple[Database, Database]) -> None:
    """Writer A takes its change number and holds its transaction open; writer B, later,
    must not become visible before A, or a follower would step past A's change."""
    slow, fast = two_processes
    tasks = TaskService(fast, SystemClock())
    follower = state_service(fast)
    early = await tasks.create(BOB, title="early")
    cursor = (await follower.snapshot(BOB)).cursor
    release = asyncio.Event()
    holding = asyncio.Event()

    async def late_writer() -> None:
        async with slow.write() as conn:
            number = await next_change(conn, BOB)
            stamp = {"title": "renamed late", "updated_at_ms": int(time.time() * 1000), "change_seq": number}
            await conn.execute(update(_tasks).where(_tasks.c.id == early.id).values(**stamp))
            holding.set()
            await release.wait()

    late = asyncio.create_task(late_writer())
    await holding.wait()
    later = asyncio.create_task(tasks.create(BOB, title="later"))
    # A follower polling now sees neither: A has not committed, and B queues behind A.
    meanwhile = await follower.snapshot(BOB, cursor=cursor)
    assert meanwhile.tasks == [] and not later.done()
    release.set()
    await late
    await later
    caught_up = await follower.snapshot(BOB, cursor=meanwhile.cursor)
    assert sorted(t.title for t in caught_up.tasks) == ["later", "renamed late"]
