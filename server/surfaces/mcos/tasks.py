"""The MCoS user's tasks (spec 003, "Task Management"); surface-agnostic.

A task's `completed_at` follows its status: set (to now, unless given) when
it becomes "completed", cleared when it leaves it. Lists are keyset-paged
in a stable order: due ascending (no due date last), then created, then id.
"""

from __future__ import annotations

import builtins
import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chorus_contracts.mcos.v1 import resources_pb2

from server.platform.clock import Clock
from server.platform.document_enums import DocumentEnum
from server.platform.errors import ChorusError, FieldViolation, invalid_argument, not_found
from server.platform.scope import Scope
from server.platform.storage.database import Database
from server.platform.validation import Violations
from server.surfaces.mcos.record_fields import (
    check_time,
    checked_choice,
    checked_limit,
    checked_names,
    checked_text,
    decode_cursor,
    encode_cursor,
    new_id,
)
from server.surfaces.mcos.stores.task_store import TaskFilter, TaskPosition, TaskRecord, TaskStore
from server.surfaces.mcos.stores.user_changes import ChangeWindow

__all__ = [
    "TASK_PRIORITIES",
    "TASK_PRIORITY",
    "TASK_STATUS",
    "TASK_STATUSES",
    "TaskPage",
    "TaskRecord",
    "TaskService",
    "task_not_found",
]

# The document's closed sets, from the contract (mcos.v1.TaskStatus / TaskPriority).
TASK_STATUS = DocumentEnum(resources_pb2.TaskStatus)
TASK_PRIORITY = DocumentEnum(resources_pb2.TaskPriority)
TASK_STATUSES = TASK_STATUS.choices
TASK_PRIORITIES = TASK_PRIORITY.choices
MAX_TITLE = 500
MAX_TAGS = 20
MAX_TAG = 50
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# The keys `update` takes; None clears the optional ones (due, tags, completed_at).
UPDATABLE = ("title", "status", "priority", "due_ms", "tags", "completed_at_ms")
# The JSON field each key is reported as.
FIELD_NAMES = {"due_ms": "due", "completed_at_ms": "completed_at"}
_TASK_ID = re.compile(r"task_[0-9a-f]{24}")
_INVALID = "Invalid task"


@dataclass(frozen=True, slots=True)
class TaskPage:
    tasks: list[TaskRecord]
    next_cursor: str  # "" on the last page


def task_not_found() -> ChorusError:
    return not_found("Task not found")


def _field(key: str) -> str:
    return FIELD_NAMES.get(key, key)


def _checked_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    """`changes` validated and normalised (title trimmed, tags deduplicated)."""
    problems = Violations()
    checked: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "title":
            checked[key] = checked_text(problems, "title", value, 1, MAX_TITLE)
        elif key == "status":
            checked[key] = checked_choice(problems, "status", value, TASK_STATUSES)
        elif key == "priority":
            checked[key] = checked_choice(problems, "priority", value, TASK_PRIORITIES)
        elif key == "tags":
            checked[key] = () if value is None else checked_names(problems, "tags", value, MAX_TAGS, MAX_TAG)
        elif key in ("due_ms", "completed_at_ms"):
            check_time(problems, _field(key), value)
            checked[key] = value
        else:
            problems.add(key, "Unknown field")
    problems.raise_if_any(_INVALID)
    return checked


def _completed_at(current: TaskRecord, changes: Mapping[str, Any], now_ms: int) -> int | None:
    status = changes.get("status", current.status)
    given = changes.get("completed_at_ms")
    if status != "completed":
        if given is not None:
            raise invalid_argument(
                _INVALID, [FieldViolation("completed_at", "Only a completed task has a completion time")]
            )
        return None
    if given is not None:
        return int(given)
    if "completed_at_ms" not in changes and current.status == "completed" and current.completed_at_ms is not None:
        return current.completed_at_ms
    return now_ms


def _changed(current: TaskRecord, changes: Mapping[str, Any], now_ms: int) -> TaskRecord:
    """`current` with `changes` applied; `current` itself when nothing differs."""
    fields = {key: value for key, value in changes.items() if key != "completed_at_ms"}
    candidate = dataclasses.replace(current, **fields, completed_at_ms=_completed_at(current, changes, now_ms))
    if candidate == current:
        return current
    return dataclasses.replace(candidate, updated_at_ms=now_ms)


def _position(problems: Violations, cursor: str) -> TaskPosition | None:
    if not cursor:
        return None
    position = decode_cursor(problems, cursor, ((int, type(None)), int, str))
    return TaskPosition(*position) if position is not None else None


def _cursor(task: TaskRecord) -> str:
    return encode_cursor([task.due_ms, task.created_at_ms, task.id])


class TaskService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._store = TaskStore(db)
        self._clock = clock

    async def create(
        self,
        owner: Scope,
        *,
        title: str,
        due_ms: int | None = None,
        priority: str | None = None,
        tags: Sequence[str] = (),
        status: str | None = None,
    ) -> TaskRecord:
        fields = _checked_changes(
            {
                "title": title,
                "status": status or "open",
                "priority": priority or "medium",
                "due_ms": due_ms,
                "tags": tags,
            }
        )
        now = self._clock.now_ms()
        task = TaskRecord(
            id=new_id("task_"),
            title=fields["title"],
            status=fields["status"],
            priority=fields["priority"],
            due_ms=due_ms,
            tags=fields["tags"],
            completed_at_ms=now if fields["status"] == "completed" else None,
            created_at_ms=now,
            updated_at_ms=now,
        )
        await self._store.insert(owner, task)
        return task

    async def list(
        self,
        owner: Scope,
        *,
        status: str | None = None,
        due_before_ms: int | None = None,
        due_after_ms: int | None = None,
        tags: Sequence[str] = (),
        limit: int = DEFAULT_LIMIT,
        cursor: str = "",
    ) -> TaskPage:
        problems = Violations()
        if status:
            checked_choice(problems, "status", status, TASK_STATUSES)
        check_time(problems, "due_before", due_before_ms)
        check_time(problems, "due_after", due_after_ms)
        wanted_tags = checked_names(problems, "tags", tags, MAX_TAGS, MAX_TAG)
        limit = checked_limit(problems, limit, MAX_LIMIT)
        after = _position(problems, cursor)
        problems.raise_if_any("Invalid task query")
        where = TaskFilter(status or None, due_before_ms, due_after_ms, wanted_tags)
        found = await self._store.page(owner, where, after, limit + 1)
        page = found[:limit]
        return TaskPage(page, _cursor(page[-1]) if len(found) > limit else "")

    async def update(self, owner: Scope, task_id: str, changes: Mapping[str, Any]) -> TaskRecord:
        """Changes only the given keys (see UPDATABLE); no keys returns the task as is."""
        checked = _checked_changes(changes)
        if not _TASK_ID.fullmatch(task_id):
            raise task_not_found()
        now = self._clock.now_ms()
        updated = await self._store.update(owner, task_id, lambda current: _changed(current, checked, now))
        if updated is None:
            raise task_not_found()
        return updated

    async def delete(self, owner: Scope, task_id: str) -> None:
        if not _TASK_ID.fullmatch(task_id) or not await self._store.delete(owner, task_id, self._clock.now_ms()):
            raise task_not_found()

    async def changed(self, owner: Scope, window: ChangeWindow, limit: int) -> builtins.list[TaskRecord]:
        """Live tasks whose last change is in `window`, most recently changed first."""
        return await self._store.changed(owner, window, limit)

    async def deleted(self, owner: Scope, window: ChangeWindow, limit: int) -> builtins.list[tuple[str, int]]:
        """(id, deletion time) of tasks deleted in `window`, latest first."""
        return await self._store.deleted(owner, window, limit)
