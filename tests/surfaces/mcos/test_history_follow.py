"""Following history forward (`after` the newest message seen) misses nothing while
several processes append to one user's conversations at once.

A message's place in history is its autoincrement `seq`. On PostgreSQL writers run
concurrently, so a seq taken early could become visible after a later one unless a
user's appends are serialised: a follower would then step past it for good.
"""

from __future__ import annotations

import asyncio

from server.platform.chat.conversation_store import ConversationStore
from server.platform.chat.messages import NewMessage, new_message_id
from server.platform.clock import SystemClock
from server.platform.scope import Scope
from server.platform.storage.database import Database
from server.surfaces.mcos.conversations import ConversationService

BOB = Scope("mcos", "bob")
WRITERS = 10
TURNS = 30
FOLLOWERS = 4


async def test_a_follower_sees_every_message_appended_concurrently(two_processes: tuple[Database, Database]) -> None:
    services = [
        ConversationService(ConversationStore(db, "mcos"), SystemClock(), active_messages=1000) for db in two_processes
    ]
    first = new_message_id()
    await services[0].append(BOB, "start", [NewMessage(first, "user", "start", 0)])
    written: list[str] = []
    done = asyncio.Event()

    async def write(writer: int) -> None:
        service = services[writer % 2]
        for turn in range(TURNS):
            ids = [new_message_id(), new_message_id()]
            await service.append(
                BOB,
                f"c{writer}",
                [NewMessage(ids[0], "user", f"q{turn}", turn), NewMessage(ids[1], "assistant", f"a{turn}", turn)],
            )
            written.extend(ids)

    async def follow() -> list[str]:
        seen: list[str] = []
        last = first
        while True:
            finished = done.is_set()  # read before the page: a page read after it has everything
            page = await services[1].history(BOB, conversation_id="", limit=200, before="", after=last)
            seen.extend(m.id for m in page.messages)
            if page.messages:
                last = page.messages[-1].id
            elif finished:
                return seen
            else:
                await asyncio.sleep(0)

    # Several followers: each is a chance to read between two commits that came out of order.
    followers = [asyncio.create_task(follow()) for _ in range(FOLLOWERS)]
    await asyncio.gather(*(write(n) for n in range(WRITERS)))
    done.set()
    assert len(written) == WRITERS * TURNS * 2
    for seen in await asyncio.gather(*followers):
        assert sorted(seen) == sorted(written), f"missed {len(set(written) - set(seen))} messages"
