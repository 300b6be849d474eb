"""POST /api/chat without tools: the SSE stream, the JSON reply, gRPC, context and validation."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import grpc
import pytest
from chorus_contracts.mcos.v1 import chat_pb2, chat_pb2_grpc

from tests.support.envelopes import assert_error
from tests.support.grpc_status import error_info
from tests.support.mcos_chat import user_says as grpc_user_says
from tests.support.sse import parse_sse
from tests.surfaces.mcos.conftest import User


def stream_chat(user: User, body: dict[str, Any]) -> list[dict[str, Any]]:
    response = user.rest.post("/api/chat", json=body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-correlation-id"]
    events, _ = parse_sse(response.text)
    return [event.json() for event in events]


def user_says(text: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": text}]}


def test_a_turn_streams_tokens_then_done_and_is_stored(user: Callable[..., User]) -> None:
    person = user()
    events = stream_chat(person, {**user_says("Plan my week"), "conversation_id": "week"})
    assert [e["type"] for e in events[:-1]] == ["token"] * (len(events) - 1) and len(events) > 10
    done = events[-1]
    assert set(done) == {"type", "message_id", "conversation_id"}
    assert done["type"] == "done" and done["conversation_id"] == "week"
    assert done["message_id"].startswith("msg_") and len(done["message_id"]) == 28
    reply = "".join(e["token"] for e in events[:-1])
    assert reply.startswith('You said: "Plan my week"')

    stored = person.rest.get("/api/chat/history", params={"conversation_id": "week"}).json()["messages"]
    assert [(m["role"], m["content"]) for m in stored] == [("user", "Plan my week"), ("assistant", reply)]
    assert stored[1]["id"] == done["message_id"]
    assert "tool_calls" not in stored[1]


def test_a_conversation_id_is_generated_when_absent(user: Callable[..., User]) -> None:
    person = user()
    first = stream_chat(person, user_says("hello"))[-1]["conversation_id"]
    second = stream_chat(person, {**user_says("hello"), "conversation_id": ""})[-1]["conversation_id"]
    assert first != second
    assert uuid.UUID(first).version == 4 and uuid.UUID(second).version == 4
    reply = person.rest.post("/api/chat", json={**user_says("hi"), "stream": False}).json()
    assert uuid.UUID(reply["conversation_id"]).version == 4
    stored = person.rest.get("/api/chat/history", params={"conversation_id": first}).json()["messages"]
    assert stored[0]["content"] == "hello"


def test_stream_false_answers_one_json_reply(user: Callable[..., User]) -> None:
    person = user()
    response = person.rest.post("/api/chat", json={**user_says("Just JSON please"), "stream": False})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    reply = response.json()
    assert set(reply) == {"message_id", "conversation_id", "content", "tool_calls"}
    assert reply["content"].startswith('You said: "Just JSON please"') and reply["tool_calls"] == []
    stored = person.rest.get("/api/chat/history").json()["messages"]
    assert stored[-1]["id"] == reply["message_id"] and stored[-1]["content"] == reply["content"]


def test_the_model_sees_the_stored_conversation(user: Callable[..., User]) -> None:
    person = user()
    for text in ("one", "two"):
        person.rest.post("/api/chat", json={**user_says(text), "stream": False, "conversation_id": "ctx"})
    third = person.rest.post("/api/chat", json={**user_says("three"), "stream": False, "conversation_id": "ctx"})
    # The builtin model counts the conversation it was given: the system
    # prompt, four stored messages and the new one.
    assert "user turn 3 of a 6-message conversation" in third.json()["content"]
    fresh = person.rest.post("/api/chat", json={**user_says("three"), "stream": False, "conversation_id": "new"})
    assert "user turn 1 of a 2-message conversation" in fresh.json()["content"]


def test_earlier_messages_in_the_request_replace_the_stored_context(user: Callable[..., User]) -> None:
    person = user()
    person.rest.post("/api/chat", json={**user_says("stored"), "stream": False, "conversation_id": "thread"})
    body = {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "a"},
            {"role": "assistant", "content": "b"},
            {"role": "user", "content": "c"},
        ],
        "stream": False,
        "conversation_id": "thread",
    }
    reply = person.rest.post("/api/chat", json=body).json()["content"]
    # Server prompt + the client's system prompt + its three messages; not the stored pair.
    assert "user turn 2 of a 5-message conversation" in reply
    stored = person.rest.get("/api/chat/history", params={"conversation_id": "thread"}).json()["messages"]
    assert [m["content"] for m in stored if m["role"] == "user"] == ["stored", "c"]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"messages": []}, [["messages"]]),
        ({}, [["messages"]]),
        ({"messages": [{"role": "user", "content": ""}]}, [["messages", 0, "content"]]),
        ({"messages": [{"role": "user", "content": "x" * 32_001}]}, [["messages", 0, "content"]]),
        ({"messages": [{"role": "robot", "content": "hi"}]}, [["messages", 0, "role"]]),
        (
            {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]},
            [["messages", 1, "role"]],
        ),
        ({"messages": [{"role": "user", "content": "hi"}] * 101}, [["messages"]]),
        ({**user_says("hi"), "tool_choice": "always"}, [["tool_choice"]]),
        ({**user_says("hi"), "conversation_id": "has space"}, [["conversation_id"]]),
        ({**user_says("hi"), "conversation_id": "c" * 101}, [["conversation_id"]]),
        (
            {"messages": [{"role": "user", "content": ""}], "tool_choice": "x"},
            [["messages", 0, "content"], ["tool_choice"]],
        ),
    ],
)
def test_bad_turns_are_validation_errors_and_write_nothing(
    user: Callable[..., User], body: dict[str, Any], fields: list[list[Any]]
) -> None:
    person = user()
    error = assert_error(person.rest.post("/api/chat", json=body), "mcos", 400, "VALIDATION_ERROR")
    assert [issue["path"] for issue in error["details"]["issues"]] == fields
    assert person.rest.get("/api/chat/history").json()["messages"] == []


def test_wrong_json_types_are_validation_errors(user: Callable[..., User]) -> None:
    person = user()
    for body in ({"messages": "hi"}, {"messages": [{"role": "user", "content": 5}]}, {**user_says("x"), "stream": "y"}):
        assert_error(person.rest.post("/api/chat", json=body), "mcos", 400, "VALIDATION_ERROR")


def test_a_content_of_32000_characters_is_accepted(user: Callable[..., User]) -> None:
    reply = user().rest.post("/api/chat", json={**user_says("x" * 32_000), "stream": False})
    assert reply.status_code == 200


def test_a_streamed_turn_over_grpc(user: Callable[..., User], mcos_channel: grpc.Channel) -> None:
    person = user()
    stub = chat_pb2_grpc.ChatServiceStub(mcos_channel)
    request = chat_pb2.ChatRequest(messages=[grpc_user_says("over gRPC")])
    events = list(stub.Chat(request, metadata=person.grpc_metadata))
    kinds = [e.WhichOneof("event") for e in events]
    assert kinds[-1] == "done" and set(kinds[:-1]) == {"token"}
    text = "".join(e.token.token for e in events[:-1])
    assert text.startswith('You said: "over gRPC"')
    unary = list(
        stub.Chat(
            chat_pb2.ChatRequest(messages=request.messages, stream=False, conversation_id="g"),
            metadata=person.grpc_metadata,
        )
    )
    assert [e.WhichOneof("event") for e in unary] == ["reply"]
    assert unary[0].reply.conversation_id == "g" and unary[0].reply.content.startswith('You said: "over gRPC"')

    with pytest.raises(grpc.RpcError) as failure:
        list(stub.Chat(chat_pb2.ChatRequest(), metadata=person.grpc_metadata))
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_info(failure.value).reason == "VALIDATION_ERROR"


def test_chat_needs_the_access_assertion(user: Callable[..., User]) -> None:
    person = user()
    response = person.rest.post("/api/chat", json=user_says("hi"), headers={"cf-access-jwt-assertion": "nope"})
    assert_error(response, "mcos", 401, "UNAUTHORIZED")
