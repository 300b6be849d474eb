"""`usage.threshold`: a user's calls of the day reached `chaozcode.usage_threshold` of
the plan's daily limit.

Checked in the transaction that writes usage counts (`UsageStore.after_write`),
on the day's total then. The event's id is derived from the user and the day, and
recorded in `chaozcode_events` first with ON CONFLICT DO NOTHING: whichever
process's write first sees the total past the threshold emits it, the others'
inserts are no-ops, so it is emitted once a day however the writes race.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import orjson
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.platform.clock import Clock
from server.platform.storage.database import upsert_insert
from server.platform.storage.tables import UserRow
from server.surfaces.chaozcode.events import USAGE_THRESHOLD, ChaozCodeEvents
from server.surfaces.chaozcode.tables import EventRow, UsageRow


class UsageThreshold:
    def __init__(
        self, events: ChaozCodeEvents, daily_limit: Callable[[str], int | None], fraction: float, clock: Clock
    ) -> None:
        self._events = events
        self._daily_limit = daily_limit
        self._fraction = fraction
        self._clock = clock

    async def __call__(self, conn: AsyncConnection, changed: set[tuple[str, str, str]]) -> None:
        for tenant_id, user_id, day in sorted(changed):
            totals = await conn.execute(
                select(UserRow.plan, func.coalesce(func.sum(UsageRow.calls), 0))
                .join(UsageRow, (UsageRow.tenant_id == UserRow.tenant_id) & (UsageRow.user_id == UserRow.id))
                .where(
                    UserRow.tenant_id == tenant_id,
                    UserRow.id == user_id,
                    UsageRow.day == day,
                    UsageRow.model == "",
                )
                .group_by(UserRow.plan)
            )
            found = totals.first()
            if found is None:
                continue
            plan, calls = str(found[0]), int(found[1])
            limit = self._daily_limit(plan)
            if not limit or calls < self._fraction * limit:
                continue
            await self._emit_once(conn, tenant_id, user_id, day, plan, calls, limit)

    async def _emit_once(
        self, conn: AsyncConnection, tenant_id: str, user_id: str, day: str, plan: str, calls: int, limit: int
    ) -> None:
        digest = hashlib.sha256(f"{USAGE_THRESHOLD}:{tenant_id}:{user_id}:{day}".encode()).hexdigest()
        event_id = "evt_" + digest[:24]
        data = {
            "userId": user_id,
            "plan": plan,
            "day": day,
            "calls": calls,
            "limit": limit,
            "threshold": self._fraction,
        }
        recorded = await conn.execute(
            upsert_insert(conn.dialect.name)(EventRow)
            .values(
                id=event_id,
                tenant_id=tenant_id,
                owner_id=user_id,
                type=USAGE_THRESHOLD,
                subject=f"usage:{day}",
                data=orjson.dumps(data).decode(),
                created_at_ms=self._clock.now_ms(),
            )
            .on_conflict_do_nothing(index_elements=["id"])
        )
        if recorded.rowcount:
            await self._events.emit(conn, user_id, USAGE_THRESHOLD, data, event_id)
