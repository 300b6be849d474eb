"""Chat retention (spec 003, "Data Retention"): purge archived messages.

Messages are archived as turns push them out of a conversation's newest
`retention.active_messages` (see `conversations`); this job deletes those
archived more than `retention.archive_days` ago. It runs as the platform job
`mcos.chat_retention` (see `retention_jobs`): purging is a keyed delete, so a
run repeated after a lost lease only repeats no-ops.
"""

from __future__ import annotations

from server.platform.chat.conversation_store import ConversationStore
from server.platform.clock import Clock

DAY_MS = 86_400_000


class ChatRetention:
    def __init__(self, store: ConversationStore, clock: Clock, *, archive_days: float) -> None:
        self._store = store
        self._clock = clock
        self._archive_ms = int(archive_days * DAY_MS)

    async def run_once(self) -> int:
        """Purges what is due now; returns how many messages went."""
        return await self._store.purge_archived(cutoff_ms=self._clock.now_ms() - self._archive_ms)
