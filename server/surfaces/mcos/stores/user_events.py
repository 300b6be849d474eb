"""Each MCoS user's event log (spec 003, "Data Retention": kept 30 days).

Every change to a user's tasks, memories or preferences writes its entry with
`record_event` on the change's own connection, so the entry exists exactly
when the change does; a tool call the assistant runs for the user writes one
when it ends. Retention (`purge`) deletes entries older than the window.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.platform.agent.tool_box import AssistantTool
from server.platform.clock import Clock
from server.platform.scope import Scope
from server.platform.storage.database import Database
from server.surfaces.mcos.tables import McosUserEventRow

log = logging.getLogger("chorus.mcos.events")

_events = cast(Table, McosUserEventRow.__table__)


@dataclass(frozen=True, slots=True)
class UserEvent:
    at_ms: int
    kind: str
    subject: str
    detail: dict[str, Any]


async def record_event(
    conn: AsyncConnection, scope: Scope, kind: str, subject: str, at_ms: int, detail: dict[str, Any] | None = None
) -> None:
    await conn.execute(
        insert(_events).values(
            tenant_id=scope.tenant_id,
            owner_id=scope.owner_id,
            at_ms=at_ms,
            kind=kind,
            subject=subject[:200],
            detail=detail or {},
        )
    )


class UserEvents:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(self, scope: Scope, kind: str, subject: str, at_ms: int, detail: dict[str, Any]) -> None:
        async with self._db.write() as conn:
            await record_event(conn, scope, kind, subject, at_ms, detail)

    async def recent(self, scope: Scope, limit: int = 100) -> list[UserEvent]:
        """The user's newest entries, oldest first."""
        query = (
            select(_events.c.at_ms, _events.c.kind, _events.c.subject, _events.c.detail)
            .where(_events.c.tenant_id == scope.tenant_id, _events.c.owner_id == scope.owner_id)
            .order_by(_events.c.seq.desc())
            .limit(limit)
        )
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [UserEvent(*row) for row in reversed(rows)]

    async def purge(self, before_ms: int, batch: int = 1000) -> int:
        """Deletes entries older than `before_ms`, `batch` at a time; returns how many."""
        purged = 0
        while True:
            async with self._db.write() as conn:
                oldest = select(_events.c.seq).where(_events.c.at_ms < before_ms).limit(batch)
                result = await conn.execute(delete(_events).where(_events.c.seq.in_(oldest.scalar_subquery())))
            count = int(result.rowcount or 0)
            purged += count
            if count < batch:
                return purged


def logged_tool(tool: AssistantTool, events: UserEvents, clock: Clock) -> AssistantTool:
    """`tool`, writing a `tool.called` entry (its name and whether it succeeded) when a call ends."""
    run = tool.run

    async def logged(scope: Scope, args: dict[str, Any]) -> Any:
        succeeded = False
        try:
            result = await run(scope, args)
            succeeded = True
            return result
        finally:
            try:
                await events.record(scope, "tool.called", tool.spec.name, clock.now_ms(), {"ok": succeeded})
            except Exception:
                log.exception("could not log the %s tool call", tool.spec.name)

    return dataclasses.replace(tool, run=logged)
