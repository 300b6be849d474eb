"""The statements of one `Database.transaction()`: Core statements in, row counts and tuples out.

On SQLite every statement is one job on the write thread (`sqlite_thread.py`),
the first one opening the transaction, and no cancellation reaches it: a cancelled caller waits for the statement
under way to end, then the transaction rolls back. Elsewhere (PostgreSQL, an
in-memory SQLite) the same calls run on the SQLAlchemy connection of
`Database.write()`, which gives the same guarantees.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from server.platform.completion import finish, run_to_completion
from server.platform.storage.compiled import Compiled, Row
from server.platform.storage.sqlite_thread import SqliteThread

Params = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None


class Transaction(Protocol):
    async def execute(self, statement: Any, params: Mapping[str, Any] | None = None) -> int:
        """Runs an INSERT, UPDATE or DELETE; the number of rows it changed."""
        ...

    async def execute_many(self, statement: Any, param_sets: Sequence[Mapping[str, Any]]) -> None:
        """Runs an INSERT, UPDATE or DELETE once per parameter set (not every driver
        counts the rows of these: none is returned)."""
        ...

    async def fetch_all(self, statement: Any, params: Mapping[str, Any] | None = None) -> list[Row]:
        """The rows of a SELECT (or of a statement with RETURNING), as tuples."""
        ...

    async def fetch_one(self, statement: Any, params: Mapping[str, Any] | None = None) -> Row | None: ...


def _begin(conn: sqlite3.Connection) -> None:
    # IMMEDIATE: the write lock now, so no later statement of the transaction can
    # fail to upgrade a read lock (an SQLITE_BUSY that no waiting resolves).
    if not conn.in_transaction:
        conn.execute("BEGIN IMMEDIATE")


def _execute(sql: str, args: tuple[Any, ...], conn: sqlite3.Connection) -> int:
    _begin(conn)
    return conn.execute(sql, args).rowcount


def _execute_many(sql: str, args: list[tuple[Any, ...]], conn: sqlite3.Connection) -> None:
    _begin(conn)
    conn.executemany(sql, args)


def _fetch_all(sql: str, args: tuple[Any, ...], conn: sqlite3.Connection) -> list[Any]:
    _begin(conn)
    return conn.execute(sql, args).fetchall()


class SqliteTransaction:
    def __init__(
        self, thread: SqliteThread, compile_for: Callable[[Any, Params], tuple[Compiled, Sequence[Any] | None]]
    ) -> None:
        self._thread = thread
        self._compile_for = compile_for

    async def execute(self, statement: Any, params: Mapping[str, Any] | None = None) -> int:
        compiled, literals = self._compile_for(statement, params)
        return await finish(self._thread.run(partial(_execute, compiled.sql, compiled.args(params, literals))))

    async def execute_many(self, statement: Any, param_sets: Sequence[Mapping[str, Any]]) -> None:
        if not param_sets:
            return
        compiled, literals = self._compile_for(statement, param_sets)
        await finish(
            self._thread.run(partial(_execute_many, compiled.sql, [compiled.args(p, literals) for p in param_sets]))
        )

    async def fetch_all(self, statement: Any, params: Mapping[str, Any] | None = None) -> list[Row]:
        compiled, literals = self._compile_for(statement, params)
        job = partial(_fetch_all, compiled.sql, compiled.args(params, literals))
        return compiled.rows(await finish(self._thread.run(job)))

    async def fetch_one(self, statement: Any, params: Mapping[str, Any] | None = None) -> Row | None:
        rows = await self.fetch_all(statement, params)
        return rows[0] if rows else None


def _row_count(status: str) -> int:
    """The rows an INSERT/UPDATE/DELETE changed, from its command tag ("INSERT 0 1", "UPDATE 3")."""
    count = status.rsplit(" ", 1)[-1]
    return int(count) if count.isdigit() else 0


class PostgresTransaction:
    def __init__(self, conn: Any, compile_for: Callable[[Any, Params], tuple[Compiled, Sequence[Any] | None]]) -> None:
        self._conn = conn
        self._compile_for = compile_for

    async def execute(self, statement: Any, params: Mapping[str, Any] | None = None) -> int:
        compiled, literals = self._compile_for(statement, params)
        return _row_count(await run_to_completion(self._conn.execute(compiled.sql, *compiled.args(params, literals))))

    async def execute_many(self, statement: Any, param_sets: Sequence[Mapping[str, Any]]) -> None:
        if not param_sets:
            return
        compiled, literals = self._compile_for(statement, param_sets)
        await run_to_completion(self._conn.executemany(compiled.sql, [compiled.args(p, literals) for p in param_sets]))

    async def fetch_all(self, statement: Any, params: Mapping[str, Any] | None = None) -> list[Row]:
        compiled, literals = self._compile_for(statement, params)
        return compiled.rows(await run_to_completion(self._conn.fetch(compiled.sql, *compiled.args(params, literals))))

    async def fetch_one(self, statement: Any, params: Mapping[str, Any] | None = None) -> Row | None:
        rows = await self.fetch_all(statement, params)
        return rows[0] if rows else None


class SqlAlchemyTransaction:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def execute(self, statement: Any, params: Mapping[str, Any] | None = None) -> int:
        return (await self._conn.execute(statement, params)).rowcount

    async def execute_many(self, statement: Any, param_sets: Sequence[Mapping[str, Any]]) -> None:
        if param_sets:
            await self._conn.execute(statement, list(param_sets))

    async def fetch_all(self, statement: Any, params: Mapping[str, Any] | None = None) -> list[Row]:
        return [tuple(r) for r in await self._conn.execute(statement, params)]

    async def fetch_one(self, statement: Any, params: Mapping[str, Any] | None = None) -> Row | None:
        rows = await self.fetch_all(statement, params)
        return rows[0] if rows else None
