"""Micro-benchmark: what one short indexed read costs on each storage path, side by side.

    .venv/bin/python -m bench.bench_storage                 # SQLite (a fresh temp file)
    .venv/bin/python -m bench.bench_storage --postgres      # also PostgreSQL (throwaway cluster, or --postgres-url)

The read is Crispy's `GET /chat/{id}/history` query (a 2-message session,
through its index) and the API-key lookup by prefix. Rows, each in one
process on one event loop, same database:

- raw driver: sqlite3 on the event loop thread (the query's own cost);
  aiosqlite on one long-lived connection; an asyncpg pool
- SQLAlchemy async as the stores used it: `engine.connect()` + `execute`
  per read (the ORM `session.get` / `session.scalar` for the key lookup)
- `Database.fetch_all` / `fetch_one`: the read path of server/platform/storage
- and one write transaction (an idempotency-key claim: one INSERT, committed)
  on sqlite3, `Database.write()` (SQLAlchemy) and `Database.transaction()`

Each row: µs per read with 1 read in flight (mean of `--reads` reads after a
warm-up), and with `--concurrency` tasks reading at once (wall time / reads,
so it shows throughput). Rounds alternate the rows, so load on the machine
hits them alike; the median of `--rounds` is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiosqlite
import asyncpg
from sqlalchemy import bindparam, select

from server.platform.chat.conversation_store import _CONVERSATION as _HISTORY
from server.platform.chat.conversation_store import ConversationStore
from server.platform.chat.messages import NewMessage, new_message_id
from server.platform.scope import Scope
from server.platform.storage.compiled import compile_statement
from server.platform.storage.database import Database
from server.platform.storage.idempotency_store import IdempotencyStore
from server.platform.storage.migrate import upgrade_async
from server.platform.storage.tables import ApiKeyRow
from server.platform.tenancy import TenantService

Read = Callable[[], Awaitable[Any]]


def _key_statement() -> Any:
    return select(ApiKeyRow.tenant_id, ApiKeyRow.user_id, ApiKeyRow.key_hash, ApiKeyRow.revoked_at_ms).where(
        ApiKeyRow.prefix == bindparam("prefix")
    )


async def _seed(db: Database) -> tuple[dict[str, str], str]:
    scope = Scope("bench", "")
    session_id = str(uuid.uuid4())
    now = int(time.time() * 1000)
    await ConversationStore(db, "crispy").append(
        scope,
        session_id,
        [
            NewMessage(new_message_id(), "user", "hello", now),
            NewMessage(new_message_id(), "assistant", "hi there", now),
        ],
    )
    tenants = TenantService(db, _WallClock())
    from server.config import TenantSeed

    await tenants.ensure_seeded([TenantSeed(id="bench")])
    issued = await tenants.create_api_key("bench")
    prefix = issued.secret.split("_")[1]
    return {"surface": "crispy", "tenant_id": "bench", "owner_id": "", "conversation_id": session_id}, prefix


class _WallClock:
    def now_ms(self) -> int:
        return int(time.time() * 1000)


async def _per_read(read: Read, reads: int) -> float:
    start = time.perf_counter()
    for _ in range(reads):
        await read()
    return (time.perf_counter() - start) / reads * 1e6


async def _concurrent(read: Read, reads: int, concurrency: int) -> float:
    each = max(reads // concurrency, 1)

    async def worker() -> None:
        for _ in range(each):
            await read()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return (time.perf_counter() - start) / (each * concurrency) * 1e6


async def _measure(rows: dict[str, Read], reads: int, rounds: int, concurrency: int) -> dict[str, tuple[float, float]]:
    for read in rows.values():  # warm-up: connections opened, statements compiled and prepared
        for _ in range(50):
            await read()
    serial: dict[str, list[float]] = {name: [] for name in rows}
    loaded: dict[str, list[float]] = {name: [] for name in rows}
    for _ in range(rounds):
        for name, read in rows.items():
            serial[name].append(await _per_read(read, reads))
            loaded[name].append(await _concurrent(read, reads, concurrency))
    return {name: (statistics.median(serial[name]), statistics.median(loaded[name])) for name in rows}


def _print(title: str, results: dict[str, tuple[float, float]], baseline: str, concurrency: int) -> None:
    base = results[baseline][0]
    print(f"\n### {title}\n")
    print(f"| path | µs/call, 1 in flight | above `{baseline}` | µs/call, {concurrency} in flight |")
    print("|---|---:|---:|---:|")
    for name, (one, many) in results.items():
        print(f"| {name} | {one:,.0f} | {one - base:+,.0f} | {many:,.0f} |")
    sys.stdout.flush()


async def _sqlite(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="chorus-bench-storage-") as tmp:
        path = Path(tmp) / "chorus.db"
        url = f"sqlite+aiosqlite:///{path}"
        await upgrade_async(url)
        db = Database(url)
        params, prefix = await _seed(db)
        history_sql = compile_statement(_HISTORY, db.engine.dialect)
        history_args = history_sql.args(params)
        key = _key_statement()
        key_sql = compile_statement(key, db.engine.dialect)

        raw = sqlite3.connect(path, isolation_level=None)
        raw.execute("PRAGMA synchronous=NORMAL")  # as Chorus's connections: no fsync per commit in WAL
        slow = await aiosqlite.connect(path, isolation_level=None)

        async def raw_sqlite3() -> Any:
            return raw.execute(history_sql.sql, history_args).fetchall()

        async def raw_aiosqlite() -> Any:
            async with slow.execute(history_sql.sql, history_args) as cursor:
                return await cursor.fetchall()

        async def sqlalchemy_core() -> Any:
            async with db.engine.connect() as conn:
                return (await conn.execute(_HISTORY, params)).all()

        async def fast() -> Any:
            return await db.fetch_all(_HISTORY, params)

        async def key_raw() -> Any:
            return raw.execute(key_sql.sql, (prefix,)).fetchall()

        async def key_orm() -> Any:
            async with db.session() as session:
                return await session.scalar(select(ApiKeyRow).where(ApiKeyRow.prefix == prefix))

        async def key_fast() -> Any:
            return await db.fetch_one(key, {"prefix": prefix})

        try:
            assert len(await fast()) == 2 and await fast() == [tuple(r) for r in await sqlalchemy_core()]
            history = await _measure(
                {
                    "sqlite3 (on the loop thread)": raw_sqlite3,
                    "aiosqlite, one connection": raw_aiosqlite,
                    "SQLAlchemy async: engine.connect() + execute": sqlalchemy_core,
                    "Database.fetch_all": fast,
                },
                args.reads,
                args.rounds,
                args.concurrency,
            )
            _print("SQLite: chat history (2 messages)", history, "sqlite3 (on the loop thread)", args.concurrency)
            keys = await _measure(
                {
                    "sqlite3 (on the loop thread)": key_raw,
                    "SQLAlchemy ORM: session.scalar(select(ApiKeyRow))": key_orm,
                    "Database.fetch_one": key_fast,
                },
                args.reads,
                args.rounds,
                args.concurrency,
            )
            _print("SQLite: API key by prefix", keys, "sqlite3 (on the loop thread)", args.concurrency)
            listed = await _measure(_per_call_rows(db, raw), args.reads, args.rounds, args.concurrency)
            _print(
                "SQLite: a statement built on each call (MCoS memory list: literal values, no rows)",
                listed,
                "sqlite3 (on the loop thread)",
                args.concurrency,
            )
            writes = await _measure(_write_rows(db, raw), max(args.reads // 4, 50), args.rounds, args.concurrency)
            _print(
                "SQLite: a write transaction (one INSERT, committed)",
                writes,
                "sqlite3 (on the loop thread)",
                args.concurrency,
            )
        finally:
            raw.close()
            await slow.close()
            await db.close()


def _per_call_rows(db: Database, raw: sqlite3.Connection) -> dict[str, Read]:
    """A query built anew on every call, as MCoS's list reads are: SQLAlchemy finds it in its
    compiled cache by cache key; `Database.fetch_all` finds its compiled shape the same way."""
    from server.surfaces.mcos.stores.memory_store import _COLUMNS, _NEWEST_FIRST, _memories, _owned

    def query() -> Any:
        scope = Scope("bench", "someone")
        return select(*_COLUMNS).where(*_owned(scope), _memories.c.type == "fact").order_by(*_NEWEST_FIRST).limit(20)

    compiled = compile_statement(query(), db.engine.dialect)
    args = compiled.args(None)

    async def raw_sqlite3() -> Any:
        return raw.execute(compiled.sql, args).fetchall()

    async def build_and_sqlite3() -> Any:
        query()
        return raw.execute(compiled.sql, args).fetchall()

    async def sqlalchemy_core() -> Any:
        async with db.engine.connect() as conn:
            return (await conn.execute(query())).all()

    async def fast() -> Any:
        return await db.fetch_all(query())

    return {
        "sqlite3 (on the loop thread)": raw_sqlite3,
        "building the statement + sqlite3": build_and_sqlite3,
        "SQLAlchemy async: engine.connect() + execute": sqlalchemy_core,
        "Database.fetch_all (found by cache key)": fast,
    }


def _write_rows(db: Database, raw: sqlite3.Connection | None) -> dict[str, Read]:
    """One idempotency-key claim per call (an INSERT of a new row), committed, on each write path."""
    store = IdempotencyStore(db)
    counter = iter(range(10**9))

    def params() -> dict[str, Any]:
        n = next(counter)
        return {
            "k_tenant": "bench",
            "k_principal": "p",
            "k_key": f"k{n}",
            "k_fingerprint": "f",
            "k_claim": "c",
            "k_now": n,
            "k_expires": n + 1,
            "k_stale_before": 0,
        }

    compiled = compile_statement(store._insert, db.engine.dialect, sorted(params()))

    async def raw_sqlite3() -> Any:
        assert raw is not None
        raw.execute("BEGIN IMMEDIATE")
        raw.execute(compiled.sql, compiled.args(params()))
        raw.execute("COMMIT")

    async def sqlalchemy_write() -> Any:
        async with db.write() as conn:
            await conn.execute(store._insert, params())

    async def transaction() -> Any:
        async with db.transaction() as tx:
            await tx.execute(store._insert, params())

    rows: dict[str, Read] = {"sqlite3 (on the loop thread)": raw_sqlite3} if raw is not None else {}
    rows["SQLAlchemy async: Database.write()"] = sqlalchemy_write
    rows["Database.transaction()"] = transaction
    return rows


async def _postgres(args: argparse.Namespace) -> None:
    url = args.postgres_url
    if not url:
        from tests.support import backends

        url = backends.servers().new_database_url()
    await upgrade_async(url)
    db = Database(url)
    params, _ = await _seed(db)
    history_sql = compile_statement(_HISTORY, db.engine.dialect)
    history_args = history_sql.args(params)
    from server.platform.storage.postgres_pool import asyncpg_dsn

    raw = await asyncpg.create_pool(asyncpg_dsn(url), min_size=10, max_size=10)

    async def raw_asyncpg() -> Any:
        async with raw.acquire() as conn:
            return await conn.fetch(history_sql.sql, *history_args)

    async def sqlalchemy_core() -> Any:
        async with db.engine.connect() as conn:
            return (await conn.execute(_HISTORY, params)).all()

    async def fast() -> Any:
        return await db.fetch_all(_HISTORY, params)

    try:
        assert await fast() == [tuple(r) for r in await sqlalchemy_core()]
        history = await _measure(
            {
                "asyncpg pool, prepared (its statement cache)": raw_asyncpg,
                "SQLAlchemy async: engine.connect() + execute": sqlalchemy_core,
                "Database.fetch_all": fast,
            },
            args.reads,
            args.rounds,
            args.concurrency,
        )
        _print(
            "PostgreSQL: chat history (2 messages)",
            history,
            "asyncpg pool, prepared (its statement cache)",
            args.concurrency,
        )
        writes = await _measure(_write_rows(db, None), max(args.reads // 4, 50), args.rounds, args.concurrency)
        _print(
            "PostgreSQL: a write transaction (one INSERT, committed)",
            writes,
            "SQLAlchemy async: Database.write()",
            args.concurrency,
        )
    finally:
        await raw.close()
        await db.close()
        if not args.postgres_url:
            from tests.support import backends

            backends.shutdown()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_storage", description=__doc__)
    parser.add_argument("--reads", type=int, default=2000, help="reads per row and round (default 2000)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds; the median is printed (default 5)")
    parser.add_argument("--concurrency", type=int, default=16, help="reads in flight in the loaded column")
    parser.add_argument("--postgres", action="store_true", help="also PostgreSQL (a throwaway cluster)")
    parser.add_argument("--postgres-url", default="", help="use this postgresql+asyncpg:// database instead")
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="uvloop", help="(default uvloop, as served)")
    args = parser.parse_args(argv)

    async def run() -> None:
        await _sqlite(args)
        if args.postgres or args.postgres_url:
            await _postgres(args)

    if args.loop == "uvloop":
        import uvloop

        uvloop.run(run())
    else:
        asyncio.run(run())


if __name__ == "__main__":
    main()
