"""mcos.v1.TaskService over gRPC: explicit and implicit update masks, errors with rich status."""

from __future__ import annotations

from collections.abc import Callable

import grpc
import pytest
from chorus_contracts.mcos.v1 import resources_pb2, tasks_pb2, tasks_pb2_grpc
from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.timestamp_pb2 import Timestamp

from tests.support.grpc_status import error_info, violated_fields
from tests.surfaces.mcos.conftest import User


def stamp(text: str) -> Timestamp:
    out = Timestamp()
    out.FromJsonString(text)
    return out


@pytest.fixture
def stub(mcos_channel: grpc.Channel) -> tasks_pb2_grpc.TaskServiceStub:
    return tasks_pb2_grpc.TaskServiceStub(mcos_channel)


def rejected(call: Callable[[], object], code: grpc.StatusCode, reason: str) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    assert caught.value.code() == code, caught.value.details()
    assert error_info(caught.value).reason == reason
    return caught.value


def test_create_list_update_delete(stub: tasks_pb2_grpc.TaskServiceStub, user: Callable[..., User]) -> None:
    md = user().grpc_metadata
    created = stub.CreateTask(
        tasks_pb2.CreateTaskRequest(title="Book hotel", due=stamp("2025-05-10T12:00:00Z"), tags=["travel"]),
        metadata=md,
    ).task
    assert created.id.startswith("task_") and (created.status, created.priority) == (
        resources_pb2.TASK_STATUS_OPEN,
        resources_pb2.TASK_PRIORITY_MEDIUM,
    )
    assert created.due.ToJsonString() == "2025-05-10T12:00:00Z"
    assert not created.HasField("completed_at")
    other = stub.CreateTask(tasks_pb2.CreateTaskRequest(title="Pack"), metadata=md).task

    listed = stub.ListTasks(tasks_pb2.ListTasksRequest(), metadata=md)
    assert [t.id for t in listed.tasks] == [created.id, other.id]
    assert (listed.has_more, listed.next_cursor) == (False, "")
    first = stub.ListTasks(tasks_pb2.ListTasksRequest(limit=1), metadata=md)
    assert first.has_more and [t.id for t in first.tasks] == [created.id]
    second = stub.ListTasks(tasks_pb2.ListTasksRequest(limit=1, cursor=first.next_cursor), metadata=md)
    assert [t.id for t in second.tasks] == [other.id] and not second.has_more

    # Explicit mask: only `priority` changes although the message carries a title too.
    masked = stub.UpdateTask(
        tasks_pb2.UpdateTaskRequest(
            task_id=created.id,
            task=resources_pb2.Task(title="ignored", priority=resources_pb2.TASK_PRIORITY_URGENT),
            update_mask=FieldMask(paths=["priority"]),
        ),
        metadata=md,
    ).task
    assert (masked.title, masked.priority, list(masked.tags)) == (
        "Book hotel",
        resources_pb2.TASK_PRIORITY_URGENT,
        ["travel"],
    )
    # A masked field left unset clears it.
    undated = stub.UpdateTask(
        tasks_pb2.UpdateTaskRequest(task_id=created.id, update_mask=FieldMask(paths=["due", "tags"])), metadata=md
    ).task
    assert not undated.HasField("due") and list(undated.tags) == []
    # No mask: every field set to a non-default value.
    completed = stub.UpdateTask(
        tasks_pb2.UpdateTaskRequest(
            task_id=created.id, task=resources_pb2.Task(status=resources_pb2.TASK_STATUS_COMPLETED)
        ),
        metadata=md,
    ).task
    assert completed.status == resources_pb2.TASK_STATUS_COMPLETED and completed.HasField("completed_at")
    assert (completed.title, completed.priority) == ("Book hotel", resources_pb2.TASK_PRIORITY_URGENT)

    stub.DeleteTask(tasks_pb2.DeleteTaskRequest(task_id=created.id), metadata=md)
    assert [t.id for t in stub.ListTasks(tasks_pb2.ListTasksRequest(), metadata=md).tasks] == [other.id]
    rejected(
        lambda: stub.DeleteTask(tasks_pb2.DeleteTaskRequest(task_id=created.id), metadata=md),
        grpc.StatusCode.NOT_FOUND,
        "NOT_FOUND",
    )


def test_invalid_requests_are_invalid_argument(stub: tasks_pb2_grpc.TaskServiceStub, user: Callable[..., User]) -> None:
    md = user().grpc_metadata
    task = stub.CreateTask(tasks_pb2.CreateTaskRequest(title="Valid"), metadata=md).task
    bad_mask = rejected(
        lambda: stub.UpdateTask(
            tasks_pb2.UpdateTaskRequest(
                task_id=task.id, task=resources_pb2.Task(title="x"), update_mask=FieldMask(paths=["title", "owner"])
            ),
            metadata=md,
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "VALIDATION_ERROR",
    )
    assert violated_fields(bad_mask) == ["update_mask"]
    outside_the_set = resources_pb2.TaskPriority.ValueType(99)  # gRPC enums are open: the server refuses it
    missing = rejected(
        lambda: stub.CreateTask(tasks_pb2.CreateTaskRequest(priority=outside_the_set), metadata=md),
        grpc.StatusCode.INVALID_ARGUMENT,
        "VALIDATION_ERROR",
    )
    assert sorted(violated_fields(missing)) == ["priority", "title"]
    for request in (tasks_pb2.ListTasksRequest(limit=-5), tasks_pb2.ListTasksRequest(limit=500)):
        limited = rejected(
            lambda request=request: stub.ListTasks(request, metadata=md),
            grpc.StatusCode.INVALID_ARGUMENT,
            "VALIDATION_ERROR",
        )
        assert violated_fields(limited) == ["limit"]
    far = Timestamp(seconds=10**12)  # beyond year 9999
    out_of_range = rejected(
        lambda: stub.CreateTask(tasks_pb2.CreateTaskRequest(title="Later", due=far), metadata=md),
        grpc.StatusCode.INVALID_ARGUMENT,
        "VALIDATION_ERROR",
    )
    assert violated_fields(out_of_range) == ["due"]
    assert [t.id for t in stub.ListTasks(tasks_pb2.ListTasksRequest(), metadata=md).tasks] == [task.id]


def test_other_users_task_is_not_found(stub: tasks_pb2_grpc.TaskServiceStub, user: Callable[..., User]) -> None:
    owner, stranger = user().grpc_metadata, user().grpc_metadata
    task = stub.CreateTask(tasks_pb2.CreateTaskRequest(title="Mine"), metadata=owner).task
    rejected(
        lambda: stub.UpdateTask(
            tasks_pb2.UpdateTaskRequest(task_id=task.id, task=resources_pb2.Task(title="Stolen")), metadata=stranger
        ),
        grpc.StatusCode.NOT_FOUND,
        "NOT_FOUND",
    )
    rejected(
        lambda: stub.DeleteTask(tasks_pb2.DeleteTaskRequest(task_id=task.id), metadata=stranger),
        grpc.StatusCode.NOT_FOUND,
        "NOT_FOUND",
    )
    assert list(stub.ListTasks(tasks_pb2.ListTasksRequest(), metadata=stranger).tasks) == []
    assert [t.title for t in stub.ListTasks(tasks_pb2.ListTasksRequest(), metadata=owner).tasks] == ["Mine"]
