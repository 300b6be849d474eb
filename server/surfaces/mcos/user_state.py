"""The MCoS user's state snapshot (spec 003, `GET /api/state`); surface-agnostic.

Without `since` or `cursor` it is the user's tasks, preferences, newest
messages and pinned memories. With either, only what changed after it, plus
the ids of tasks deleted after it; preferences always come whole.

Every snapshot carries a `cursor`: passed back, it selects exactly the
changes made after this snapshot's, however close in time and in whatever
order concurrent writers commit, because it counts changes instead of
comparing times (see `storage.user_changes`; messages use their own `seq`,
which commits in order per user the same way). The positions are read
before the records, so a record changed meanwhile may come twice but never
not at all.

`since` is the document's timestamp form: changes stamped after it, to the
millisecond, so a write in the same millisecond as the snapshot, or stamped
before it but committed after, can be missed; clients that poll should use
`cursor`. `last_updated_ms` is the newest change in the snapshot, and never
before `since` (or now, for a `since` in the future).

Each list is bounded: a client that receives a full one should reload that
resource from its own route.

Deleted tasks are reported from tombstones, which retention purges after
`retention.tombstone_days`. A `since` or `cursor` from before the newest
purged tombstone might need one that is gone, so it is refused
(VALIDATION_ERROR, reload without it) rather than answered without that
deletion. The purge point is read after the tombstones, so a purge that
commits during the read is seen.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from server.platform.chat.messages import ConversationMessage
from server.platform.clock import Clock
from server.platform.scope import Scope
from server.platform.validation import Violations
from server.surfaces.mcos.conversation_messages import RecentMessages
from server.surfaces.mcos.memories import MemoryRecord, MemoryService
from server.surfaces.mcos.preferences import PreferenceService, PreferencesRecord
from server.surfaces.mcos.record_fields import check_time, decode_cursor, encode_cursor
from server.surfaces.mcos.stores.user_changes import ALL, ChangeWindow, UserChanges
from server.surfaces.mcos.tasks import TaskRecord, TaskService

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
    deleted_task_ids: list[str]  # only with `since` or `cursor`
    cursor: str  # pass back as `cursor` for what changes next


@dataclass(frozen=True, slots=True)
class _Position:
    """Where a snapshot stands: the user's change number and newest message `seq`."""

    change: int
    message: int

    def encode(self) -> str:
        return encode_cursor([self.change, self.message])


class UserStateService:
    def __init__(
        self,
        tasks: TaskService,
        memories: MemoryService,
        preferences: PreferenceService,
        conversations: RecentMessages,
        changes: UserChanges,
        clock: Clock,
    ) -> None:
        self._tasks = tasks
        self._memories = memories
        self._preferences = preferences
        self._conversations = conversations
        self._changes = changes
        self._clock = clock

    async def snapshot(self, owner: Scope, since_ms: int | None = None, cursor: str = "") -> UserState:
        problems = Violations()
        check_time(problems, "since", since_ms)
        after = _decode(problems, cursor) if cursor else None
        if since_ms is not None and cursor:
            problems.add("cursor", "Give either 'since' or 'cursor', not both")
        problems.raise_if_any("Invalid state query")
        now = self._clock.now_ms()
        # First: every change up to these positions is committed, so the reads below see it.
        change, message = await asyncio.gather(
            self._changes.latest(owner), self._conversations.latest_message_seq(owner)
        )
        position = _Position(change, message)
        records, messages = ALL, ALL
        if since_ms is not None:
            records = messages = ChangeWindow(since_ms=since_ms)
        elif after is not None:
            records = ChangeWindow.between(after.change, position.change)
            messages = ChangeWindow.between(after.message, position.message)
        tasks, memories, preferences, recent, deleted = await asyncio.gather(
            self._tasks.changed(owner, records, MAX_TASKS),
            self._memories.changed(owner, records, MAX_MEMORIES),
            self._preferences.get(owner),
            self._conversations.recent_messages(owner, limit=MAX_MESSAGES, window=messages),
            self._deleted(owner, records),
        )
        if records.incremental:
            _refuse_forgotten(await self._changes.forgotten(owner), since_ms, after)
        changes = [
            *(t.updated_at_ms for t in tasks[:1]),
            *(m.updated_at_ms for m in memories[:1]),
            *(m.created_at_ms for m in recent[-1:]),
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
            recent_messages=recent,
            pinned_memories=memories,
            last_updated_ms=max(changes, default=now),
            deleted_task_ids=[task_id for task_id, _ in deleted],
            cursor=position.encode(),
        )

    async def _deleted(self, owner: Scope, window: ChangeWindow) -> list[tuple[str, int]]:
        if not window.incremental:
            return []
        return await self._tasks.deleted(owner, window, MAX_DELETED_TASKS)


def _refuse_forgotten(forgotten: tuple[int, int], since_ms: int | None, after: _Position | None) -> None:
    forgotten_change, forgotten_ms = forgotten
    problems = Violations()
    reload = "deleted tasks before it are no longer kept: reload the state without it"
    if after is not None and after.change < forgotten_change:
        problems.add("cursor", f"This cursor is too old; {reload}")
    if since_ms is not None and since_ms < forgotten_ms:
        problems.add("since", f"This time is too old; {reload}")
    problems.raise_if_any("Invalid state query")


def _decode(problems: Violations, cursor: str) -> _Position | None:
    position = decode_cursor(problems, cursor, (int, int))
    if position is None:
        return None
    if min(position) < 0:
        problems.add("cursor", "Invalid cursor")
        return None
    return _Position(*position)
