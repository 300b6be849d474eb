"""Persisted usage: calls and tokens per user, UTC day, endpoint and model.

Counted in the database with one atomic upsert per record (`calls = calls +
1`), so replicas sharing a database never lose a count, and the numbers
outlive any rate-limit window. Costs come from the catalog's prices.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import Table, func, select

from server.platform.storage.database import Database, upsert_insert
from server.surfaces.chaozcode.tables import UsageRow

_usage = cast(Table, UsageRow.__table__)
_KEY = ["tenant_id", "user_id", "day", "endpoint", "model"]


def day_of(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).date().isoformat()


def next_midnight_ms(ms: int) -> int:
    day = datetime.fromtimestamp(ms / 1000, UTC).date() + timedelta(days=1)
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


@dataclass(frozen=True, slots=True)
class UsageLine:
    day: str
    endpoint: str
    model: str
    calls: int
    prompt_tokens: int
    completion_tokens: int


class UsageStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._insert = upsert_insert(db.dialect)

    async def add(
        self,
        tenant_id: str,
        user_id: str,
        at_ms: int,
        endpoint: str,
        model: str = "",
        *,
        calls: int = 1,
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
    ) -> None:
        stmt = self._insert(_usage).values(
            tenant_id=tenant_id,
            user_id=user_id,
            day=day_of(at_ms),
            endpoint=endpoint,
            model=model,
            calls=calls,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=_KEY,
            set_={
                "calls": _usage.c.calls + stmt.excluded.calls,
                "prompt_tokens": _usage.c.prompt_tokens + stmt.excluded.prompt_tokens,
                "completion_tokens": _usage.c.completion_tokens + stmt.excluded.completion_tokens,
            },
        )
        async with self._db.write() as conn:
            await conn.execute(stmt)

    async def calls_on(self, tenant_id: str, user_id: str, day: str) -> int:
        """Calls the user made on `day`, every endpoint."""
        query = select(func.coalesce(func.sum(_usage.c.calls), 0)).where(
            _usage.c.tenant_id == tenant_id, _usage.c.user_id == user_id, _usage.c.day == day, _usage.c.model == ""
        )
        async with self._db.session() as session:
            return int((await session.execute(query)).scalar_one())

    async def lines(self, tenant_id: str, user_id: str, first_day: str, last_day: str) -> list[UsageLine]:
        query = (
            select(_usage)
            .where(
                _usage.c.tenant_id == tenant_id,
                _usage.c.user_id == user_id,
                _usage.c.day >= first_day,
                _usage.c.day <= last_day,
            )
            .order_by(_usage.c.day, _usage.c.endpoint, _usage.c.model)
        )
        async with self._db.session() as session:
            rows = (await session.execute(query)).all()
        return [UsageLine(r.day, r.endpoint, r.model, r.calls, r.prompt_tokens, r.completion_tokens) for r in rows]
