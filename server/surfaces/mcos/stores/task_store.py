"""MCoS tasks and their tag index, always scoped by tenant and owner.

A deleted task stays as a tombstone (see `McosTaskRow`); only
`deleted` reads tombstones, every other read skips them. Every write takes
the owner's next change number first (see `user_changes`) and writes its
entry in the owner's event log (`user_events`) in the same transaction.

Retention (spec 003: completed tasks are kept 1 year): `expire_completed`
turns a task completed before the cutoff into a tombstone, so clients
following `since`/`cursor` learn it is gone; `purge_tombstones` deletes
tombstones older than their window and records, on the owner's counter, the
newest change and time it forgot, so a cursor that might need them is
refused instead of silently missing a deletion (see `user_state`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, delete, exists, func, insert, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.platform.scope import Scope
from server.platform.storage.database import Database
from server.surfaces.mcos.stores.user_changes import ChangeWindow, change_of, forget_through
from server.surfaces.mcos.stores.user_events import record_event
from server.surfaces.mcos.tables import McosTaskRow, McosTaskTagRow

_tasks = cast(Table, McosTaskRow.__table__)
_tags = cast(Table, McosTaskTagRow.__table__)


@dataclass(frozen=True, slots=True)
class TaskRecord:
    id: str
    title: str
    status: str
    priority: str
    due_ms: int | None
    tags: tuple[str, ...]
    completed_at_ms: int | None
    created_at_ms: int
    updated_at_ms: int


@dataclass(frozen=True, slots=True)
class TaskFilter:
    status: str | None = None
    due_before_ms: int | None = None  # due strictly before
    due_after_ms: int | None = None  # due at or after
    tags: tuple[str, ...] = ()  # has every one


@dataclass(frozen=True, slots=True)
class TaskPosition:
    """Where a page ended, in list order (due, NULL last; created; id)."""

    due_ms: int | None
    created_at_ms: int
    id: str


_COLUMNS = (
    _tasks.c.id,
    _tasks.c.title,
    _tasks.c.status,
    _tasks.c.priority,
    _tasks.c.due_at_ms,
    _tasks.c.tags,
    _tasks.c.completed_at_ms,
    _tasks.c.created_at_ms,
    _tasks.c.updated_at_ms,
)


# One live task, built once for `Database.fetch_one`.
_GET = select(*_COLUMNS).where(
    _tasks.c.tenant_id == bindparam("tenant_id"),
    _tasks.c.owner_id == bindparam("owner_id"),
    _tasks.c.deleted_at_ms.is_(None),
    _tasks.c.id == bindparam("task_id"),
)


def _record(row: Any) -> TaskRecord:
    return TaskRecord(row[0], row[1], row[2], row[3], row[4], tuple(row[5]), row[6], row[7], row[8])


def _owned(scope: Scope) -> tuple[Any, ...]:
    return (_tasks.c.tenant_id == scope.tenant_id, _tasks.c.owner_id == scope.owner_id)


def _live(scope: Scope) -> tuple[Any, ...]:
    return (*_owned(scope), _tasks.c.deleted_at_ms.is_(None))


def _one(scope: Scope, task_id: str) -> tuple[Any, ...]:
    return (*_live(scope), _tasks.c.id == task_id)


def _has_tag(tag: str) -> Any:
    return exists().where(
        _tags.c.tenant_id == _tasks.c.tenant_id,
        _tags.c.owner_id == _tasks.c.owner_id,
        _tags.c.tag == tag,
        _tags.c.task_id == _tasks.c.id,
    )


def _after(position: TaskPosition) -> Any:
    due, created, task_id = _tasks.c.due_at_ms, _tasks.c.created_at_ms, _tasks.c.id
    if position.due_ms is None:
        return and_(due.is_(None), tuple_(created, task_id) > (position.created_at_ms, position.id))
    # A plain tuple takes the columns' types (BIGINT), which PostgreSQL needs for epoch ms.
    later = tuple_(due, created, task_id) > (position.due_ms, position.created_at_ms, position.id)
    return or_(and_(due.is_not(None), later), due.is_(None))


def _conditions(scope: Scope, where: TaskFilter, after: TaskPosition | None) -> list[Any]:
    conditions = list(_live(scope))
    if where.status is not None:
        conditions.append(_tasks.c.status == where.status)
    if where.due_before_ms is not None:
        conditions.append(_tasks.c.due_at_ms < where.due_before_ms)
    if where.due_after_ms is not None:
        conditions.append(_tasks.c.due_at_ms >= where.due_after_ms)
    conditions.extend(_has_tag(tag) for tag in where.tags)
    if after is not None:
        conditions.append(_after(after))
    return conditions


async def _write_tags(conn: AsyncConnection, scope: Scope, task_id: str, tags: Sequence[str]) -> None:
    await conn.execute(
        delete(_tags).where(
            _tags.c.tenant_id == scope.tenant_id, _tags.c.owner_id == scope.owner_id, _tags.c.task_id == task_id
        )
    )
    if tags:
        await conn.execute(
            insert(_tags),
            [{"tenant_id": scope.tenant_id, "owner_id": scope.owner_id, "tag": t, "task_id": task_id} for t in tags],
        )


def _values(task: TaskRecord) -> dict[str, Any]:
    return {
        "title": task.title,
        "status": task.status,
        "priority": task.priority,
        "due_at_ms": task.due_ms,
        "tags": list(task.tags),
        "completed_at_ms": task.completed_at_ms,
        "updated_at_ms": task.updated_at_ms,
    }


class TaskStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def insert(self, scope: Scope, task: TaskRecord) -> None:
        async with change_of(self._db, scope) as (conn, change):
            await conn.execute(
                insert(_tasks).values(
                    tenant_id=scope.tenant_id,
                    owner_id=scope.owner_id,
                    id=task.id,
                    created_at_ms=task.created_at_ms,
                    deleted_at_ms=None,
                    change_seq=change,
                    **_values(task),
                )
            )
            await _write_tags(conn, scope, task.id, task.tags)
            await record_event(conn, scope, "task.created", task.id, task.created_at_ms, {"status": task.status})

    async def get(self, scope: Scope, task_id: str) -> TaskRecord | None:
        params = {"tenant_id": scope.tenant_id, "owner_id": scope.owner_id, "task_id": task_id}
        row = await self._db.fetch_one(_GET, params)
        return _record(row) if row is not None else None

    async def page(self, scope: Scope, where: TaskFilter, after: TaskPosition | None, limit: int) -> list[TaskRecord]:
        """Up to `limit` tasks in list order, after `after`."""
        query = (
            select(*_COLUMNS)
            .where(*_conditions(scope, where, after))
            .order_by(_tasks.c.due_at_ms.is_(None), _tasks.c.due_at_ms, _tasks.c.created_at_ms, _tasks.c.id)
            .limit(limit)
        )
        rows = await self._db.fetch_all(query)
        return [_record(r) for r in rows]

    async def update(self, scope: Scope, task_id: str, change: Callable[[TaskRecord], TaskRecord]) -> TaskRecord | None:
        """Reads, `change`s and writes back one live task in one transaction (the row
        locked where the database can); None when there is none. `change` may raise
        to abort, and may return its argument to write nothing."""
        async with change_of(self._db, scope) as (conn, number):
            row = (await conn.execute(select(*_COLUMNS).where(*_one(scope, task_id)).with_for_update())).first()
            if row is None:
                return None
            current = _record(row)
            changed = change(current)
            if changed is current:
                return current
            await conn.execute(
                update(_tasks).where(*_one(scope, task_id)).values(**_values(changed), change_seq=number)
            )
            if changed.tags != current.tags:
                await _write_tags(conn, scope, task_id, changed.tags)
            fields = sorted(k for k, v in _values(changed).items() if v != _values(current)[k] and k != "updated_at_ms")
            await record_event(conn, scope, "task.updated", task_id, changed.updated_at_ms, {"fields": fields})
        return changed

    async def delete(self, scope: Scope, task_id: str, now_ms: int) -> bool:
        """Leaves a tombstone with no content; False when no live task has this id."""
        async with change_of(self._db, scope) as (conn, change):
            result = await conn.execute(
                update(_tasks)
                .where(*_one(scope, task_id))
                .values(title="", tags=[], deleted_at_ms=now_ms, updated_at_ms=now_ms, change_seq=change)
            )
            if not result.rowcount:
                return False
            await _write_tags(conn, scope, task_id, ())
            await record_event(conn, scope, "task.deleted", task_id, now_ms)
        return True

    async def changed(self, scope: Scope, window: ChangeWindow, limit: int) -> list[TaskRecord]:
        """Live tasks whose last change is in `window`, most recently changed first."""
        conditions = [*_live(scope), *window.conditions(_tasks.c.change_seq, _tasks.c.updated_at_ms)]
        query = (
            select(*_COLUMNS)
            .where(*conditions)
            .order_by(_tasks.c.updated_at_ms.desc(), _tasks.c.id.desc())
            .limit(limit)
        )
        rows = await self._db.fetch_all(query)
        return [_record(r) for r in rows]

    async def deleted(self, scope: Scope, window: ChangeWindow, limit: int) -> list[tuple[str, int]]:
        """(id, deleted at) of tasks deleted in `window`, latest first."""
        # A tombstone's last change is its deletion: the `updated` and `change` indexes serve this.
        in_window = window.conditions(_tasks.c.change_seq, _tasks.c.updated_at_ms)
        query = (
            select(_tasks.c.id, _tasks.c.deleted_at_ms)
            .where(*_owned(scope), *in_window, _tasks.c.deleted_at_ms.is_not(None))
            .order_by(_tasks.c.updated_at_ms.desc(), _tasks.c.id.desc())
            .limit(limit)
        )
        rows = await self._db.fetch_all(query)
        return [(r[0], r[1]) for r in rows]

    async def expire_completed(self, completed_before_ms: int, now_ms: int, batch: int = 500) -> int:
        """Turns live tasks completed before `completed_before_ms` into tombstones
        (deleted at `now_ms`), one owner's at a time; returns how many."""
        expired = 0
        while True:
            due = (
                select(_tasks.c.tenant_id, _tasks.c.owner_id)
                .where(
                    _tasks.c.deleted_at_ms.is_(None),
                    _tasks.c.status == "completed",
                    _tasks.c.completed_at_ms < completed_before_ms,
                )
                .limit(1)
            )
            async with self._db.engine.connect() as conn:
                owner = (await conn.execute(due)).first()
            if owner is None:
                return expired
            scope = Scope(owner[0], owner[1])
            async with change_of(self._db, scope) as (conn, change):
                ids = (
                    (
                        await conn.execute(
                            select(_tasks.c.id)
                            .where(*_live(scope), _tasks.c.status == "completed")
                            .where(_tasks.c.completed_at_ms < completed_before_ms)
                            .limit(batch)
                        )
                    )
                    .scalars()
                    .all()
                )
                await conn.execute(
                    update(_tasks)
                    .where(*_owned(scope), _tasks.c.id.in_(ids))
                    .values(title="", tags=[], deleted_at_ms=now_ms, updated_at_ms=now_ms, change_seq=change)
                )
                await conn.execute(
                    delete(_tags).where(
                        _tags.c.tenant_id == scope.tenant_id,
                        _tags.c.owner_id == scope.owner_id,
                        _tags.c.task_id.in_(ids),
                    )
                )
            expired += len(ids)

    async def purge_tombstones(self, deleted_before_ms: int) -> int:
        """Deletes tombstones of tasks deleted before `deleted_before_ms`, one owner's at a
        time, recording what each owner's cursors can no longer be answered for; returns how many."""
        purged = 0
        while True:
            due = (
                select(_tasks.c.tenant_id, _tasks.c.owner_id)
                .where(_tasks.c.deleted_at_ms.is_not(None), _tasks.c.deleted_at_ms < deleted_before_ms)
                .limit(1)
            )
            async with self._db.engine.connect() as conn:
                owner = (await conn.execute(due)).first()
            if owner is None:
                return purged
            scope = Scope(owner[0], owner[1])
            async with self._db.write() as conn:
                gone = and_(
                    *_owned(scope), _tasks.c.deleted_at_ms.is_not(None), _tasks.c.deleted_at_ms < deleted_before_ms
                )
                newest = (
                    await conn.execute(
                        select(func.max(_tasks.c.change_seq), func.max(_tasks.c.deleted_at_ms)).where(gone)
                    )
                ).one()
                if newest[0] is None:
                    continue
                # The counter row first, as writers take it (see `user_changes`).
                await forget_through(conn, scope, int(newest[0]), int(newest[1]))
                result = await conn.execute(delete(_tasks).where(gone, _tasks.c.change_seq <= newest[0]))
            purged += int(result.rowcount or 0)
