"""A vector namespace: its vectors persisted in the database, searched in memory.

The `vectors` table is the truth; every process keeps an in-memory copy of
the owner scopes it has searched (partition.py) and follows the table:

- Every write takes the namespace's next change number (`vector_namespaces`,
  locked until commit, so numbers commit in order: once number n is visible,
  every smaller one is) and stamps the rows it writes. A removal keeps the
  row with a NULL vector (a tombstone), stamped like a write.
- Before each search the index reads the rows stamped after the last number
  it applied and applies them to the partitions it holds: one indexed query,
  usually returning nothing, shared by the searches that queued behind it. So
  a search on any replica sees every write committed before it began, its own
  and other processes' alike.
- A scope's partition is loaded from the table the first time it is
  searched after start (its live rows): a restart rebuilds from the database.
  Rows replayed after that load change nothing (each item keeps the number of
  its last applied write).

An index holds one model's vectors: rows written by another model (before a
change of `models.semantic_embedding`) are not searched until re-embedded.
Tombstones are kept (a few bytes each) so a lagging replica still sees removals.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, cast

import numpy as np
from sqlalchemy import ColumnElement, Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.platform.clock import Clock
from server.platform.scope import Scope
from server.platform.storage.database import Database, upsert_insert
from server.platform.storage.tables import VectorNamespaceRow, VectorRow
from server.platform.vectors.partition import Hit, Partition, Vector

_vectors = cast(Table, VectorRow.__table__)
_namespaces = cast(Table, VectorNamespaceRow.__table__)
# Partitions larger than this are searched in a thread (numpy releases the GIL).
_THREAD_ABOVE = 20_000
_Key = tuple[str, str]  # (tenant_id, owner_id)


def encode(vector: Vector) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def decode(raw: bytes) -> Vector:
    return np.frombuffer(raw, dtype="<f4").astype(np.float32)


async def next_change(conn: AsyncConnection, namespace: str) -> int:
    """Takes the namespace's next change number in `conn`'s transaction; the
    counter row stays locked until commit (take it before other locks)."""
    insert_for = upsert_insert(conn.dialect.name)
    stmt = insert_for(_namespaces).values(namespace=namespace, change=1)
    bump = stmt.on_conflict_do_update(
        index_elements=["namespace"], set_={"change": _namespaces.c.change + 1}
    ).returning(_namespaces.c.change)
    return int((await conn.execute(bump)).scalar_one())


class VectorIndex:
    """Upsert, remove and top-k search of one namespace's vectors, per owner scope."""

    def __init__(self, db: Database, clock: Clock, namespace: str, *, model: str, dimensions: int) -> None:
        self.namespace = namespace
        self.model = model
        self.dimensions = dimensions
        self._db = db
        self._clock = clock
        self._partitions: dict[_Key, Partition] = {}
        self._applied: int | None = None  # the last change number applied; None before the first read
        self._lock = asyncio.Lock()
        self._reads = 0  # reads of the changes started so far (see `_current`)
        self._failed = False

    # --- writes ---

    async def upsert(
        self, scope: Scope, items: Sequence[tuple[str, Vector]], *, conn: AsyncConnection | None = None
    ) -> int:
        """Stores (or replaces) each item's vector; returns the change number. With
        `conn`, writes in the caller's transaction (call before taking other locks there)."""
        rows: list[dict[str, Any]] = []
        for item_id, vector in items:
            array = np.asarray(vector, dtype=np.float32)
            if array.shape != (self.dimensions,):
                raise ValueError(f"{self.namespace}: vector of shape {array.shape}, expected ({self.dimensions},)")
            rows.append({"item_id": item_id, "vector": encode(array)})
        if not rows:
            raise ValueError("no items to upsert")
        return await self._write(conn, lambda c, n: self._upsert_rows(c, scope, rows, n))

    async def remove(self, scope: Scope, item_ids: Sequence[str], *, conn: AsyncConnection | None = None) -> int:
        """Removes the items (those absent are ignored); returns how many were stored."""
        removed = 0

        async def tombstone(c: AsyncConnection, change: int) -> None:
            nonlocal removed
            result = await c.execute(
                update(_vectors)
                .where(*self._owned(scope), _vectors.c.item_id.in_(list(item_ids)), _vectors.c.vector.is_not(None))
                .values(vector=None, change=change, updated_at_ms=self._clock.now_ms())
            )
            removed = result.rowcount

        if item_ids:
            await self._write(conn, tombstone)
        return removed

    async def _write(
        self, conn: AsyncConnection | None, write: Callable[[AsyncConnection, int], Awaitable[None]]
    ) -> int:
        if conn is not None:
            change = await next_change(conn, self.namespace)
            await write(conn, change)
            return change
        async with self._db.write() as own:
            change = await next_change(own, self.namespace)
            await write(own, change)
        return change

    async def _upsert_rows(self, conn: AsyncConnection, scope: Scope, rows: list[dict[str, Any]], change: int) -> None:
        now = self._clock.now_ms()
        stmt = upsert_insert(conn.dialect.name)(_vectors)
        stmt = stmt.on_conflict_do_update(
            index_elements=["namespace", "tenant_id", "owner_id", "item_id"],
            set_={
                "vector": stmt.excluded.vector,
                "model": stmt.excluded.model,
                "dimensions": stmt.excluded.dimensions,
                "change": stmt.excluded.change,
                "updated_at_ms": stmt.excluded.updated_at_ms,
            },
        )
        common = {
            "namespace": self.namespace,
            "tenant_id": scope.tenant_id,
            "owner_id": scope.owner_id,
            "model": self.model,
            "dimensions": self.dimensions,
            "change": change,
            "updated_at_ms": now,
        }
        await conn.execute(stmt, [{**common, **row} for row in rows])

    # --- reads ---

    async def search(
        self,
        scope: Scope,
        query: Vector,
        k: int,
        *,
        min_score: float | None = None,
        accept: Callable[[str], bool] | None = None,
    ) -> list[Hit]:
        """The scope's `k` items nearest to `query` (cosine, best first), only those
        `accept` takes and scoring at least `min_score`. Only `scope`'s own items:
        a principal's scope never sees the tenant-wide one's, nor the reverse."""
        vector = np.asarray(query, dtype=np.float32)
        if vector.shape != (self.dimensions,):
            raise ValueError(f"{self.namespace}: query of shape {vector.shape}, expected ({self.dimensions},)")
        ticket = self._reads
        async with self._lock:
            partition = await self._current(scope, ticket)
            if len(partition) > _THREAD_ABOVE:
                return await asyncio.to_thread(partition.search, vector, k, min_score=min_score, accept=accept)
            return partition.search(vector, k, min_score=min_score, accept=accept)

    async def search_many(
        self, scope: Scope, queries: Sequence[Vector], k: int, *, min_score: float | None = None
    ) -> list[list[Hit]]:
        """`search` for several queries of one scope, with one read of the new changes for all."""
        vectors = [np.asarray(q, dtype=np.float32) for q in queries]
        for vector in vectors:
            if vector.shape != (self.dimensions,):
                raise ValueError(f"{self.namespace}: query of shape {vector.shape}, expected ({self.dimensions},)")
        ticket = self._reads
        async with self._lock:
            partition = await self._current(scope, ticket)

            def run() -> list[list[Hit]]:
                return [partition.search(v, k, min_score=min_score) for v in vectors]

            return await asyncio.to_thread(run) if len(partition) > _THREAD_ABOVE else run()

    async def count(self, scope: Scope) -> int:
        """How many items the scope has stored."""
        ticket = self._reads
        async with self._lock:
            return len(await self._current(scope, ticket))

    async def _current(self, scope: Scope, ticket: int) -> Partition:
        """The scope's partition with every write committed before the caller
        arrived (when `_reads` was `ticket`) applied; call holding the lock.

        Concurrent searches share reads: a read of the changes that started
        after the caller arrived saw all it must see, so it needs no other."""
        key = (scope.tenant_id, scope.owner_id)
        partition = self._partitions.get(key)
        if partition is not None and self._reads != ticket and not self._failed:
            return partition
        self._reads += 1
        self._failed = True  # until this read completes: those queued behind it read again
        async with self._db.engine.connect() as conn:
            if self._applied is None:
                # First use: nothing is held yet, so start from the latest number.
                latest = await conn.execute(
                    select(_namespaces.c.change).where(_namespaces.c.namespace == self.namespace)
                )
                self._applied = int(latest.scalar() or 0)
            else:
                await self._follow(conn)
            if partition is None:
                partition = await self._load(conn, scope)
                self._partitions[key] = partition
        self._failed = False
        return partition

    async def _follow(self, conn: AsyncConnection) -> None:
        assert self._applied is not None
        changed = await conn.execute(
            select(
                _vectors.c.tenant_id,
                _vectors.c.owner_id,
                _vectors.c.item_id,
                _vectors.c.vector,
                _vectors.c.model,
                _vectors.c.change,
            )
            .where(_vectors.c.namespace == self.namespace, _vectors.c.change > self._applied)
            .order_by(_vectors.c.change)
        )
        for tenant_id, owner_id, item_id, raw, model, change in changed:
            self._applied = max(self._applied, int(change))
            partition = self._partitions.get((tenant_id, owner_id))
            if partition is None:
                continue  # loaded with its current rows when first searched
            if raw is None or model != self.model:
                partition.drop(item_id, int(change))
            else:
                partition.put(item_id, decode(raw), int(change))

    async def _load(self, conn: AsyncConnection, scope: Scope) -> Partition:
        partition = Partition(self.dimensions)
        rows = await conn.execute(
            select(_vectors.c.item_id, _vectors.c.vector, _vectors.c.change).where(
                *self._owned(scope), _vectors.c.vector.is_not(None), _vectors.c.model == self.model
            )
        )
        item_ids, raws, changes = [], [], []
        for item_id, raw, change in rows:
            item_ids.append(item_id)
            raws.append(raw)
            changes.append(int(change))
        partition.load(item_ids, np.frombuffer(b"".join(raws), dtype="<f4").astype(np.float32), changes)
        return partition

    def _owned(self, scope: Scope) -> list[ColumnElement[bool]]:
        return [
            _vectors.c.namespace == self.namespace,
            _vectors.c.tenant_id == scope.tenant_id,
            _vectors.c.owner_id == scope.owner_id,
        ]

    async def stored_bytes(self, scope: Scope) -> int:
        """The bytes of the scope's stored vectors (for usage figures)."""
        async with self._db.engine.connect() as conn:
            total = await conn.execute(
                select(func.coalesce(func.sum(func.length(_vectors.c.vector)), 0)).where(*self._owned(scope))
            )
            return int(total.scalar_one())
