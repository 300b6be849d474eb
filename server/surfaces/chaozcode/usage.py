"""Persisted usage: calls and tokens per user, UTC day, endpoint and model.

Counts gather in the process and are written every `flush_interval` seconds,
one transaction of atomic upserts (`calls = calls + n`) per batch, so replicas
sharing a database never lose a count and the numbers outlive any rate-limit
window. One write per call cost two thirds of a simple call's throughput on
SQLite (the writer is serialised). Reads write this process's pending counts
first, so they are exact here and at most `flush_interval` behind other
replicas. Shutdown writes what is pending. Costs come from the catalog's prices.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.platform.completion import run_to_completion
from server.platform.storage.database import Database, upsert_insert
from server.surfaces.chaozcode.tables import UsageRow

_usage = cast(Table, UsageRow.__table__)
_KEY = ["tenant_id", "user_id", "day", "endpoint", "model"]
DEFAULT_FLUSH_INTERVAL = 0.5
log = logging.getLogger("chorus.chaozcode.usage")
# (tenant, user, day, endpoint, model) -> [calls, prompt tokens, completion tokens]
_Pending = defaultdict[tuple[str, str, str, str, str], list[int]]


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


def _pending() -> _Pending:
    return defaultdict(lambda: [0, 0, 0])


# Runs in the transaction that writes a batch: the (tenant, user, day) counts it changed.
AfterWrite = Callable[[AsyncConnection, set[tuple[str, str, str]]], Awaitable[None]]


class UsageStore:
    def __init__(self, db: Database, flush_interval: float = DEFAULT_FLUSH_INTERVAL) -> None:
        self._db = db
        self.after_write: AfterWrite | None = None
        self._interval = flush_interval
        insert = upsert_insert(db.dialect)(_usage)
        self._upsert = insert.on_conflict_do_update(
            index_elements=_KEY,
            set_={
                "calls": _usage.c.calls + insert.excluded.calls,
                "prompt_tokens": _usage.c.prompt_tokens + insert.excluded.prompt_tokens,
                "completion_tokens": _usage.c.completion_tokens + insert.excluded.completion_tokens,
            },
        )
        self._pending = _pending()
        self._writing = asyncio.Lock()
        self._flusher: asyncio.Task[None] | None = None

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
        counts = self._pending[(tenant_id, user_id, day_of(at_ms), endpoint, model)]
        counts[0] += calls
        counts[1] += prompt_tokens
        counts[2] += completion_tokens
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush_every_interval())

    async def _flush_every_interval(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.flush()
            except Exception:  # kept pending; the next round tries again
                log.exception("could not write usage counts")

    async def flush(self) -> None:
        """Writes the pending counts in one transaction; on failure they stay pending."""
        async with self._writing:
            batch, self._pending = self._pending, _pending()
            if not batch:
                return
            rows = [
                {
                    "tenant_id": tenant_id,
                    "user_id": user_id,
                    "day": day,
                    "endpoint": endpoint,
                    "model": model,
                    "calls": calls,
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                }
                # Sorted: concurrent writers on PostgreSQL lock rows in one order.
                for (tenant_id, user_id, day, endpoint, model), (calls, prompt, completion) in sorted(batch.items())
            ]
            # Once started the write finishes (a cancelled reader must not lose or double a count).
            await run_to_completion(self._write(batch, rows))

    async def _write(self, batch: _Pending, rows: list[dict[str, object]]) -> None:
        try:
            async with self._db.write() as conn:
                await conn.execute(self._upsert, rows)
                if self.after_write is not None:
                    await self.after_write(
                        conn, {(str(r["tenant_id"]), str(r["user_id"]), str(r["day"])) for r in rows}
                    )
        except Exception:
            for key, (calls, prompt, completion) in batch.items():
                counts = self._pending[key]
                counts[0] += calls
                counts[1] += prompt
                counts[2] += completion
            raise

    async def aclose(self) -> None:
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
            self._flusher = None
        await self.flush()

    async def calls_on(self, tenant_id: str, user_id: str, day: str) -> int:
        """Calls the user made on `day`, every endpoint."""
        await self.flush()
        query = select(func.coalesce(func.sum(_usage.c.calls), 0)).where(
            _usage.c.tenant_id == tenant_id, _usage.c.user_id == user_id, _usage.c.day == day, _usage.c.model == ""
        )
        async with self._db.session() as session:
            return int((await session.execute(query)).scalar_one())

    async def lines(self, tenant_id: str, user_id: str, first_day: str, last_day: str) -> list[UsageLine]:
        await self.flush()
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
