"""The MCoS user's pinned memories (spec 003, "Memory Management"); surface-agnostic.

A memory's key is unique per user: pinning a known key again updates its
type, value and category in place (same id and created_at).
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass

from server.platform.clock import Clock
from server.platform.scope import Scope
from server.platform.storage.database import Database
from server.platform.validation import Violations
from server.surfaces.mcos.record_fields import checked_limit, checked_text, decode_cursor, encode_cursor, new_id
from server.surfaces.mcos.stores.memory_store import MemoryPosition, MemoryRecord, MemoryStore
from server.surfaces.mcos.stores.user_changes import ChangeWindow

__all__ = ["MemoryPage", "MemoryRecord", "MemoryService"]

MAX_TYPE = 50
MAX_KEY = 200
MAX_VALUE = 10_000
MAX_CATEGORY = 50
DEFAULT_LIMIT = 100
MAX_LIMIT = 500


@dataclass(frozen=True, slots=True)
class MemoryPage:
    memories: list[MemoryRecord]
    next_cursor: str  # "" on the last page


class MemoryService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._store = MemoryStore(db)
        self._clock = clock

    async def pin(self, owner: Scope, *, type: str, key: str, value: str, category: str = "") -> MemoryRecord:
        problems = Violations()
        type = checked_text(problems, "type", type, 1, MAX_TYPE)
        key = checked_text(problems, "key", key, 1, MAX_KEY)
        if not isinstance(value, str) or not value.strip():
            problems.add("value", "Required")
        else:
            problems.length("value", value, 1, MAX_VALUE)
        category = checked_text(problems, "category", category or "", 0, MAX_CATEGORY)
        problems.raise_if_any("Invalid memory")
        now = self._clock.now_ms()
        return await self._store.pin(owner, MemoryRecord(new_id("mem_"), type, key, value, category, now, now))

    async def list(
        self, owner: Scope, *, type: str = "", category: str = "", limit: int = DEFAULT_LIMIT, cursor: str = ""
    ) -> MemoryPage:
        problems = Violations()
        limit = checked_limit(problems, limit, MAX_LIMIT)
        after = None
        if cursor:
            position = decode_cursor(problems, cursor, (int, str))
            after = MemoryPosition(*position) if position is not None else None
        problems.raise_if_any("Invalid memory query")
        found = await self._store.page(
            owner, type=type.strip(), category=category.strip(), after=after, limit=limit + 1
        )
        page = found[:limit]
        more = len(found) > limit
        return MemoryPage(page, encode_cursor([page[-1].updated_at_ms, page[-1].id]) if more else "")

    async def changed(self, owner: Scope, window: ChangeWindow, limit: int) -> builtins.list[MemoryRecord]:
        """Memories whose last change is in `window`, most recently changed first."""
        return await self._store.changed(owner, window, limit)
