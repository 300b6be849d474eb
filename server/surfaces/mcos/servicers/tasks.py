"""mcos.v1.TaskService: `/api/tasks` over the task domain."""

from __future__ import annotations

from typing import Any

import grpc
from chorus_contracts.mcos.v1 import resources_pb2, tasks_pb2, tasks_pb2_grpc
from google.protobuf.timestamp_pb2 import Timestamp

from server.platform.errors import FieldViolation, invalid_argument
from server.platform.field_behavior import output_only_fields
from server.platform.validation import Violations
from server.surfaces.mcos.servicers.principal import principal_scope
from server.surfaces.mcos.tasks import DEFAULT_LIMIT, TASK_PRIORITY, TASK_STATUS, TaskRecord, TaskService

# Update-mask paths -> the domain's change keys.
_MASK_KEYS = {
    "title": "title",
    "status": "status",
    "priority": "priority",
    "due": "due_ms",
    "tags": "tags",
    "completed_at": "completed_at_ms",
}
# Output-only fields: a client may send a task back whole, so these are ignored (AIP-203).
_OUTPUT_ONLY = output_only_fields(resources_pb2.Task.DESCRIPTOR)


def task_pb(task: TaskRecord) -> resources_pb2.Task:
    out = resources_pb2.Task(
        id=task.id,
        title=task.title,
        status=TASK_STATUS.number(task.status),
        priority=TASK_PRIORITY.number(task.priority),
        tags=task.tags,
    )
    if task.due_ms is not None:
        out.due.FromMilliseconds(task.due_ms)
    if task.completed_at_ms is not None:
        out.completed_at.FromMilliseconds(task.completed_at_ms)
    out.created_at.FromMilliseconds(task.created_at_ms)
    out.updated_at.FromMilliseconds(task.updated_at_ms)
    return out


def optional_ms(message: Any, field: str) -> int | None:
    """A Timestamp field in epoch ms, or None when it is unset. An invalid one
    (out of range, bad nanos) is a VALIDATION_ERROR on `field` (named as in JSON)."""
    if not message.HasField(field):
        return None
    stamp: Timestamp = getattr(message, field)
    try:
        return stamp.ToMilliseconds()
    except ValueError:
        raise invalid_argument("Invalid timestamp", [FieldViolation(field, "Invalid timestamp")]) from None


def _mask_paths(request: tasks_pb2.UpdateTaskRequest) -> list[str]:
    """The mask, or (AIP-134) every field the client set when it sent none."""
    paths = list(request.update_mask.paths)
    if paths == ["*"]:
        return list(_MASK_KEYS)
    if paths:
        return paths
    task = request.task
    return [
        path
        for path, present in (
            ("title", bool(task.title)),
            ("status", bool(task.status)),
            ("priority", bool(task.priority)),
            ("due", task.HasField("due")),
            ("tags", bool(task.tags)),
            ("completed_at", task.HasField("completed_at")),
        )
        if present
    ]


def _value(task: resources_pb2.Task, path: str) -> Any:
    if path in ("due", "completed_at"):
        return optional_ms(task, path)
    if path == "tags":
        return list(task.tags)
    if path == "status":
        return TASK_STATUS.text(task.status)
    if path == "priority":
        return TASK_PRIORITY.text(task.priority)
    return getattr(task, path)


def _changes(request: tasks_pb2.UpdateTaskRequest) -> dict[str, Any]:
    problems = Violations()
    changes: dict[str, Any] = {}
    for path in _mask_paths(request):
        if path in _OUTPUT_ONLY:
            continue
        key = _MASK_KEYS.get(path)
        if key is None:
            problems.add("update_mask", f"Unknown field path {path!r}; use {', '.join(_MASK_KEYS)}")
        else:
            changes[key] = _value(request.task, path)
    problems.raise_if_any("Invalid update mask")
    return changes


def _filter_tags(text: str) -> list[str]:
    return [tag.strip() for tag in text.split(",") if tag.strip()]


class McosTaskService(tasks_pb2_grpc.TaskServiceServicer):
    def __init__(self, tasks: TaskService) -> None:
        self._tasks = tasks

    async def ListTasks(
        self, request: tasks_pb2.ListTasksRequest, context: grpc.aio.ServicerContext
    ) -> tasks_pb2.ListTasksResponse:
        page = await self._tasks.list(
            principal_scope(),
            status=TASK_STATUS.text(request.status) or None,
            due_before_ms=optional_ms(request, "due_before"),
            due_after_ms=optional_ms(request, "due_after"),
            tags=_filter_tags(request.tags),
            limit=request.limit or DEFAULT_LIMIT,
            cursor=request.cursor,
        )
        return tasks_pb2.ListTasksResponse(
            tasks=[task_pb(t) for t in page.tasks], has_more=bool(page.next_cursor), next_cursor=page.next_cursor
        )

    async def CreateTask(
        self, request: tasks_pb2.CreateTaskRequest, context: grpc.aio.ServicerContext
    ) -> tasks_pb2.CreateTaskResponse:
        task = await self._tasks.create(
            principal_scope(),
            title=request.title,
            due_ms=optional_ms(request, "due"),
            priority=TASK_PRIORITY.text(request.priority) or None,
            tags=list(request.tags),
            status=TASK_STATUS.text(request.status) or None,
        )
        return tasks_pb2.CreateTaskResponse(task=task_pb(task))

    async def UpdateTask(
        self, request: tasks_pb2.UpdateTaskRequest, context: grpc.aio.ServicerContext
    ) -> tasks_pb2.UpdateTaskResponse:
        task = await self._tasks.update(principal_scope(), request.task_id, _changes(request))
        return tasks_pb2.UpdateTaskResponse(task=task_pb(task))

    async def DeleteTask(
        self, request: tasks_pb2.DeleteTaskRequest, context: grpc.aio.ServicerContext
    ) -> tasks_pb2.DeleteTaskResponse:
        await self._tasks.delete(principal_scope(), request.task_id)
        return tasks_pb2.DeleteTaskResponse()
