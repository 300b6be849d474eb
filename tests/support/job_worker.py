"""Job types for the runner's tests, and a worker process that runs them.

`python -m tests.support.job_worker URL LOG [--periodic SECONDS]` runs a job
runner on the database at URL until SIGTERM (then drains) or kill -9. Every
handler appends a line to the file its payload names (or LOG, for the
periodic job): "<event> <job id> <attempt> <pid>", so a test reads what ran
where, across processes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
from pathlib import Path

from server.platform.clock import SystemClock
from server.platform.jobs import Backoff, JobContext, Jobs, JobType, LeaseLost
from server.platform.storage.database import Database

LEASE = 1.0
POLL = 0.05


def note(path: str | Path, event: str, job: JobContext) -> None:
    with open(path, "a") as log:
        log.write(f"{event} {job.id} {job.attempt} {os.getpid()}\n")


def lines(path: Path) -> list[list[str]]:
    return [line.split() for line in path.read_text().splitlines()] if path.exists() else []


async def _hang_first_attempt(job: JobContext) -> None:
    """Starts, and on its first attempt never ends (the process gets killed)."""
    note(job.payload["log"], "started", job)
    if job.attempt == 1:
        await asyncio.sleep(3600)
    note(job.payload["log"], "done", job)


async def _tick(job: JobContext) -> None:
    note(job.payload["log"], "tick", job)


def worker_jobs(
    db: Database, *, lease: float = LEASE, poll: float = POLL, periodic: float = 0.0, log: str = ""
) -> Jobs:
    jobs = Jobs(db, SystemClock(), poll_interval=poll, lease=lease)
    jobs.register(JobType("test.hang_then_retry", _hang_first_attempt, timeout=3600, max_attempts=3))
    jobs.register(JobType("test.hang_then_fail", _hang_first_attempt, timeout=3600, on_lease_lost=LeaseLost.FAIL))
    jobs.register(JobType("test.tick", _tick, backoff=Backoff(base=0.05)))
    if periodic:
        jobs.every("test.tick", "test.tick", periodic, {"log": log})
    return jobs


async def _serve(url: str, log: str, periodic: float) -> None:
    db = Database(url)
    jobs = worker_jobs(db, periodic=periodic, log=log)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    jobs.start()
    await stop.wait()
    await jobs.drain(5.0)
    await db.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("log")
    parser.add_argument("--periodic", type=float, default=0.0)
    args = parser.parse_args()
    asyncio.run(_serve(args.url, args.log, args.periodic))


if __name__ == "__main__":
    main()
