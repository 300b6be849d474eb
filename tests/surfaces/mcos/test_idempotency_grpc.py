"""The `idempotency-key` metadata for gRPC clients: the same guarantee as over REST."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import grpc
import pytest
from chorus_contracts.mcos.v1 import chat_pb2, chat_pb2_grpc, resources_pb2, tasks_pb2, tasks_pb2_grpc

from tests.support.grpc_status import error_info
from tests.support.mcos_chat import user_says as grpc_user_says
from tests.surfaces.mcos.conftest import User


def keyed(person: User) -> tuple[tuple[str, str], ...]:
    return (*person.grpc_metadata, ("idempotency-key", uuid.uuid4().hex))


def test_create_task_replays_the_same_message(user: Callable[..., User], mcos_channel: grpc.Channel) -> None:
    person = user()
    stub = tasks_pb2_grpc.TaskServiceStub(mcos_channel)
    metadata = keyed(person)
    request = tasks_pb2.CreateTaskRequest(title="Call the bank", tags=["money"])
    first, first_call = stub.CreateTask.with_call(request, metadata=metadata)
    again, again_call = stub.CreateTask.with_call(request, metadata=metadata)
    assert again == first and again.task.id.startswith("task_")
    assert ("idempotent-replayed", "true") in again_call.trailing_metadata()
    assert "idempotent-replayed" not in dict(first_call.trailing_metadata())
    with pytest.raises(grpc.RpcError) as caught:
        stub.CreateTask(tasks_pb2.CreateTaskRequest(title="Call the bank!"), metadata=metadata)
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error_info(caught.value).reason == "VALIDATION_ERROR"
    listed = stub.ListTasks(tasks_pb2.ListTasksRequest(), metadata=person.grpc_metadata)
    assert [t.id for t in listed.tasks] == [first.task.id]


def test_chat_replays_the_same_stream(user: Callable[..., User], mcos_channel: grpc.Channel) -> None:
    person = user()
    stub = chat_pb2_grpc.ChatServiceStub(mcos_channel)
    metadata = keyed(person)
    request = chat_pb2.ChatRequest(messages=[grpc_user_says("Plan my trip")])
    first = list(stub.Chat(request, metadata=metadata))
    replay_call = stub.Chat(request, metadata=metadata)
    again = list(replay_call)
    assert again == first and first[-1].WhichOneof("event") == "done"
    assert dict(replay_call.initial_metadata())["idempotent-replayed"] == "true"
    page = stub.GetChatHistory(
        chat_pb2.GetChatHistoryRequest(conversation_id=first[-1].done.conversation_id), metadata=person.grpc_metadata
    )
    assert [m.role for m in page.messages] == [resources_pb2.ROLE_USER, resources_pb2.ROLE_ASSISTANT]


def test_bad_keys_are_invalid_argument(user: Callable[..., User], mcos_channel: grpc.Channel) -> None:
    person = user()
    stub = tasks_pb2_grpc.TaskServiceStub(mcos_channel)
    with pytest.raises(grpc.RpcError) as caught:
        stub.CreateTask(
            tasks_pb2.CreateTaskRequest(title="x"), metadata=(*person.grpc_metadata, ("idempotency-key", "k" * 256))
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_info(caught.value).reason == "VALIDATION_ERROR"
