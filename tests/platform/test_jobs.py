"""The platform's job runner on a real database (the session's backend): the outbox,
leases through kill -9, timeouts, cancellation, per-key concurrency, backoff, periodic
jobs once across processes, and the drain."""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from server.platform.clock import SystemClock
from server.platform.jobs import (
    CANCELLED,
    FAILED,
    QUEUED,
    RUNNING,
    SUCCEEDED,
    Backoff,
    JobContext,
    Jobs,
    JobType,
    PermanentFailure,
    svix_backoff,
)
from server.platform.jobs.types import LEASE_EXPIRED_REASON, SVIX_RETRY_DELAYS
from server.platform.storage.database import Database
from tests.support.chorus_process import ROOT
from tests.support.job_worker import lines, worker_jobs

Handler = Callable[[JobContext], Awaitable[None]]


@pytest.fixture
async def db(migrated_url: str) -> AsyncIterator[Database]:
    database = Database(migrated_url)
    yield database
    await database.close()


def runner(db: Database, *types: JobType, poll: float = 0.05, lease: float = 1.0) -> Jobs:
    jobs = Jobs(db, SystemClock(), poll_interval=poll, lease=lease)
    for job_type in types:
        jobs.register(job_type)
    return jobs


async def until(check: Callable[[], Awaitable[bool]], what: str, within: float = 15.0) -> None:
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, f"timed out waiting for: {what}"
        await asyncio.sleep(0.02)


async def state_of(jobs: Jobs, job_id: str) -> str | None:
    status = await jobs.status(job_id)
    return status.state if status else None


async def reaches(jobs: Jobs, job_id: str, state: str, within: float = 15.0) -> None:
    async def check() -> bool:
        return await state_of(jobs, job_id) == state

    await until(check, f"{job_id} {state}", within)


async def test_a_job_exists_only_if_its_transaction_commits(db: Database) -> None:
    ran: list[str] = []

    async def record(job: JobContext) -> None:
        ran.append(job.payload["n"])

    jobs = runner(db, JobType("t.record", record))
    with pytest.raises(RuntimeError):
        async with db.write() as conn:
            rolled_back = await jobs.enqueue(conn, "t.record", {"n": "rolled back"})
            raise RuntimeError("the change failed")
    async with db.write() as conn:
        committed = await jobs.enqueue(conn, "t.record", {"n": "committed"})
    assert await jobs.status(rolled_back) is None
    assert await state_of(jobs, committed) == QUEUED
    jobs.start()
    try:
        await reaches(jobs, committed, SUCCEEDED)
    finally:
        await jobs.drain(5)
    assert ran == ["committed"]


def _start_worker(url: str, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'gen'}"}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.job_worker", url, str(log), *extra], cwd=ROOT, env=env
    )


async def _logged(log: Path, event: str, job_id: str, pid: int | None = None) -> None:
    async def check() -> bool:
        return any(e == event and j == job_id and (pid is None or int(p) == pid) for e, j, _, p in lines(log))

    await until(check, f"{event} {job_id} in {log.name}", within=30)


async def test_a_job_whose_process_is_killed_is_retried_or_failed_after_its_lease(db: Database, tmp_path: Path) -> None:
    log = tmp_path / "jobs.log"
    jobs = worker_jobs(db)  # enqueues only; the worker processes run the jobs
    retried = await jobs.submit("test.hang_then_retry", {"log": str(log)})
    failed = await jobs.submit("test.hang_then_fail", {"log": str(log)})
    first = _start_worker(db.url, log)
    try:
        await _logged(log, "started", retried, first.pid)
        await _logged(log, "started", failed, first.pid)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert await state_of(jobs, retried) == RUNNING
        second = _start_worker(db.url, log)
        try:
            await _logged(log, "done", retried, second.pid)
            await reaches(jobs, retried, SUCCEEDED)
            await reaches(jobs, failed, FAILED)
        finally:
            second.terminate()
            second.wait(20)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    retried_status, failed_status = await jobs.status(retried), await jobs.status(failed)
    assert retried_status is not None and retried_status.attempts == 2
    assert failed_status is not None and failed_status.error == LEASE_EXPIRED_REASON
    # The killed attempt never finished anywhere; the retry ran once.
    assert [(e, a) for e, j, a, _ in lines(log) if j == retried] == [("started", "1"), ("started", "2"), ("done", "2")]


async def test_a_periodic_job_runs_once_per_period_across_two_processes(db: Database, tmp_path: Path) -> None:
    log = tmp_path / "ticks.log"
    workers = [_start_worker(db.url, log, "--periodic", "0.25") for _ in range(2)]
    try:

        async def ticks() -> bool:
            return sum(1 for e, *_ in lines(log) if e == "tick") >= 8

        await until(ticks, "eight periods", within=40)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            assert worker.wait(20) == 0
    ticked = [(j, p) for e, j, _, p in lines(log) if e == "tick"]
    periods = [j for j, _ in ticked]
    assert len(periods) == len(set(periods)), "a period ran twice"
    assert {p for _, p in ticked} <= {str(w.pid) for w in workers}


async def test_a_job_past_its_timeout_fails_with_a_reason(db: Database) -> None:
    attempts: list[int] = []

    async def slow(job: JobContext) -> None:
        attempts.append(job.attempt)
        await asyncio.sleep(60)

    jobs = runner(
        db,
        JobType("t.slow", slow, timeout=0.2, max_attempts=2, backoff=Backoff(base=0.05, jitter=0)),
    )
    jobs.start()
    try:
        job_id = await jobs.submit("t.slow", {})
        await reaches(jobs, job_id, FAILED)
        short = await jobs.submit("t.slow", {}, attempt_timeout=0.05, max_attempts=1)
        await reaches(jobs, short, FAILED)
    finally:
        await jobs.drain(5)
    status = await jobs.status(job_id)
    assert status is not None and status.error == "timed out after 0.2 s" and status.attempts == 2
    short_status = await jobs.status(short)
    assert short_status is not None and short_status.error == "timed out after 0.05 s"
    assert attempts == [1, 2, 1]


async def test_cancelling_stops_a_running_job_on_another_replica_and_drops_a_queued_one(
    two_processes: tuple[Database, Database],
) -> None:
    first_db, second_db = two_processes
    started, stopped = asyncio.Event(), asyncio.Event()

    async def wait_forever(job: JobContext) -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        finally:
            stopped.set()

    kind = JobType("t.forever", wait_forever, timeout=3600)
    running_here = runner(first_db, kind)
    elsewhere = runner(second_db, JobType("t.forever", wait_forever, timeout=3600))  # does not run jobs
    running_here.start()
    try:
        job_id = await elsewhere.submit("t.forever", {})
        await asyncio.wait_for(started.wait(), 15)
        assert await elsewhere.cancel(job_id) == RUNNING  # asked; the runner stops it at its next poll
        await asyncio.wait_for(stopped.wait(), 15)
        await reaches(elsewhere, job_id, CANCELLED)
        later = await elsewhere.submit("t.forever", {}, delay=3600)
        assert await elsewhere.cancel(later) == CANCELLED
        assert await elsewhere.cancel("job_missing") is None
    finally:
        await running_here.drain(5)
    status = await elsewhere.status(job_id)
    assert status is not None and status.error == "cancelled" and status.attempts == 1


async def test_at_most_the_limit_of_one_key_runs_at_once_across_replicas(
    two_processes: tuple[Database, Database],
) -> None:
    spans: dict[str, list[tuple[float, float]]] = {"a": [], "b": []}

    async def hold(job: JobContext) -> None:
        start = time.monotonic()
        await asyncio.sleep(0.15)
        assert job.key is not None
        spans[job.key].append((start, time.monotonic()))

    replicas = [runner(db, JobType("t.keyed", hold, concurrency=1)) for db in two_processes]
    ids = []
    async with two_processes[0].write() as conn:
        for key in ("a", "a", "a", "a", "b", "b"):
            ids.append(await replicas[0].enqueue(conn, "t.keyed", {}, key=key))
    for replica in replicas:
        replica.start()
    try:
        for job_id in ids:
            await reaches(replicas[0], job_id, SUCCEEDED)
    finally:
        for replica in replicas:
            await replica.drain(5)
    for key, runs in spans.items():
        ordered = sorted(runs)
        assert all(end <= next_start for (_, end), (next_start, _) in itertools.pairwise(ordered)), key
    assert len(spans["a"]) == 4 and len(spans["b"]) == 2
    # Another key is not held up: some "b" ran while an "a" did.
    assert any(a0 < b1 and b0 < a1 for a0, a1 in spans["a"] for b0, b1 in spans["b"])


async def test_failed_attempts_retry_after_a_jittered_backoff_until_they_succeed(db: Database) -> None:
    seen: list[float] = []

    async def flaky(job: JobContext) -> None:
        seen.append(time.monotonic())
        if job.attempt < 3:
            raise ConnectionError("receiver down")

    async def refused(job: JobContext) -> None:
        raise PermanentFailure("the endpoint is gone")

    jobs = runner(
        db,
        JobType("t.flaky", flaky, backoff=Backoff(base=0.3, jitter=0.2)),
        JobType("t.refused", refused),
    )
    jobs.start()
    try:
        job_id = await jobs.submit("t.flaky", {})
        gone = await jobs.submit("t.refused", {})
        await reaches(jobs, job_id, SUCCEEDED)
        await reaches(jobs, gone, FAILED)
    finally:
        await jobs.drain(5)
    assert len(seen) == 3
    first_wait, second_wait = seen[1] - seen[0], seen[2] - seen[1]
    assert first_wait >= 0.3 * 0.8 and second_wait >= 0.6 * 0.8
    status, gone_status = await jobs.status(job_id), await jobs.status(gone)
    assert status is not None and status.attempts == 3
    assert gone_status is not None and gone_status.attempts == 1 and gone_status.error == "the endpoint is gone"


def test_backoff_delays_spread_within_their_jitter() -> None:
    rng = random.Random(7)
    exponential = Backoff(base=2, cap=30, jitter=0.25)
    delays = [exponential.delay(n, rng) for n in range(1, 8)]
    for n, delay in enumerate(delays, start=1):
        plain = min(30, 2 * 2 ** (n - 1))
        assert plain * 0.75 <= delay <= plain * 1.25
    assert len({round(exponential.delay(3, rng), 6) for _ in range(20)}) > 1, "no jitter"
    svix = svix_backoff()
    for n, plain in enumerate(SVIX_RETRY_DELAYS, start=1):
        assert plain * 0.9 <= svix.delay(n, rng) <= plain * 1.1
    assert 36000 * 0.9 <= svix.delay(20, rng) <= 36000 * 1.1


async def test_the_drain_lets_short_jobs_finish_and_leaves_long_ones_to_their_lease(
    two_processes: tuple[Database, Database],
) -> None:
    first_db, second_db = two_processes
    attempts: dict[str, list[int]] = {}

    async def work(job: JobContext) -> None:
        attempts.setdefault(job.payload["name"], []).append(job.attempt)
        if job.attempt == 1:
            await asyncio.sleep(job.payload["seconds"])

    first = runner(first_db, JobType("t.work", work))
    first.start()
    short = await first.submit("t.work", {"name": "short", "seconds": 0.2})
    long = await first.submit("t.work", {"name": "long", "seconds": 3600})
    await until(lambda: _true({short, long} <= set(first.running)), "both running")
    await first.drain(1.0)
    assert await state_of(first, short) == SUCCEEDED
    assert await state_of(first, long) == RUNNING  # its lease, not the drain, decides
    second = runner(second_db, JobType("t.work", work))
    second.start()
    try:
        await reaches(second, long, SUCCEEDED)
    finally:
        await second.drain(5)
    assert attempts == {"short": [1], "long": [1, 2]}


async def _true(value: bool) -> bool:
    return value


async def test_an_attempt_that_fails_after_a_cancel_was_asked_is_not_retried(
    two_processes: tuple[Database, Database],
) -> None:
    asked = asyncio.Event()
    attempts: list[int] = []

    async def fail_once_asked(job: JobContext) -> None:
        attempts.append(job.attempt)
        await asked.wait()
        raise ConnectionError("receiver down")

    kind = JobType("t.fails", fail_once_asked, backoff=Backoff(base=0.01))
    # A slow poll: the runner does not see the cancel before the attempt fails.
    running_here = runner(two_processes[0], kind, poll=5.0, lease=30.0)
    elsewhere = runner(two_processes[1], kind)
    running_here.start()
    try:
        job_id = await elsewhere.submit("t.fails", {})
        await until(lambda: _true(job_id in running_here.running), "running")
        assert await elsewhere.cancel(job_id) == RUNNING
        asked.set()
        await reaches(elsewhere, job_id, CANCELLED)
    finally:
        await running_here.drain(5)
    assert attempts == [1]
