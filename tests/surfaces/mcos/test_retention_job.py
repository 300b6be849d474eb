"""Chat retention: the newest messages stay active, older ones are archived then purged.

Domain level against a real database (the session's backend) with a manual clock, and once
in-process through a real gRPC server whose background job runs on that clock.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from chorus_contracts.mcos.v1 import chat_pb2, chat_pb2_grpc, resources_pb2

from server.platform.chat.conversation_store import ConversationStore
from server.platform.chat.messages import NewMessage, new_message_id
from server.platform.scope import Scope
from server.platform.storage.database import Database
from server.surfaces.mcos.chat_retention import DAY_MS, ChatRetention
from server.surfaces.mcos.conversations import ConversationService
from server.surfaces.mcos.settings import McosRetentionSettings
from tests.support import mcos_identity as identity
from tests.support.clock import ManualClock
from tests.support.inprocess_chorus import running_chorus
from tests.support.mcos_chat import user_says as grpc_user_says
from tests.surfaces.mcos.inprocess import mcos_settings

START_MS = 1_760_000_000_000
ALICE = Scope("mcos", "alice")


@pytest.fixture
async def db(migrated_url: str) -> AsyncIterator[Database]:
    database = Database(migrated_url)
    yield database
    await database.close()


async def add_turns(
    service: ConversationService, clock: ManualClock, conversation: str, count: int, first: int = 0
) -> None:
    for n in range(first, first + count):
        await service.append(
            ALICE,
            conversation,
            [
                NewMessage(new_message_id(), "user", f"q{n}", clock.now),
                NewMessage(new_message_id(), "assistant", f"a{n}", clock.now),
            ],
        )


async def contents(service: ConversationService, conversation: str) -> list[str]:
    page = await service.history(ALICE, conversation_id=conversation, limit=200, before="", after="")
    return [m.content for m in page.messages]


async def test_old_messages_leave_the_context_but_stay_in_history(db: Database) -> None:
    clock = ManualClock(START_MS)
    service = ConversationService(ConversationStore(db, "mcos"), clock, active_messages=4)
    await add_turns(service, clock, "c", 3)
    assert await contents(service, "c") == ["q0", "a0", "q1", "a1", "q2", "a2"]
    context = await service.context(ALICE, "c", limit=50)
    assert [m.content for m in context] == ["q1", "a1", "q2", "a2"]
    assert [m.content for m in await service.context(ALICE, "c", limit=3)] == ["a1", "q2", "a2"]
    # Another conversation keeps its own count.
    await add_turns(service, clock, "d", 1)
    assert len(await service.context(ALICE, "d", limit=50)) == 2
    assert len(await service.context(ALICE, "c", limit=50)) == 4


async def test_archived_messages_are_purged_archive_days_after_archiving(db: Database) -> None:
    clock = ManualClock(START_MS)
    store = ConversationStore(db, "mcos")
    service = ConversationService(store, clock, active_messages=2)
    retention = ChatRetention(store, clock, archive_days=90)
    await add_turns(service, clock, "c", 2)  # q0 a0 archived at day 0
    clock.now += 30 * DAY_MS
    await add_turns(service, clock, "c", 1, first=2)  # q1 a1 archived at day 30
    assert await retention.run_once() == 0

    clock.now = START_MS + 90 * DAY_MS - 1
    assert await retention.run_once() == 0
    clock.now = START_MS + 90 * DAY_MS + 1
    assert await retention.run_once() == 2
    assert await contents(service, "c") == ["q1", "a1", "q2", "a2"]

    clock.now = START_MS + 120 * DAY_MS + 1
    assert await retention.run_once() == 2
    assert await contents(service, "c") == ["q2", "a2"]
    # Active messages never age out.
    clock.now += 1000 * DAY_MS
    assert await retention.run_once() == 0
    assert await contents(service, "c") == ["q2", "a2"]


async def test_several_processes_purging_at_once_agree(db: Database, tmp_path: Path) -> None:
    clock = ManualClock(START_MS)
    store = ConversationStore(db, "mcos")
    service = ConversationService(store, clock, active_messages=1)
    await add_turns(service, clock, "c", 30)  # 59 archived
    other = Database(db.url)
    try:
        clock.now += 91 * DAY_MS
        runs = [
            ChatRetention(ConversationStore(database, "mcos"), clock, archive_days=90).run_once()
            for database in (db, other, db, other)
        ]
        batched = [store.purge_archived(cutoff_ms=clock.now - 90 * DAY_MS, batch=7) for _ in range(2)]
        purged = await asyncio.gather(*batched, *runs)
    finally:
        await other.close()
    assert sum(purged) == 59
    assert await contents(service, "c") == ["a29"]


async def test_the_server_runs_the_job_on_its_clock(tmp_path: Path, idp: identity.TestIdp) -> None:
    clock = ManualClock(int(time.time() * 1000))
    retention = McosRetentionSettings(active_messages=2, archive_days=1, interval=0.02)
    settings = mcos_settings(tmp_path, idp, retention=retention)
    metadata = (("cf-access-jwt-assertion", idp.token(identity.new_sub(), expires_in=10 * 86_400)),)
    async with (
        running_chorus(settings, clock, rest=False) as server,
        grpc.aio.insecure_channel(server.endpoints.grpc) as channel,
    ):
        stub = chat_pb2_grpc.ChatServiceStub(channel)
        for text in ("first", "second"):
            request = chat_pb2.ChatRequest(messages=[grpc_user_says(text)], stream=False, conversation_id="c")
            async for _ in stub.Chat(request, metadata=metadata):
                pass

        async def stored() -> list[str]:
            page = await stub.GetChatHistory(chat_pb2.GetChatHistoryRequest(conversation_id="c"), metadata=metadata)
            return [m.content for m in page.messages if m.role == resources_pb2.ROLE_USER]

        assert await stored() == ["first", "second"]
        clock.now += DAY_MS + 1
        deadline = time.monotonic() + 10
        while await stored() != ["second"]:
            assert time.monotonic() < deadline, "the retention job did not purge"
            await asyncio.sleep(0.02)
    assert not [t for t in asyncio.all_tasks() if t.get_name() == "chorus-jobs" and not t.done()]
