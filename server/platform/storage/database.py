"""Engine and session factory, and the fast read path; SQLite runs in WAL mode with foreign keys on.

Reads (`Database.fetch_all` and friends) skip SQLAlchemy's execution path:
see `Database` and `compiled.py`.

Writes are cancellation-proof. A cancellation that lands inside the driver
(mid-statement, mid-commit) makes SQLAlchemy invalidate the connection,
and under load that has left a SQLite write transaction open on an
orphaned connection after the write lock was released: every later write
then waited out the busy timeout and failed. So no cancellation reaches a
write connection: its statements, its commit or rollback and its return to
the pool each run to completion in a task of their own, and the caller's
cancellation is raised after them, with the transaction already closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import AsyncIterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import grpc
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine.url import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from server.platform.completion import finish, run_to_completion
from server.platform.errors import ChorusError
from server.platform.storage.compiled import Compiled, Row, compile_statement
from server.platform.storage.postgres_pool import PostgresPool
from server.platform.storage.sqlite_thread import SqliteThread
from server.platform.storage.transaction import (
    Params,
    PostgresTransaction,
    SqlAlchemyTransaction,
    SqliteTransaction,
    Transaction,
)

# How long `Database.close` waits for writes under way (a cut chat reply being saved).
_CLOSE_DRAIN_SECONDS = 10.0


# Statements compiled for the read path, at most (built-once statements: a handful per store).
_COMPILED_MAX = 1024


def _sqlite_read_pragmas(conn: Any) -> None:
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA query_only=ON")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any = None) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def upsert_insert(dialect: str) -> Any:
    """`insert` of the backend's dialect, the one with `on_conflict_do_*` (both write it alike)."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def create_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, pool_size=5, max_overflow=10)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def describe_failure(url: str, exc: BaseException) -> str:
    """One line for an operator: the database that failed (no password) and its driver's reason."""
    parsed = make_url(url)
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        return (
            f"cannot use the SQLite database {path}: {reason} "
            f"(check that {path.parent} exists, is writable and has free space)"
        )
    return f"cannot use the database {parsed.render_as_string(hide_password=True)}: {reason}"


def check_writable(url: str) -> None:
    """On SQLite, that the data directory and the database file in it can be written: a
    clear refusal at start, rather than a driver traceback from the first migration."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return
    database = Path(parsed.database)
    try:
        database.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=database.parent):
            pass
        if database.exists():
            database.open("r+b").close()
    except OSError as exc:
        where = exc.filename if exc.filename and Path(exc.filename) == database else database.parent
        raise ChorusError(
            grpc.StatusCode.FAILED_PRECONDITION,
            "STORAGE_UNAVAILABLE",
            f"the data directory is not writable: {where}: {exc.strerror or exc}",
        ) from exc


class _WriteConnection(AsyncConnection):
    """A connection whose statements finish even when the caller is cancelled
    (the cancellation is raised once the statement is done)."""

    async def execute(self, statement: Any, parameters: Any = None, *, execution_options: Any = None) -> Any:
        return await run_to_completion(super().execute(statement, parameters, execution_options=execution_options))

    async def exec_driver_sql(self, statement: str, parameters: Any = None, execution_options: Any = None) -> Any:
        return await run_to_completion(super().exec_driver_sql(statement, parameters, execution_options))


class StorageObserver(Protocol):
    """Watches database calls: `started(operation)` returns what `ended` is given."""

    def started(self, operation: str) -> Any: ...

    def ended(self, watch: Any) -> None: ...


class Database:
    """Owns the engine; runs reads, hands out write transactions and ORM sessions.

    Reads: `fetch_all(statement, params)` (a list of tuples), `fetch_one` (the
    first row or None), `fetch_value` (its first column or None).
    `statement` is a Core `select` built once, e.g. at module level, with
    `bindparam("name")` where values go; `params` maps those names to values.
    It is compiled for this database on first use and kept; a statement built
    anew on every call (literal values in it) is found by its SQLAlchemy cache
    key, which costs some tens of µs more, and is compiled once per shape.
    Rows are plain tuples, values converted as the column types say (a Boolean
    is a bool on SQLite too). Each read sees every write committed before it
    began and runs outside any transaction: read what must be consistent with
    a write inside that `write()`.
      SQLite: one long-lived read-only connection on a thread of its own
      (`sqlite_reads.py`): one hand-over per statement, no pool, no greenlet.
      PostgreSQL: an asyncpg pool of its own, statements prepared once per
      connection (`postgres_pool.py`).
    A statement this path cannot run (IN-list parameters), and every read of
    an in-memory SQLite database, goes through SQLAlchemy instead, same result.

    Writes: `async with db.transaction() as tx:` one transaction, committed
    when the block ends and rolled back on any error or cancellation;
    `await tx.execute(statement, params)` (an INSERT, UPDATE or DELETE) returns
    the rows changed, `tx.execute_many(statement, param_sets)` runs one per set,
    `tx.fetch_all` / `tx.fetch_one` read inside it (RETURNING too). The same
    terms as the reads: built-once Core statements, tuples. On SQLite it runs
    on a long-lived write connection on a thread of its own (one hand-over per
    statement), on PostgreSQL on a connection of the asyncpg pool of the reads,
    on an in-memory SQLite on `write()`'s connection.
    `async with db.write() as conn:` is a SQLAlchemy connection in one
    transaction, for what needs SQLAlchemy's results; see `write`. SQLite
    writes of both kinds are serialised here, one at a time.

    ORM: `session()` for administration, off the hot paths.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)
        self.dialect = self.engine.dialect.name
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._compiled: dict[Any, tuple[Any, Compiled | None]] = {}
        self._shapes: dict[Any, Compiled] = {}
        self._reads: SqliteThread | PostgresPool | None = None
        self._writes: SqliteThread | None = None
        database = make_url(url).database
        if self.dialect == "sqlite" and database and database != ":memory:":
            self._reads = SqliteThread(database, _sqlite_read_pragmas, "chorus-sqlite-reads")
            self._writes = SqliteThread(database, _sqlite_pragmas, "chorus-sqlite-writes")
        elif self.dialect == "postgresql":
            self._reads = PostgresPool(url)
        # SQLite has one writer at a time; queueing writers here, instead of in
        # SQLite's busy-wait, keeps a burst of writes from failing with
        # "database is locked". Other backends take writes concurrently.
        self._write_lock = asyncio.Lock() if self.dialect == "sqlite" else None
        self._writes_under_way = 0
        self._no_writes = asyncio.Event()
        self._no_writes.set()
        # Watches reads and write transactions (metrics, traces); None costs nothing.
        self.observer: StorageObserver | None = None

    def session(self) -> AsyncSession:
        return self.sessions()

    async def fetch_all(self, statement: Any, params: dict[str, Any] | None = None) -> list[Row]:
        observer = self.observer
        if observer is None:
            return await self._fetch_all(statement, params)
        watch = observer.started("fetch")
        try:
            return await self._fetch_all(statement, params)
        finally:
            observer.ended(watch)

    async def _fetch_all(self, statement: Any, params: dict[str, Any] | None) -> list[Row]:
        found = self._compile(statement, params)
        if found is None or self._reads is None:
            async with self.engine.connect() as conn:
                return [tuple(r) for r in await conn.execute(statement, params)]
        compiled, literals = found
        args = compiled.args(params, literals)
        if isinstance(self._reads, SqliteThread):
            return compiled.rows(await self._reads.run(partial(_fetch_all, compiled.sql, args)))
        return compiled.rows(await self._reads.fetch(compiled.sql, args))

    async def fetch_one(self, statement: Any, params: dict[str, Any] | None = None) -> Row | None:
        rows = await self.fetch_all(statement, params)
        return rows[0] if rows else None

    async def fetch_value(self, statement: Any, params: dict[str, Any] | None = None) -> Any:
        rows = await self.fetch_all(statement, params)
        return rows[0][0] if rows else None

    def _compile(self, statement: Any, params: Params) -> tuple[Compiled, Sequence[Any] | None] | None:
        """`statement` compiled for this path, and the literal values to run it with (None:
        its own); None when it must go through SQLAlchemy. An INSERT or UPDATE is
        compiled for the columns its parameters name.

        A statement seen before is found by identity (the cheap case: built once). One
        built anew on each call is found by its SQLAlchemy cache key, which costs a
        little, and runs with its own literal values; only a new shape is compiled."""
        keys: tuple[str, ...] | None = None
        if getattr(statement, "is_dml", False) and params:
            keys = tuple(sorted(params[0] if isinstance(params, Sequence) else params))
        by_identity = id(statement) if keys is None else (id(statement), keys)
        cached = self._compiled.get(by_identity)
        if cached is not None and cached[0] is statement:
            return None if cached[1] is None else (cached[1], None)
        cache_key = statement._generate_cache_key()
        by_shape = None if cache_key is None else (cache_key.key, keys)
        if by_shape is not None and (shaped := self._shapes.get(by_shape)) is not None:
            return shaped, cache_key.bindparams
        try:
            compiled: Compiled | None = compile_statement(statement, self.engine.dialect, keys, cache_key)
        except ValueError:
            compiled = None
        if len(self._compiled) >= _COMPILED_MAX:
            self._compiled.clear()
        if len(self._shapes) >= _COMPILED_MAX:
            self._shapes.clear()
        self._compiled[by_identity] = (statement, compiled)
        if by_shape is not None and compiled is not None:
            self._shapes[by_shape] = compiled
        return None if compiled is None else (compiled, None)

    def _compile_write(self, statement: Any, params: Params) -> tuple[Compiled, Sequence[Any] | None]:
        found = self._compile(statement, params)
        if found is None:
            raise ValueError(f"not for Database.transaction (use write()): {statement}")
        return found

    def transaction(self) -> contextlib.AbstractAsyncContextManager[Transaction]:
        """One write transaction (see the class docstring): committed when the block
        ends, rolled back on any error or cancellation, closed either way before
        the caller goes on (and, on SQLite, before the next writer starts)."""
        if self.observer is None:
            return self._transaction()
        return self._observed_transaction(self.observer)

    @contextlib.asynccontextmanager
    async def _observed_transaction(self, observer: StorageObserver) -> AsyncIterator[Transaction]:
        watch = observer.started("transaction")
        try:
            async with self._transaction() as tx:
                yield tx
        finally:
            observer.ended(watch)

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[Transaction]:
        writes = self._writes
        if isinstance(self._reads, PostgresPool):
            async with self._postgres_transaction(self._reads) as tx:
                yield tx
            return
        if writes is None:
            async with self._write() as conn:
                yield SqlAlchemyTransaction(conn)
            return
        self._writes_under_way += 1
        self._no_writes.clear()
        try:
            async with self._write_lock or contextlib.nullcontext():
                try:
                    # Its first statement begins the transaction (one hand-over less).
                    yield SqliteTransaction(writes, self._compile_write)
                except BaseException:
                    await finish(writes.run(_rollback))
                    raise
                await finish(writes.run(_commit))
        finally:
            self._writes_under_way -= 1
            if not self._writes_under_way:
                self._no_writes.set()

    def write(self) -> contextlib.AbstractAsyncContextManager[AsyncConnection]:
        """A connection in a transaction that commits on success and rolls back
        on any error or cancellation. Either way the transaction is closed and
        the connection back in the pool before the caller goes on (and, on
        SQLite, before the next writer gets the lock)."""
        if self.observer is None:
            return self._write()
        return self._observed_write(self.observer)

    @contextlib.asynccontextmanager
    async def _observed_write(self, observer: StorageObserver) -> AsyncIterator[AsyncConnection]:
        watch = observer.started("write")
        try:
            async with self._write() as conn:
                yield conn
        finally:
            observer.ended(watch)

    @contextlib.asynccontextmanager
    async def _write(self) -> AsyncIterator[AsyncConnection]:
        self._writes_under_way += 1
        self._no_writes.clear()
        try:
            async with self._write_lock or contextlib.nullcontext():
                conn = await self._open_write()
                try:
                    yield conn
                except BaseException:
                    await run_to_completion(_end(conn, commit=False))
                    raise
                await run_to_completion(_end(conn, commit=True))
        finally:
            self._writes_under_way -= 1
            if not self._writes_under_way:
                self._no_writes.set()

    async def _open_write(self) -> AsyncConnection:
        opening = asyncio.ensure_future(_begin(self.engine))
        try:
            return await finish(opening)
        except asyncio.CancelledError:
            # Cancelled while connecting: the connection opened all the same; close it.
            if not opening.cancelled() and opening.exception() is None:
                await run_to_completion(_end(opening.result(), commit=False))
            raise

    @contextlib.asynccontextmanager
    async def _postgres_transaction(self, pool: PostgresPool) -> AsyncIterator[Transaction]:
        self._writes_under_way += 1
        self._no_writes.clear()
        try:
            async with pool.transaction() as conn:
                yield PostgresTransaction(conn, self._compile_write)
        finally:
            self._writes_under_way -= 1
            if not self._writes_under_way:
                self._no_writes.set()

    async def ping(self) -> None:
        from sqlalchemy import text

        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def close(self) -> None:
        """Disposes of the engine once the writes under way have ended."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._no_writes.wait(), _CLOSE_DRAIN_SECONDS)
        for thread in (self._reads, self._writes):
            if isinstance(thread, SqliteThread):
                await asyncio.to_thread(thread.close)
        if isinstance(self._reads, PostgresPool):
            await self._reads.close()
        await self.engine.dispose()


def _fetch_all(sql: str, args: tuple[Any, ...], conn: Any) -> list[Any]:
    return conn.execute(sql, args).fetchall()


def _commit(conn: Any) -> None:
    if not conn.in_transaction:  # no statement ran
        return
    try:
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:  # a failed COMMIT leaves it open: close it
            conn.execute("ROLLBACK")
        raise


def _rollback(conn: Any) -> None:
    if conn.in_transaction:
        conn.execute("ROLLBACK")


async def _begin(engine: AsyncEngine) -> AsyncConnection:
    conn = _WriteConnection(engine)
    await conn.start()
    try:
        await conn.begin()
    except BaseException:
        await conn.close()
        raise
    return conn


async def _end(conn: AsyncConnection, *, commit: bool) -> None:
    """Commits or rolls back, then returns the connection to the pool (which
    rolls back whatever a failed commit left open)."""
    try:
        if commit:
            await conn.commit()
        else:
            await conn.rollback()
    finally:
        await conn.close()
