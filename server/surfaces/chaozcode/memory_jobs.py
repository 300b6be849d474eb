"""The Memory Spine's purge as a platform job: memories soft-deleted
`memory_retention_days` ago go, with their versions, tags and events.

Run every `memory_purge_interval` seconds of the clock, once per period across
every replica (server/platform/jobs). The purge is an idempotent keyed delete,
so a lost lease simply retries it.
"""

from __future__ import annotations

import logging

from server.platform.jobs import JobContext, Jobs, JobType
from server.surfaces.chaozcode.memory import MemorySpine

log = logging.getLogger("chorus.chaozcode.memory")

PURGE = "chaozcode.memory_purge"


def register_purge(jobs: Jobs, spine: MemorySpine, interval: float) -> None:
    async def purge(_: JobContext) -> None:
        count = await spine.purge()
        if count:
            log.info("purged %d deleted memories", count)

    jobs.register(JobType(PURGE, purge, timeout=600.0, max_attempts=3))
    if interval > 0:
        jobs.every(PURGE, PURGE, interval)
