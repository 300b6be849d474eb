"""The SQL of the job queue, on the `jobs` table, for SQLite and PostgreSQL alike.

Claiming is a compare-and-set: a job is taken by an UPDATE that still finds it in
the state it was read in, so two replicas never both take it. On PostgreSQL the
read is `FOR UPDATE SKIP LOCKED` (replicas claim different jobs at once), and a
transaction-scoped advisory lock per (kind, key) serializes the per-key
concurrency count; on SQLite the claim first takes the one write lock, so the
whole claim is serialized across processes.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, and_, case, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.platform.jobs.types import LEASE_EXPIRED_REASON, JobType, LeaseLost
from server.platform.storage.database import upsert_insert
from server.platform.storage.tables import JobRow

jobs_table = cast(Table, JobRow.__table__)
_j = jobs_table.c

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED = "queued", "running", "succeeded", "failed", "cancelled"
FINISHED = (SUCCEEDED, FAILED, CANCELLED)
CANCELLED_REASON = "cancelled"


def new_job_id() -> str:
    return f"job_{secrets.token_hex(12)}"


@dataclass(frozen=True, slots=True)
class NewJob:
    kind: str
    payload: dict[str, Any]
    key: str | None
    max_attempts: int
    timeout_ms: int
    run_at_ms: int
    id: str


@dataclass(frozen=True, slots=True)
class Claimed:
    id: str
    kind: str
    key: str | None
    payload: dict[str, Any]
    attempt: int
    max_attempts: int
    timeout_ms: int
    enqueued_at_ms: int


@dataclass(frozen=True, slots=True)
class JobStatus:
    id: str
    kind: str
    state: str
    attempts: int
    error: str | None
    created_at_ms: int
    started_at_ms: int | None
    finished_at_ms: int | None
    run_at_ms: int


async def insert_job(conn: AsyncConnection, job: NewJob, now_ms: int, *, once: bool) -> bool:
    """Writes the job in `conn`'s transaction; with `once`, a job of that id already
    there is kept and False returned."""
    values = {
        "id": job.id,
        "kind": job.kind,
        "concurrency_key": job.key,
        "payload": job.payload,
        "state": QUEUED,
        "attempts": 0,
        "max_attempts": job.max_attempts,
        "timeout_ms": job.timeout_ms,
        "run_at_ms": job.run_at_ms,
        "cancel_requested": False,
        "created_at_ms": now_ms,
    }
    stmt = upsert_insert(conn.dialect.name)(jobs_table).values(**values)
    if once:
        stmt = stmt.on_conflict_do_nothing(index_elements=["id"])
    result = await conn.execute(stmt)
    return bool(result.rowcount)


async def _take_sqlite_write_lock(conn: AsyncConnection) -> None:
    # pysqlite opens the transaction at the first write; a write that changes no
    # row takes SQLite's one write lock for the rest of the claim.
    await conn.execute(update(jobs_table).where(_j.id == "").values(cancel_requested=False))


async def _key_slot_free(
    conn: AsyncConnection, kind: str, key: str, limit: int, now_ms: int, taken: Mapping[tuple[str, str], int]
) -> bool:
    if conn.dialect.name == "postgresql":
        locked = await conn.execute(
            select(func.pg_try_advisory_xact_lock(func.hashtextextended(f"jobs:{len(kind)}:{kind}:{key}", 0)))
        )
        if not locked.scalar_one():
            return False  # another replica is claiming this key now
    running = await conn.execute(
        select(func.count()).where(
            _j.kind == kind, _j.concurrency_key == key, _j.state == RUNNING, _j.lease_until_ms >= now_ms
        )
    )
    return int(running.scalar_one()) + taken.get((kind, key), 0) < limit


def _due(now_ms: int) -> Any:
    return or_(
        and_(_j.state == QUEUED, _j.run_at_ms <= now_ms),
        and_(_j.state == RUNNING, _j.lease_until_ms < now_ms),
    )


async def any_due(conn: AsyncConnection, kinds: Iterable[str], now_ms: int) -> bool:
    """Whether a claim could find anything: a read, so an idle poll takes no write lock."""
    found = await conn.execute(select(_j.id).where(_due(now_ms), _j.kind.in_(list(kinds))).limit(1))
    return found.first() is not None


async def claim(
    conn: AsyncConnection,
    types: Mapping[str, JobType],
    owner: str,
    now_ms: int,
    lease_ms: int,
    limit: int,
    skip: Iterable[str] = (),
) -> list[Claimed]:
    """Takes up to `limit` due jobs (queued, or running on an expired lease) for `owner`.

    An expired lease whose type says FAIL, or that spent the last attempt, ends the
    job as failed instead; a cancelled one ends as cancelled.
    """
    if conn.dialect.name == "sqlite":
        await _take_sqlite_write_lock(conn)
    due = _due(now_ms)
    skipped = list(skip)
    query = (
        select(
            _j.id,
            _j.kind,
            _j.concurrency_key,
            _j.payload,
            _j.state,
            _j.attempts,
            _j.max_attempts,
            _j.timeout_ms,
            _j.cancel_requested,
            _j.created_at_ms,
        )
        .where(due, _j.kind.in_(list(types)), *([_j.id.not_in(skipped)] if skipped else []))
        .order_by(_j.run_at_ms)
        # Room for jobs passed over for their key's concurrency.
        .limit(limit * 4)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = (await conn.execute(query)).all()
    claimed: list[Claimed] = []
    taken: dict[tuple[str, str], int] = {}
    for row in rows:
        if len(claimed) >= limit:
            break
        job_id, kind, key, payload, state, attempts, max_attempts, timeout_ms, cancel, created = row
        job_type = types[kind]
        same = (_j.id == job_id, _j.state == state, _j.attempts == attempts)
        if state == RUNNING:
            if cancel:
                await _end(conn, same, CANCELLED, CANCELLED_REASON, now_ms)
                continue
            if job_type.on_lease_lost is LeaseLost.FAIL or attempts >= max_attempts:
                await _end(conn, same, FAILED, LEASE_EXPIRED_REASON, now_ms)
                continue
        limit_of_key = job_type.concurrency if key is not None else None
        if limit_of_key is not None and not await _key_slot_free(conn, kind, key, limit_of_key, now_ms, taken):
            continue
        took = await conn.execute(
            update(jobs_table)
            .where(*same)
            .values(
                state=RUNNING,
                attempts=attempts + 1,
                lease_owner=owner,
                lease_until_ms=now_ms + lease_ms,
                started_at_ms=now_ms,
                error=LEASE_EXPIRED_REASON if state == RUNNING else _j.error,
            )
        )
        if not took.rowcount:
            continue
        if key is not None:
            taken[(kind, key)] = taken.get((kind, key), 0) + 1
        claimed.append(Claimed(job_id, kind, key, payload, attempts + 1, max_attempts, timeout_ms, created))
    return claimed


async def _end(conn: AsyncConnection, where: Iterable[Any], state: str, error: str | None, now_ms: int) -> bool:
    result = await conn.execute(
        update(jobs_table)
        .where(*where)
        .values(state=state, error=error, finished_at_ms=now_ms, lease_owner=None, lease_until_ms=None)
    )
    return bool(result.rowcount)


def _mine(job: Claimed, owner: str) -> tuple[Any, ...]:
    return (_j.id == job.id, _j.state == RUNNING, _j.lease_owner == owner, _j.attempts == job.attempt)


async def finish(conn: AsyncConnection, job: Claimed, owner: str, state: str, error: str | None, now_ms: int) -> bool:
    """Ends an attempt this owner still holds; False when the lease was lost meanwhile."""
    return await _end(conn, _mine(job, owner), state, error, now_ms)


async def retry_later(conn: AsyncConnection, job: Claimed, owner: str, error: str, run_at_ms: int) -> bool:
    """Queues the next attempt; False when the lease was lost or a cancel was asked meanwhile."""
    result = await conn.execute(
        update(jobs_table)
        .where(*_mine(job, owner), _j.cancel_requested.is_(False))
        .values(state=QUEUED, error=error, run_at_ms=run_at_ms, lease_owner=None, lease_until_ms=None)
    )
    return bool(result.rowcount)


async def renew(conn: AsyncConnection, ids: list[str], owner: str, until_ms: int) -> tuple[set[str], set[str]]:
    """Extends this owner's leases; returns (the ids still held, those asked to cancel)."""
    rows = await conn.execute(
        update(jobs_table)
        .where(_j.id.in_(ids), _j.state == RUNNING, _j.lease_owner == owner)
        .values(lease_until_ms=until_ms)
        .returning(_j.id, _j.cancel_requested)
    )
    held, cancelled = set(), set()
    for job_id, cancel in rows.all():
        held.add(job_id)
        if cancel:
            cancelled.add(job_id)
    return held, cancelled


async def cancel(conn: AsyncConnection, job_id: str, now_ms: int) -> str | None:
    """Cancels a queued job at once and asks a running one to stop; returns the
    job's state after (None: no such job)."""
    if await _end(conn, (_j.id == job_id, _j.state == QUEUED), CANCELLED, CANCELLED_REASON, now_ms):
        return CANCELLED
    await conn.execute(update(jobs_table).where(_j.id == job_id, _j.state == RUNNING).values(cancel_requested=True))
    state = (await conn.execute(select(_j.state).where(_j.id == job_id))).scalar()
    return None if state is None else str(state)


async def status(conn: AsyncConnection, job_id: str) -> JobStatus | None:
    row = (
        await conn.execute(
            select(
                _j.id,
                _j.kind,
                _j.state,
                _j.attempts,
                _j.error,
                _j.created_at_ms,
                _j.started_at_ms,
                _j.finished_at_ms,
                _j.run_at_ms,
            ).where(_j.id == job_id)
        )
    ).first()
    return JobStatus(*row) if row is not None else None


async def purge_finished(conn: AsyncConnection, before_ms: int) -> int:
    result = await conn.execute(delete(jobs_table).where(_j.state.in_(FINISHED), _j.finished_at_ms < before_ms))
    return int(result.rowcount or 0)


async def queue_stats(db: Any, now_ms: int) -> tuple[int, float]:
    """(jobs queued, age in seconds of the oldest one due): what an operator watches."""
    due_since = func.min(case((_j.run_at_ms <= now_ms, _j.run_at_ms)))
    row = await db.fetch_one(select(func.count(), due_since).where(_j.state == QUEUED))
    count, oldest = (row[0], row[1]) if row is not None else (0, None)
    return int(count or 0), (max(0, now_ms - int(oldest)) / 1000 if oldest is not None else 0.0)
