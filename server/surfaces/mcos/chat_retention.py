"""Chat retention (spec 003, "Data Retention"): purge archived messages.

Messages are archived as turns push them out of a conversation's newest
`retention.active_messages` (see `conversations`); this job deletes those
archived more than `retention.archive_days` ago. It runs in every server
process every `retention.interval` seconds: purging is a keyed delete, so
processes running it at once only repeat each other's no-ops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from server.platform.chat.conversation_store import ConversationStore
from server.platform.clock import Clock

log = logging.getLogger("chorus.mcos.retention")

DAY_MS = 86_400_000


class ChatRetention:
    def __init__(self, store: ConversationStore, clock: Clock, *, archive_days: float) -> None:
        self._store = store
        self._clock = clock
        self._archive_ms = int(archive_days * DAY_MS)

    async def run_once(self) -> int:
        """Purges what is due now; returns how many messages went."""
        return await self._store.purge_archived(cutoff_ms=self._clock.now_ms() - self._archive_ms)

    async def run_every(self, interval: float) -> None:
        """Runs until cancelled; a failed run is logged and retried next time."""
        while True:
            try:
                purged = await self.run_once()
            except Exception:
                log.exception("chat retention run failed")
            else:
                if purged:
                    log.info("chat retention purged %d archived messages", purged)
            await asyncio.sleep(interval)

    def start(self, interval: float) -> asyncio.Task[None]:
        return asyncio.create_task(self.run_every(interval), name="mcos-chat-retention")


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
