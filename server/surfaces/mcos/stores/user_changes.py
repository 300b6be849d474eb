"""Each MCoS user's change counter, so incremental state never misses a write.

Times cannot say what changed since a snapshot: two writes share a
millisecond, and a write stamped before a snapshot can commit after it. So
every write to a user's tasks (tombstones included), memories and
preferences takes the next number of that user's counter (`next_change`) in
its own transaction and stamps its rows with it (`change_seq`): such writes
go through `change_of`, which takes the number first.

Taking the number updates the user's counter row, which stays locked until
commit: the user's writers queue there (on SQLite the one writer does
anyway), so numbers commit in order. A reader that reads the counter first
(`UserChanges.latest`) then knows every change up to it is committed and
visible, and `ChangeWindow.between` selects exactly those after the last
number it saw. Writers take the number before any other row lock, so two
writers of one user cannot deadlock. Numbers may have gaps (a write that
turns out to change nothing still takes one).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Column, Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.platform.scope import Scope
from server.platform.storage.database import Database, upsert_insert
from server.surfaces.mcos.tables import McosUserChangeRow

_counters = cast(Table, McosUserChangeRow.__table__)


async def next_change(conn: AsyncConnection, scope: Scope) -> int:
    """Takes the user's next change number in `conn`'s transaction (call it
    before taking any other lock); the counter row stays locked until commit."""
    insert_for = upsert_insert(conn.dialect.name)
    stmt = insert_for(_counters).values(tenant_id=scope.tenant_id, owner_id=scope.owner_id, seq=1)
    bump = stmt.on_conflict_do_update(
        index_elements=["tenant_id", "owner_id"], set_={"seq": _counters.c.seq + 1}
    ).returning(_counters.c.seq)
    return int((await conn.execute(bump)).scalar_one())


async def forget_through(conn: AsyncConnection, scope: Scope, change: int, deleted_ms: int) -> None:
    """Records that the user's tombstones up to change number `change`, deleted up to
    `deleted_ms`, are purged (in the purge's transaction; the counter row exists: the
    tombstones' own writes made it)."""
    await conn.execute(
        update(_counters)
        .where(_counters.c.tenant_id == scope.tenant_id, _counters.c.owner_id == scope.owner_id)
        .values(
            forgotten_seq=func.max(_counters.c.forgotten_seq, change)
            if conn.dialect.name == "sqlite"
            else func.greatest(_counters.c.forgotten_seq, change),
            forgotten_before_ms=func.max(_counters.c.forgotten_before_ms, deleted_ms)
            if conn.dialect.name == "sqlite"
            else func.greatest(_counters.c.forgotten_before_ms, deleted_ms),
        )
    )


@contextlib.asynccontextmanager
async def change_of(db: Database, scope: Scope) -> AsyncIterator[tuple[AsyncConnection, int]]:
    """`db.write()` for one change to the user's tasks, memories or preferences,
    and the change number to stamp on the rows it writes (taken first, before
    any other lock)."""
    async with db.write() as conn:
        yield conn, await next_change(conn, scope)


@dataclass(frozen=True, slots=True)
class ChangeWindow:
    """Which changes a state read selects: all, those stamped after a time
    (the document's `since`), or those numbered after `after` up to `through`."""

    since_ms: int | None = None
    after: int | None = None
    through: int | None = None

    @classmethod
    def between(cls, after: int, through: int) -> ChangeWindow:
        return cls(after=after, through=through)

    def conditions(self, seq: Column[Any], stamped_ms: Column[Any]) -> list[Any]:
        """WHERE conditions on a table's change number and change time columns."""
        conditions = []
        if self.since_ms is not None:
            conditions.append(stamped_ms > self.since_ms)
        if self.after is not None:
            conditions.append(seq > self.after)
        if self.through is not None:
            conditions.append(seq <= self.through)
        return conditions

    @property
    def incremental(self) -> bool:
        return self.since_ms is not None or self.after is not None


ALL = ChangeWindow()


class UserChanges:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def latest(self, scope: Scope) -> int:
        """The user's last change number (0 before the first write)."""
        query = select(_counters.c.seq).where(
            _counters.c.tenant_id == scope.tenant_id, _counters.c.owner_id == scope.owner_id
        )
        async with self._db.engine.connect() as conn:
            return int((await conn.execute(query)).scalar() or 0)

    async def forgotten(self, scope: Scope) -> tuple[int, int]:
        """(change number, deletion time) up to which the user's tombstones were purged; (0, 0) if none."""
        query = select(_counters.c.forgotten_seq, _counters.c.forgotten_before_ms).where(
            _counters.c.tenant_id == scope.tenant_id, _counters.c.owner_id == scope.owner_id
        )
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return (int(row[0]), int(row[1])) if row is not None else (0, 0)
