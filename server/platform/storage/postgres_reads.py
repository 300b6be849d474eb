"""PostgreSQL reads straight on asyncpg: a pool of its own, prepared statements.

SQLAlchemy over asyncpg adds a greenlet switch, its pool's checkout (with a
ping) and its row wrapping to every statement. Here a read is one `fetch` on
a pooled asyncpg connection, which prepares each distinct SQL text once per
connection and reuses it.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine.url import make_url

_POOL_MIN = 1
_POOL_MAX = 10


def asyncpg_dsn(url: str) -> str:
    """The libpq-style DSN asyncpg takes, from a SQLAlchemy URL (postgresql+asyncpg://…)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _json_codecs(conn: asyncpg.Connection) -> None:
    """JSON columns decoded as SQLAlchemy's asyncpg dialect decodes them (it sets the same codecs)."""
    for name in ("json", "jsonb"):
        await conn.set_type_codec(name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


class PostgresReads:
    def __init__(self, url: str) -> None:
        self._dsn = asyncpg_dsn(url)
        self._pool: asyncpg.Pool | None = None
        self._opening: asyncio.Lock | None = None

    async def fetch(self, sql: str, args: tuple[Any, ...]) -> list[Any]:
        pool = self._pool or await self._open()
        async with pool.acquire() as conn:
            return await conn.fetch(sql, *args)

    async def _open(self) -> asyncpg.Pool:
        if self._opening is None:
            self._opening = asyncio.Lock()
        async with self._opening:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(
                    self._dsn, min_size=_POOL_MIN, max_size=_POOL_MAX, init=_json_codecs
                )
            return self._pool

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()
