"""`Jobs`: the platform's background job runner, one per process.

Surfaces `register` job types and `every` periodic schedules when they are
built; the composition root `start`s the runner once they are, and `drain`s it
at shutdown alongside the open calls. Callers `enqueue` a job on their own
open write connection, in the transaction of the change that causes it (a
transactional outbox): rolled back, the job never existed; committed, it
survives any restart. A commit wakes this process's runner at once; other
replicas find the job within `jobs.poll_interval`.

Each claim is a lease of `jobs.lease` seconds, renewed every poll while the
job runs. A process that dies (kill -9, power) stops renewing: once the lease
expires any replica takes the job back, to run it again or to fail it, as its
type's `on_lease_lost` says. At SIGTERM the runner claims nothing more and
gives running jobs the drain's grace period; a job still running then is
cancelled without a word to the database, so its lease expires and the same
rule applies.

A periodic schedule runs once per period of the clock across every replica:
each period is one job whose id names the period, written with ON CONFLICT
DO NOTHING, so whichever replica writes it first wins and the others' writes
are no-ops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import secrets
import socket
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection

from server.platform.clock import Clock
from server.platform.jobs import store
from server.platform.jobs.store import CANCELLED, FAILED, SUCCEEDED, Claimed, JobStatus, NewJob
from server.platform.jobs.types import JobContext, JobType, PermanentFailure, Schedule
from server.platform.storage.database import Database

log = logging.getLogger("chorus.jobs")

DAY_MS = 86_400_000
PURGE_FINISHED = "jobs.purge_finished"

# Why this process cancelled a running job's task.
_CANCELLED, _LOST, _DRAINED = "cancelled", "lost", "drained"


class Jobs:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        concurrency: int = 8,
        poll_interval: float = 1.0,
        lease: float = 30.0,
        keep_finished_days: float = 7.0,
    ) -> None:
        self._db = db
        self._clock = clock
        self._concurrency = concurrency
        self._poll = poll_interval
        self._lease_ms = round(lease * 1000)
        self.owner = f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"
        self._types: dict[str, JobType] = {}
        self._schedules: dict[str, Schedule] = {}
        self._last_period: dict[str, int] = {}
        self._running: dict[str, asyncio.Task[None]] = {}
        self._why_cancelled: dict[str, str] = {}
        # Jobs whose handler has ended and whose outcome is being written: a cancel
        # (from a renewal, `cancel`, a drain) would roll that write back and strand
        # the job until its lease expires, so none is sent.
        self._recording: set[str] = set()
        self._wake = asyncio.Event()
        # Leases are renewed once per poll, not on every wake-up: a burst of short jobs
        # wakes the loop once per finish, and a renewal per wake cost a write each.
        self._next_renewal = 0.0
        self._stopping = False
        self._loop: asyncio.Task[None] | None = None
        self._rng = random.Random()
        self._keep_finished_ms = round(keep_finished_days * DAY_MS)
        self.register(JobType(PURGE_FINISHED, self._purge_finished, timeout=300.0, max_attempts=3))
        self.every(PURGE_FINISHED, PURGE_FINISHED, 3600.0)

    # --- declaring ---

    def register(self, job_type: JobType) -> None:
        if job_type.kind in self._types:
            raise ValueError(f"job type {job_type.kind!r} is registered twice")
        self._types[job_type.kind] = job_type

    def every(self, name: str, kind: str, interval: float, payload: dict[str, Any] | None = None) -> None:
        """Runs `kind` once every `interval` seconds of the clock, across every replica."""
        if kind not in self._types:
            raise ValueError(f"schedule {name!r}: no job type {kind!r}")
        self._schedules[name] = Schedule(name, kind, max(1, round(interval * 1000)), payload or {})

    # --- enqueueing, cancelling, reading ---

    async def enqueue(
        self,
        conn: AsyncConnection,
        kind: str,
        payload: dict[str, Any],
        *,
        key: str | None = None,
        delay: float = 0.0,
        job_id: str | None = None,
        attempt_timeout: float | None = None,
        max_attempts: int | None = None,
    ) -> str:
        """Writes a job in `conn`'s open transaction (it exists only if that commits) and
        returns its id. `key`: the type's concurrency limit counts per key (say, one
        webhook endpoint); `attempt_timeout` (seconds), `max_attempts`: override the
        type's for this job (say, an agent run's own timeout)."""
        job_type = self._types.get(kind)
        if job_type is None:
            raise ValueError(f"no job type {kind!r}")
        now = self._clock.now_ms()
        job = NewJob(
            kind=kind,
            payload=payload,
            key=key,
            max_attempts=max_attempts or job_type.max_attempts,
            timeout_ms=round((attempt_timeout if attempt_timeout is not None else job_type.timeout) * 1000),
            run_at_ms=now + round(delay * 1000),
            id=job_id or store.new_job_id(),
        )
        await store.insert_job(conn, job, now, once=False)
        self._wake_on_commit(conn)
        return job.id

    async def submit(self, kind: str, payload: dict[str, Any], **options: Any) -> str:
        """`enqueue` in a transaction of its own."""
        async with self._db.write() as conn:
            return await self.enqueue(conn, kind, payload, **options)

    async def cancel(self, job_id: str) -> str | None:
        """Cancels a queued job, or stops a running one (here at once; on another replica
        within its poll interval). Returns the job's state then, None if there is none."""
        async with self._db.write() as conn:
            state = await store.cancel(conn, job_id, self._clock.now_ms())
        if job_id in self._running:
            self._cancel_task(job_id, _CANCELLED)
        return state

    async def status(self, job_id: str) -> JobStatus | None:
        async with self._db.engine.connect() as conn:
            return await store.status(conn, job_id)

    def _wake_on_commit(self, conn: AsyncConnection) -> None:
        event.listen(conn.sync_connection, "commit", self._wake_now, once=True)

    def _wake_now(self, *_: Any) -> None:
        self._wake.set()

    # --- running ---

    def start(self) -> None:
        if self._loop is None:
            self._loop = asyncio.create_task(self._run(), name="chorus-jobs")

    async def drain(self, grace: float) -> None:
        """Claims nothing more; running jobs get `grace` seconds, then are cancelled and
        left to their lease (see the module's note)."""
        if self._loop is None:
            return
        self._stopping = True
        self._wake.set()
        if self._running:
            await asyncio.wait(list(self._running.values()), timeout=grace)
        for job_id in list(self._running):
            self._cancel_task(job_id, _DRAINED)
        if self._running:
            await asyncio.wait(list(self._running.values()))
        self._loop.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._loop
        self._loop = None

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                await self._tick()
            except Exception:
                log.exception("job runner: a poll failed; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll)
        # Draining: keep the leases of the jobs finishing within the grace period.
        while self._running:
            with contextlib.suppress(Exception):
                await self._renew()
            await asyncio.sleep(self._poll)

    async def _tick(self) -> None:
        await self._schedule_periods()
        now = asyncio.get_running_loop().time()
        if self._running and now >= self._next_renewal:
            self._next_renewal = now + min(self._poll, self._lease_ms / 3000)
            await self._renew()
        free = self._concurrency - len(self._running)
        if free <= 0 or self._stopping:
            return
        async with self._db.engine.connect() as reader:
            if not await store.any_due(reader, self._types, self._clock.now_ms()):
                return
        async with self._db.write() as conn:
            claimed = await store.claim(
                conn, self._types, self.owner, self._clock.now_ms(), self._lease_ms, free, skip=list(self._running)
            )
        for job in claimed:
            self._running[job.id] = asyncio.create_task(self._execute(job), name=f"job:{job.kind}:{job.id}")

    async def _schedule_periods(self) -> None:
        now = self._clock.now_ms()
        due = []
        for schedule in self._schedules.values():
            period = now // schedule.interval_ms
            if self._last_period.get(schedule.name) != period:
                due.append((schedule, period))
        if not due:
            return
        async with self._db.write() as conn:
            for schedule, period in due:
                job_type = self._types[schedule.kind]
                job = NewJob(
                    kind=schedule.kind,
                    payload=schedule.payload,
                    key=None,
                    max_attempts=job_type.max_attempts,
                    timeout_ms=round(job_type.timeout * 1000),
                    run_at_ms=now,
                    id=f"{schedule.name}@{period * schedule.interval_ms}",
                )
                await store.insert_job(conn, job, now, once=True)
        for schedule, period in due:
            self._last_period[schedule.name] = period

    async def _renew(self) -> None:
        ids = list(self._running)
        async with self._db.write() as conn:
            held, cancelled = await store.renew(conn, ids, self.owner, self._clock.now_ms() + self._lease_ms)
        for job_id in ids:
            if job_id not in self._running:
                continue
            if job_id not in held:
                self._cancel_task(job_id, _LOST)
            elif job_id in cancelled:
                self._cancel_task(job_id, _CANCELLED)

    def _cancel_task(self, job_id: str, why: str) -> None:
        task = self._running.get(job_id)
        if task is not None and not task.done() and job_id not in self._recording:
            self._why_cancelled.setdefault(job_id, why)
            task.cancel()

    async def _execute(self, job: Claimed) -> None:
        job_type = self._types[job.kind]
        try:
            try:
                state, error, retry = await self._attempt(job, job_type)
            except asyncio.CancelledError:
                if self._why_cancelled.get(job.id, _DRAINED) != _CANCELLED:
                    return  # Lost: another replica holds it now. Drained: its lease decides.
                state, error, retry = CANCELLED, store.CANCELLED_REASON, False
            # From here a cancel would roll the outcome's write back (see `_cancel_task`).
            self._recording.add(job.id)
            if state == FAILED:
                await self._failed(job, job_type, error or "failed", retry=retry)
            else:
                await self._finish(job, state, error)
        except asyncio.CancelledError:
            return  # the event loop is shutting down; the lease decides
        except Exception:
            log.exception("job %s (%s): recording its outcome failed; its lease will decide", job.id, job.kind)
        finally:
            self._running.pop(job.id, None)
            self._why_cancelled.pop(job.id, None)
            self._recording.discard(job.id)
            self._wake.set()

    async def _attempt(self, job: Claimed, job_type: JobType) -> tuple[str, str | None, bool]:
        """Runs the handler once: (the state it ends in, its error, whether to retry)."""
        seconds = job.timeout_ms / 1000
        context = JobContext(job.id, job.kind, job.key, job.payload, job.attempt, job.max_attempts)
        try:
            async with asyncio.timeout(seconds):
                await job_type.handler(context)
        except TimeoutError:
            return FAILED, f"timed out after {seconds:g} s", True
        except PermanentFailure as failure:
            return FAILED, str(failure) or "failed", False
        except Exception as exc:
            log.warning("job %s (%s) attempt %d failed: %r", job.id, job.kind, job.attempt, exc)
            return FAILED, f"{type(exc).__name__}: {exc}", True
        return SUCCEEDED, None, False

    async def _finish(self, job: Claimed, state: str, error: str | None) -> None:
        async with self._db.write() as conn:
            await store.finish(conn, job, self.owner, state, error, self._clock.now_ms())

    async def _failed(self, job: Claimed, job_type: JobType, reason: str, *, retry: bool) -> None:
        if not retry or job.attempt >= job.max_attempts:
            await self._finish(job, FAILED, reason)
            return
        delay_ms = round(job_type.backoff.delay(job.attempt, self._rng) * 1000)
        async with self._db.write() as conn:
            now = self._clock.now_ms()
            if not await store.retry_later(conn, job, self.owner, reason, now + delay_ms):
                # Cancelled while this attempt ran (a lost lease matches nothing here either).
                await store.finish(conn, job, self.owner, CANCELLED, store.CANCELLED_REASON, now)

    async def _purge_finished(self, _: JobContext) -> None:
        async with self._db.write() as conn:
            purged = await store.purge_finished(conn, self._clock.now_ms() - self._keep_finished_ms)
        if purged:
            log.info("purged %d finished jobs", purged)

    # --- for tests and the bench ---

    @property
    def running(self) -> list[str]:
        return list(self._running)
