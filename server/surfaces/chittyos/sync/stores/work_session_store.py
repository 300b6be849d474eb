"""AI work sessions, scoped by tenant.

Whether a session is active depends on the time of reading, so it is never
stored: callers pass the cut-off (`active_since_ms`) and rows answer for it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, case, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from server.platform.storage.database import Database
from server.surfaces.chittyos.sync.tables import WorkSessionRow

_sessions = cast(Table, WorkSessionRow.__table__)


@dataclass(frozen=True, slots=True)
class WorkSessionRecord:
    id: str
    project_id: str
    ai_platform: str
    machine_id: str
    metadata: dict[str, Any]
    paused: bool
    created_at_ms: int
    last_activity_ms: int
    ended_at_ms: int | None

    def active(self, active_since_ms: int) -> bool:
        return self.ended_at_ms is None and not self.paused and self.last_activity_ms >= active_since_ms


class Touch(enum.Enum):
    """What happened to a session a write wanted to touch."""

    TOUCHED = "touched"
    MISSING = "missing"
    ENDED = "ended"


_COLUMNS = (
    _sessions.c.id,
    _sessions.c.project_id,
    _sessions.c.ai_platform,
    _sessions.c.machine_id,
    _sessions.c.metadata_json,
    _sessions.c.paused,
    _sessions.c.created_at_ms,
    _sessions.c.last_activity_ms,
    _sessions.c.ended_at_ms,
)


def _record(row: Any) -> WorkSessionRecord:
    return WorkSessionRecord(row[0], row[1], row[2], row[3], dict(row[4]), bool(row[5]), row[6], row[7], row[8])


def _one(tenant_id: str, session_id: str) -> tuple[Any, Any]:
    return _sessions.c.tenant_id == tenant_id, _sessions.c.id == session_id


async def touch_session(conn: AsyncConnection, tenant_id: str, session_id: str, now_ms: int) -> Touch:
    """Records activity of a session inside the caller's transaction (a todo sync is a heartbeat)."""
    result = await conn.execute(
        update(_sessions)
        .where(*_one(tenant_id, session_id), _sessions.c.ended_at_ms.is_(None))
        .values(
            last_activity_ms=case((_sessions.c.last_activity_ms < now_ms, now_ms), else_=_sessions.c.last_activity_ms)
        )
    )
    if result.rowcount:
        return Touch.TOUCHED
    exists = (await conn.execute(select(_sessions.c.id).where(*_one(tenant_id, session_id)))).first()
    return Touch.ENDED if exists is not None else Touch.MISSING


class WorkSessionStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def insert(self, tenant_id: str, session: WorkSessionRecord) -> bool:
        """False when the tenant already has a session with this id (ended or not)."""
        try:
            async with self._db.write() as conn:
                await conn.execute(
                    insert(_sessions).values(
                        tenant_id=tenant_id,
                        id=session.id,
                        project_id=session.project_id,
                        ai_platform=session.ai_platform,
                        machine_id=session.machine_id,
                        metadata_json=session.metadata,
                        paused=session.paused,
                        created_at_ms=session.created_at_ms,
                        last_activity_ms=session.last_activity_ms,
                        ended_at_ms=session.ended_at_ms,
                    )
                )
        except IntegrityError:
            return False
        return True

    async def get(self, tenant_id: str, session_id: str) -> WorkSessionRecord | None:
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(select(*_COLUMNS).where(*_one(tenant_id, session_id)))).first()
        return _record(row) if row is not None else None

    async def page(
        self, tenant_id: str, limit: int, offset: int, active_since_ms: int
    ) -> tuple[list[WorkSessionRecord], int, int]:
        """Oldest first, with the tenant's total and active counts."""
        async with self._db.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(*_COLUMNS)
                    .where(_sessions.c.tenant_id == tenant_id)
                    .order_by(_sessions.c.created_at_ms, _sessions.c.id)
                    .limit(limit)
                    .offset(offset)
                )
            ).all()
            total, active = await _counts(conn, tenant_id, active_since_ms)
        return [_record(r) for r in rows], total, active

    async def counts(self, tenant_id: str, active_since_ms: int) -> tuple[int, int]:
        """(every session, active sessions)."""
        async with self._db.engine.connect() as conn:
            return await _counts(conn, tenant_id, active_since_ms)

    async def heartbeat(
        self,
        tenant_id: str,
        session_id: str,
        now_ms: int,
        active: bool | None,
        change_metadata: Callable[[dict[str, Any]], dict[str, Any]],
    ) -> Touch:
        """Sets last activity (never backwards), `paused` when `active` is given, and the
        metadata `change_metadata` makes of the stored one, in one transaction."""
        where = _one(tenant_id, session_id)
        async with self._db.write() as conn:
            row = (await conn.execute(select(*_COLUMNS).where(*where).with_for_update())).first()
            if row is None:
                return Touch.MISSING
            current = _record(row)
            if current.ended_at_ms is not None:
                return Touch.ENDED
            values: dict[str, Any] = {
                "last_activity_ms": max(current.last_activity_ms, now_ms),
                "metadata_json": change_metadata(current.metadata),
            }
            if active is not None:
                values["paused"] = not active
            await conn.execute(update(_sessions).where(*where).values(**values))
        return Touch.TOUCHED

    async def end(self, tenant_id: str, session_id: str, now_ms: int) -> int | None:
        """Ends a session; answers when it ended (the first time, if it already had), or
        None when there is no such session."""
        where = _one(tenant_id, session_id)
        async with self._db.write() as conn:
            await conn.execute(
                update(_sessions).where(*where, _sessions.c.ended_at_ms.is_(None)).values(ended_at_ms=now_ms)
            )
            ended: int | None = await conn.scalar(select(_sessions.c.ended_at_ms).where(*where))
        return ended


async def _counts(conn: AsyncConnection, tenant_id: str, active_since_ms: int) -> tuple[int, int]:
    is_active = (
        _sessions.c.ended_at_ms.is_(None)
        & _sessions.c.paused.is_(False)
        & (_sessions.c.last_activity_ms >= active_since_ms)
    )
    row = (
        await conn.execute(
            select(func.count(), func.count().filter(is_active)).where(_sessions.c.tenant_id == tenant_id)
        )
    ).one()
    return int(row[0]), int(row[1])
