"""Work sessions: AI assistants (Claude, GPT, ...) working on a project, kept alive by heartbeats.

A session is active while it is not ended, not paused (a heartbeat with
`active: false`), and was heard from within `timeout` seconds. That is
computed when read, from the stored last activity and the injected clock,
so nothing has to sweep stale sessions. Ending a session keeps its row: it
stays in lists and totals, never active again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import grpc

from server.platform.clock import Clock
from server.platform.errors import ChorusError
from server.platform.merge_patch import merge_patch
from server.platform.validation import Violations
from server.surfaces.chittyos.sync.resource_fields import (
    INVALID_REQUEST,
    Page,
    check_id,
    check_metadata,
    check_text,
    id_taken,
    require_metadata_size,
)
from server.surfaces.chittyos.sync.stores.work_session_store import Touch, WorkSessionRecord, WorkSessionStore

MAX_AI_PLATFORM = 64
MAX_MACHINE_ID = 128


@dataclass(frozen=True, slots=True)
class NewWorkSession:
    id: str
    project_id: str
    ai_platform: str
    machine_id: str
    metadata: dict[str, Any]


@dataclass(frozen=True, slots=True)
class WorkSessionPage:
    sessions: list[WorkSessionRecord]
    total: int
    active: int
    active_since_ms: int  # sessions heard from since then (and not ended or paused) are active


def session_not_found(session_id: str) -> ChorusError:
    return ChorusError(
        grpc.StatusCode.NOT_FOUND,
        "SESSION_NOT_FOUND",
        "Session not found",
        info={"message": "Session doesn't exist", "sessionId": session_id},
    )


def session_ended(session_id: str) -> ChorusError:
    return ChorusError(
        grpc.StatusCode.FAILED_PRECONDITION,
        "SESSION_ENDED",
        "Session ended",
        info={"message": "This session was ended; register a new one", "sessionId": session_id},
    )


def check_session_id(session_id: str, field: str = "sessionId") -> None:
    problems = Violations()
    check_id(problems, field, session_id)
    problems.raise_if_any(INVALID_REQUEST)


class WorkSessionService:
    def __init__(self, store: WorkSessionStore, clock: Clock, timeout_seconds: float) -> None:
        self._store = store
        self._clock = clock
        self._timeout_ms = int(timeout_seconds * 1000)

    def active_since_ms(self) -> int:
        return self._clock.now_ms() - self._timeout_ms

    def is_active(self, session: WorkSessionRecord) -> bool:
        return session.active(self.active_since_ms())

    async def create(self, tenant_id: str, new: NewWorkSession) -> WorkSessionRecord:
        problems = Violations()
        check_id(problems, "id", new.id)
        check_id(problems, "projectId", new.project_id)
        check_text(problems, "aiPlatform", new.ai_platform, MAX_AI_PLATFORM, required=True)
        check_text(problems, "machineId", new.machine_id, MAX_MACHINE_ID)
        check_metadata(problems, "metadata", new.metadata)
        problems.raise_if_any(INVALID_REQUEST)
        now = self._clock.now_ms()
        record = WorkSessionRecord(
            id=new.id,
            project_id=new.project_id,
            ai_platform=new.ai_platform,
            machine_id=new.machine_id,
            metadata=new.metadata,
            paused=False,
            created_at_ms=now,
            last_activity_ms=now,
            ended_at_ms=None,
        )
        if not await self._store.insert(tenant_id, record):
            raise id_taken("Session", "sessionId", new.id)
        return record

    async def get(self, tenant_id: str, session_id: str) -> WorkSessionRecord:
        check_session_id(session_id)
        session = await self._store.get(tenant_id, session_id)
        if session is None:
            raise session_not_found(session_id)
        return session

    async def list(self, tenant_id: str, page: Page) -> WorkSessionPage:
        since = self.active_since_ms()
        sessions, total, active = await self._store.page(tenant_id, page.limit, page.offset, since)
        return WorkSessionPage(sessions, total, active, since)

    async def heartbeat(
        self, tenant_id: str, session_id: str, active: bool | None, metadata_patch: dict[str, Any] | None
    ) -> int:
        """Records activity now; answers the heartbeat's time."""
        problems = Violations()
        check_id(problems, "sessionId", session_id)
        if metadata_patch is not None:
            check_metadata(problems, "metadata", metadata_patch)
        problems.raise_if_any(INVALID_REQUEST)

        def change_metadata(stored: dict[str, Any]) -> dict[str, Any]:
            if metadata_patch is None:
                return stored
            merged: dict[str, Any] = merge_patch(stored, metadata_patch)
            require_metadata_size(merged)
            return merged

        now = self._clock.now_ms()
        touched = await self._store.heartbeat(tenant_id, session_id, now, active, change_metadata)
        if touched is Touch.MISSING:
            raise session_not_found(session_id)
        if touched is Touch.ENDED:
            raise session_ended(session_id)
        return now

    async def end(self, tenant_id: str, session_id: str) -> int:
        """Ends the session; answers when it ended (the first end's time if it already had)."""
        check_session_id(session_id)
        ended = await self._store.end(tenant_id, session_id, self._clock.now_ms())
        if ended is None:
            raise session_not_found(session_id)
        return ended

    async def counts(self, tenant_id: str) -> tuple[int, int]:
        """(sessions, active sessions)."""
        return await self._store.counts(tenant_id, self.active_since_ms())
