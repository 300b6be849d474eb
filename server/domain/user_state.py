"""The MCoS user's state snapshot (spec 003, `GET /api/state`); surface-agnostic.

Without `since` it is the user's tasks, preferences, newest messages and
pinned memories; with `since` only what changed after it, plus the ids of
tasks deleted after it. `last_updated_ms` is the newest change in the
snapshot, and never before `since` (or now, for a `since` in the future),
so a client passes it back as the next `since`. Each list is bounded: a client that receives a
full one should reload that resource from its own route.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from server.clock import Clock
from server.domain.conversation_messages import ConversationMessage, RecentMessages
from server.domain.memories import MemoryRecord, MemoryService
from server.domain.preferences import PreferenceService, PreferencesRecord
from server.domain.record_fields import check_time
from server.domain.tasks import TaskRecord, TaskService
from server.domain.validation import Violations
from server.storage.chat_store import Scope

MAX_TASKS = 200
MAX_MESSAGES = 20
MAX_MEMORIES = 100
MAX_DELETED_TASKS = 1000


@dataclass(frozen=True, slots=True)
class UserState:
    user_id: str
    tasks: list[TaskRecord]  # most recently changed first
    preferences: PreferencesRecord
    recent_messages: list[ConversationMessage]  # oldest first
    pinned_memories: list[MemoryRecord]  # most recently changed first
    last_updated_ms: int
    deleted_task_ids: list[str]  # only with `since`


class UserStateService:
    def __init__(
        self,
        tasks: TaskService,
        memories: MemoryService,
        preferences: PreferenceService,
        conversations: RecentMessages,
        clock: Clock,
    ) -> None:
        self._tasks = tasks
        self._memories = memories
        self._preferences = preferences
        self._conversations = conversations
        self._clock = clock

    async def snapshot(self, owner: Scope, since_ms: int | None = None) -> UserState:
        problems = Violations()
        check_time(problems, "since", since_ms)
        problems.raise_if_any("Invalid state query")
        now = self._clock.now_ms()
        tasks, memories, preferences, messages, deleted = await asyncio.gather(
            self._tasks.changed(owner, since_ms, MAX_TASKS),
            self._memories.changed(owner, since_ms, MAX_MEMORIES),
            self._preferences.get(owner),
            self._conversations.recent_messages(owner, limit=MAX_MESSAGES, since_ms=since_ms),
            self._deleted(owner, since_ms),
        )
        changes = [
            *(t.updated_at_ms for t in tasks[:1]),
            *(m.updated_at_ms for m in memories[:1]),
            *(m.created_at_ms for m in messages[-1:]),
            *(at for _, at in deleted[:1]),
        ]
        if preferences.updated_at_ms is not None:
            changes.append(preferences.updated_at_ms)
        if since_ms is not None:
            changes.append(min(since_ms, now))
        return UserState(
            user_id=owner.owner_id,
            tasks=tasks,
            preferences=preferences,
            recent_messages=messages,
            pinned_memories=memories,
            last_updated_ms=max(changes, default=now),
            deleted_task_ids=[task_id for task_id, _ in deleted],
        )

    async def _deleted(self, owner: Scope, since_ms: int | None) -> list[tuple[str, int]]:
        if since_ms is None:
            return []
        return await self._tasks.deleted_since(owner, since_ms, MAX_DELETED_TASKS)
