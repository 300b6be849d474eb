"""MCoS's retention rules (spec 003, "Data Retention") as platform jobs.

Each rule is a job type run every `retention.interval` seconds, once per
period across every replica (server/platform/jobs). Every rule is a keyed,
idempotent delete or update, so each type retries after a lost lease
(`LeaseLost.RETRY`, the default): a second run finds nothing left to do.

- `mcos.chat_retention`: archived messages go `archive_days` after archiving.
- `mcos.completed_tasks`: tasks completed more than `completed_task_days` (1 year)
  ago become tombstones, so incremental state reports them deleted.
- `mcos.event_log`: event log entries go after `event_log_days` (30 days).
- `mcos.task_tombstones`: tombstones go `tombstone_days` after the deletion; a
  `since`/`cursor` that could need one is refused from then on (see `user_state`).
"""

from __future__ import annotations

import logging

from server.platform.clock import Clock
from server.platform.jobs import JobContext, Jobs, JobType
from server.surfaces.mcos.chat_retention import DAY_MS, ChatRetention
from server.surfaces.mcos.settings import McosRetentionSettings
from server.surfaces.mcos.stores.task_store import TaskStore
from server.surfaces.mcos.stores.user_events import UserEvents

log = logging.getLogger("chorus.mcos.retention")

CHAT, COMPLETED_TASKS, EVENT_LOG, TOMBSTONES = (
    "mcos.chat_retention",
    "mcos.completed_tasks",
    "mcos.event_log",
    "mcos.task_tombstones",
)


class McosRetention:
    def __init__(
        self, chat: ChatRetention, tasks: TaskStore, events: UserEvents, clock: Clock, settings: McosRetentionSettings
    ) -> None:
        self._chat, self._tasks, self._events, self._clock = chat, tasks, events, clock
        self._completed_ms = round(settings.completed_task_days * DAY_MS)
        self._events_ms = round(settings.event_log_days * DAY_MS)
        self._tombstone_ms = round(settings.tombstone_days * DAY_MS)

    async def chat(self, _: JobContext) -> None:
        _report("archived messages", await self._chat.run_once())

    async def completed_tasks(self, _: JobContext) -> None:
        now = self._clock.now_ms()
        _report("completed tasks", await self._tasks.expire_completed(now - self._completed_ms, now))

    async def event_log(self, _: JobContext) -> None:
        _report("event log entries", await self._events.purge(self._clock.now_ms() - self._events_ms))

    async def tombstones(self, _: JobContext) -> None:
        _report("task tombstones", await self._tasks.purge_tombstones(self._clock.now_ms() - self._tombstone_ms))

    def register(self, jobs: Jobs, interval: float) -> None:
        """Declares the rules' job types and, for an `interval` over 0, their schedules."""
        for kind, handler in (
            (CHAT, self.chat),
            (COMPLETED_TASKS, self.completed_tasks),
            (EVENT_LOG, self.event_log),
            (TOMBSTONES, self.tombstones),
        ):
            jobs.register(JobType(kind, handler, timeout=600.0, max_attempts=3))
            if interval > 0:
                jobs.every(kind, kind, interval)


def _report(what: str, count: int) -> None:
    if count:
        log.info("retention removed %d %s", count, what)
