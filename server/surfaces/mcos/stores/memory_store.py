"""MCoS pinned memories, always scoped by tenant and owner.

A pin is one INSERT ... ON CONFLICT (tenant, owner, key) DO UPDATE, so
concurrent pins of one key leave one row on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, select, tuple_

from server.platform.scope import Scope
from server.platform.storage.database import Database, upsert_insert
from server.surfaces.mcos.stores.user_changes import ChangeWindow, change_of
from server.surfaces.mcos.stores.user_events import record_event
from server.surfaces.mcos.tables import McosMemoryRow

_memories = cast(Table, McosMemoryRow.__table__)


@dataclass(frozen=True, slots=True)
class MemoryRecord:
    id: str
    type: str
    key: str
    value: str
    category: str
    created_at_ms: int
    updated_at_ms: int


@dataclass(frozen=True, slots=True)
class MemoryPosition:
    """Where a page ended, in list order (most recently changed first, then id)."""

    updated_at_ms: int
    id: str


_COLUMNS = (
    _memories.c.id,
    _memories.c.type,
    _memories.c.key,
    _memories.c.value,
    _memories.c.category,
    _memories.c.created_at_ms,
    _memories.c.updated_at_ms,
)
_NEWEST_FIRST = (_memories.c.updated_at_ms.desc(), _memories.c.id.desc())


def _record(row: Any) -> MemoryRecord:
    return MemoryRecord(*row)


def _owned(scope: Scope) -> list[Any]:
    return [_memories.c.tenant_id == scope.tenant_id, _memories.c.owner_id == scope.owner_id]


class MemoryStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def pin(self, scope: Scope, memory: MemoryRecord) -> MemoryRecord:
        """Inserts `memory`, or updates the stored memory with its key (keeping that
        one's id and created_at); returns what is stored."""
        insert_for = upsert_insert(self._db.dialect)
        async with change_of(self._db, scope) as (conn, change):
            stmt = insert_for(_memories).values(
                tenant_id=scope.tenant_id, owner_id=scope.owner_id, change_seq=change, **_values(memory)
            )
            upsert = stmt.on_conflict_do_update(
                index_elements=["tenant_id", "owner_id", "key"],
                set_={
                    "type": stmt.excluded.type,
                    "value": stmt.excluded.value,
                    "category": stmt.excluded.category,
                    "updated_at_ms": stmt.excluded.updated_at_ms,
                    "change_seq": stmt.excluded.change_seq,
                },
            ).returning(*_COLUMNS)
            row = (await conn.execute(upsert)).one()
            await record_event(conn, scope, "memory.pinned", memory.key, memory.updated_at_ms)
        return _record(row)

    async def page(
        self, scope: Scope, *, type: str, category: str, after: MemoryPosition | None, limit: int
    ) -> list[MemoryRecord]:
        """Up to `limit` memories, most recently changed first; "" filters match all."""
        conditions = _owned(scope)
        if type:
            conditions.append(_memories.c.type == type)
        if category:
            conditions.append(_memories.c.category == category)
        if after is not None:
            conditions.append(tuple_(_memories.c.updated_at_ms, _memories.c.id) < (after.updated_at_ms, after.id))
        query = select(*_COLUMNS).where(*conditions).order_by(*_NEWEST_FIRST).limit(limit)
        rows = await self._db.fetch_all(query)
        return [_record(r) for r in rows]

    async def changed(self, scope: Scope, window: ChangeWindow, limit: int) -> list[MemoryRecord]:
        """Memories whose last change is in `window`, most recently changed first."""
        conditions = [*_owned(scope), *window.conditions(_memories.c.change_seq, _memories.c.updated_at_ms)]
        query = select(*_COLUMNS).where(*conditions).order_by(*_NEWEST_FIRST).limit(limit)
        rows = await self._db.fetch_all(query)
        return [_record(r) for r in rows]


def _values(memory: MemoryRecord) -> dict[str, Any]:
    return {
        "id": memory.id,
        "type": memory.type,
        "key": memory.key,
        "value": memory.value,
        "category": memory.category,
        "created_at_ms": memory.created_at_ms,
        "updated_at_ms": memory.updated_at_ms,
    }
