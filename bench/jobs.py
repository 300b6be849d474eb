"""The jobs part: the platform job queue's latency (commit of the enqueue to the
handler's start) and throughput, on the bench's storage (SQLite, or PostgreSQL
with CHORUS_TEST_BACKEND=postgres).

The runner runs in this process on a fresh, migrated database, with its
production defaults (poll 1 s, lease 30 s). Rows, side by side in one run:

- latency, this process: one job at a time, enqueued in its own transaction in
  the runner's process, so the commit wakes the runner (the usual case: a
  request enqueues, its own process runs it);
- latency, another replica: the same, enqueued through a second engine whose
  commit cannot wake the runner, which finds the job at its next poll;
- throughput at concurrency 1 and 8: `--job-count` no-op jobs enqueued 100 per
  transaction, then drained; jobs per second from the first claim to the last
  finish;
- webhook delivery throughput at concurrency 1 and 8: a quarter as many events
  emitted to one endpoint (server/platform/webhooks), each a signed HTTPS POST
  to a real receiver on loopback (aiohttp in a process of its own, answering
  204) and its logged attempt; deliveries per second from the runner's start to
  the last logged success, beside the no-op rate of the same concurrency.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from bench.runs import progress
from bench.stats import fmt
from server.config import WebhookSettings
from server.platform.clock import SystemClock
from server.platform.jobs import JobContext, Jobs, JobType
from server.platform.storage.database import Database
from server.platform.storage.migrate import upgrade_async
from server.platform.storage.tables import WebhookAttemptRow
from server.platform.webhooks import WebhookDelivery, WebhookEndpoints
from tests.support import backends

LATENCY_JOBS = 100
BATCH = 100


@dataclass
class LatencyRow:
    name: str
    samples_ms: list[float]

    def quantile(self, q: float) -> float:
        ordered = sorted(self.samples_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class ThroughputRow:
    concurrency: int
    jobs: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.jobs / self.seconds if self.seconds else 0.0


@dataclass
class JobsPart:
    latency: list[LatencyRow] = field(default_factory=list)
    throughput: list[ThroughputRow] = field(default_factory=list)
    deliveries: list[ThroughputRow] = field(default_factory=list)


async def _latency(db: Database, other: Database, name: str, via_other: bool) -> LatencyRow:
    started: dict[str, float] = {}
    arrived = asyncio.Event()

    async def note_start(job: JobContext) -> None:
        started[job.id] = time.perf_counter()
        arrived.set()

    jobs = Jobs(db, SystemClock())
    jobs.register(JobType("bench.latency", note_start))
    enqueuer = Jobs(other, SystemClock()) if via_other else jobs
    if via_other:
        enqueuer.register(JobType("bench.latency", note_start))
    jobs.start()
    samples = []
    try:
        await asyncio.sleep(0.2)  # the first poll (periodic housekeeping) is done
        for _ in range(LATENCY_JOBS if not via_other else LATENCY_JOBS // 5):
            arrived.clear()
            async with enqueuer._db.write() as conn:
                job_id = await enqueuer.enqueue(conn, "bench.latency", {})
            committed = time.perf_counter()
            await asyncio.wait_for(arrived.wait(), 10)
            samples.append((started[job_id] - committed) * 1000)
    finally:
        await jobs.drain(5)
    return LatencyRow(name, samples)


async def _throughput(db: Database, concurrency: int, count: int) -> ThroughputRow:
    done = 0
    finished = asyncio.Event()
    first: list[float] = []

    async def no_op(job: JobContext) -> None:
        nonlocal done
        if not first:
            first.append(time.perf_counter())
        done += 1
        if done == count:
            finished.set()

    jobs = Jobs(db, SystemClock(), concurrency=concurrency)
    jobs.register(JobType(f"bench.no_op_{concurrency}", no_op))
    for start in range(0, count, BATCH):
        async with db.write() as conn:
            for _ in range(min(BATCH, count - start)):
                await jobs.enqueue(conn, f"bench.no_op_{concurrency}", {})
    jobs.start()
    try:
        await asyncio.wait_for(finished.wait(), 600)
        last = time.perf_counter()
    finally:
        await jobs.drain(5)
    return ThroughputRow(concurrency, count, last - first[0])


@contextlib.contextmanager
def _receiver(cert_dir: Path) -> Iterator[int]:
    """The tests' HTTPS receiver in a process of its own; yields its port."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.webhook_receiver", str(cert_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        yield int(proc.stdout.readline().split()[1])
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(10)


async def _delivered(db: Database, endpoint_id: str) -> int:
    async with db.engine.connect() as conn:
        found = await conn.execute(
            select(func.count()).where(WebhookAttemptRow.endpoint_id == endpoint_id, WebhookAttemptRow.succeeded)
        )
        return int(found.scalar_one())


async def _deliveries(db: Database, port: int, tmp: Path, concurrency: int, count: int) -> ThroughputRow:
    clock = SystemClock()
    jobs = Jobs(db, clock, concurrency=concurrency)
    settings = WebhookSettings(allow_private_addresses=True, ca_file=str(tmp / "webhook-ca.pem"))
    delivery = WebhookDelivery(db, clock, jobs, settings, tmp)
    endpoints = WebhookEndpoints(delivery, "bench", ["bench.event"], "X-Bench-Signature")
    url = f"https://localhost:{port}/bench-{concurrency}"
    endpoint = await endpoints.create("bench-user", url, ["bench.event"], "")
    for start in range(0, count, BATCH):
        async with db.write() as conn:
            for n in range(start, min(count, start + BATCH)):
                await endpoints.emit(conn, "bench-user", "bench.event", {"n": n})
    jobs.start()
    started = time.perf_counter()
    try:
        while await _delivered(db, endpoint.id) < count:
            assert time.perf_counter() - started < 600, "deliveries did not finish"
            await asyncio.sleep(0.02)
        last = time.perf_counter()
    finally:
        await jobs.drain(5)
        await delivery.aclose()
    return ThroughputRow(concurrency, count, last - started)


async def _run(count: int) -> JobsPart:
    part = JobsPart()
    with tempfile.TemporaryDirectory(prefix="chorus-bench-jobs-") as tmp:
        url = backends.database_url(Path(tmp) / "chorus.db")
        await upgrade_async(url)
        db, other = Database(url), Database(url)
        try:
            progress("jobs: latency, this process")
            part.latency.append(await _latency(db, other, "enqueued in the runner's process", via_other=False))
            progress("jobs: latency, another replica")
            part.latency.append(await _latency(db, other, "enqueued by another replica (poll 1 s)", via_other=True))
            with _receiver(Path(tmp)) as port:
                for concurrency in (1, 8):
                    progress(f"jobs: throughput, concurrency {concurrency}")
                    part.throughput.append(await _throughput(db, concurrency, count))
                    progress(f"jobs: webhook deliveries, concurrency {concurrency}")
                    part.deliveries.append(await _deliveries(db, port, Path(tmp), concurrency, count // 4))
        finally:
            await db.close()
            await other.close()
    return part


def run_jobs(count: int) -> JobsPart:
    return asyncio.run(_run(count))


def jobs_section(part: JobsPart) -> list[str]:
    out = [
        "## Job queue (server/platform/jobs)",
        "",
        "Enqueue commit to handler start, one job at a time (runner defaults: poll 1 s, lease 30 s).",
        "",
        "| Enqueued | Jobs | p50 ms | p95 ms | max ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in part.latency:
        out.append(
            f"| {row.name} | {len(row.samples_ms)} | {fmt(row.quantile(0.5), 2)} | "
            f"{fmt(row.quantile(0.95), 2)} | {fmt(max(row.samples_ms), 2)} |"
        )
    out += ["", "| Runner concurrency | No-op jobs | Seconds | Jobs/s |", "|---:|---:|---:|---:|"]
    for t in part.throughput:
        out.append(f"| {t.concurrency} | {t.jobs} | {fmt(t.seconds, 2)} | {fmt(t.per_second)} |")
    out += [
        "",
        "Webhook deliveries (signed HTTPS POST to a loopback receiver process, attempt logged), beside the no-op rate:",
        "",
        "| Runner concurrency | Deliveries | Seconds | Deliveries/s | No-op jobs/s |",
        "|---:|---:|---:|---:|---:|",
    ]
    no_op = {t.concurrency: t.per_second for t in part.throughput}
    for d in part.deliveries:
        out.append(
            f"| {d.concurrency} | {d.jobs} | {fmt(d.seconds, 2)} | {fmt(d.per_second)} | "
            f"{fmt(no_op.get(d.concurrency, 0.0))} |"
        )
    out.append("")
    return out
