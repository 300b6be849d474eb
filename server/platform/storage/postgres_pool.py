"""PostgreSQL straight on asyncpg: a pool of its own, prepared statements.

SQLAlchemy over asyncpg adds a greenlet switch, its pool's checkout (with a
ping: a round trip) and its row wrapping to every statement. Here a read is
one `fetch` on a pooled asyncpg connection, which prepares each distinct SQL
text once per connection and reuses it; `transaction` is one pooled
connection in a transaction for `Database.transaction`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine.url import make_url

from server.platform.completion import finish, run_to_completion

_POOL_MIN = 1
_POOL_MAX = 10


def asyncpg_dsn(url: str) -> str:
    """The libpq-style DSN asyncpg takes, from a SQLAlchemy URL (postgresql+asyncpg://…)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _json_codecs(conn: asyncpg.Connection) -> None:
    """The JSON codecs SQLAlchemy's asyncpg dialect sets on its connections: values
    arrive serialized (the JSON type's bind conversion) and leave deserialized."""
    await conn.set_type_codec(
        "json", encoder=str.encode, decoder=lambda b: json.loads(b.decode()), schema="pg_catalog", format="binary"
    )
    await conn.set_type_codec(
        "jsonb",
        encoder=lambda s: b"\x01" + s.encode(),  # jsonb's binary format: a version byte, then the text
        decoder=lambda b: json.loads(b[1:].decode()),
        schema="pg_catalog",
        format="binary",
    )


class PostgresPool:
    def __init__(self, url: str) -> None:
        self._dsn = asyncpg_dsn(url)
        self._pool: asyncpg.Pool | None = None
        self._opening: asyncio.Lock | None = None

    async def fetch(self, sql: str, args: tuple[Any, ...]) -> list[Any]:
        pool = self._pool or await self._open()
        async with pool.acquire() as conn:
            return await conn.fetch(sql, *args)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection in a transaction, committed when the block ends and rolled
        back on any error or cancellation. No cancellation reaches asyncpg (a query it
        cancels leaves the connection to be reset): each step runs to its end first."""
        pool = self._pool or await self._open()
        acquiring = asyncio.ensure_future(pool.acquire())
        try:
            conn = await finish(acquiring)
        except asyncio.CancelledError:
            if not acquiring.cancelled() and acquiring.exception() is None:
                await run_to_completion(pool.release(acquiring.result()))
            raise
        try:
            transaction = conn.transaction()
            await run_to_completion(transaction.start())
            try:
                yield conn
            except BaseException:
                await run_to_completion(transaction.rollback())
                raise
            await run_to_completion(transaction.commit())
        finally:
            await run_to_completion(pool.release(conn))

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
