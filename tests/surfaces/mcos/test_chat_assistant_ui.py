"""POST /api/chat with assistant-ui's own messages, as the document's `useCloudflareRuntime`
snippet posts them: `fetch` with `JSON.stringify({messages, stream: true, conversation_id})`
(no Content-Type, so `text/plain`), where `messages` are assistant-ui ThreadMessages:
`id`, `createdAt`, `content` as an array of parts, `attachments`, `metadata`, `status`."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import grpc
from chorus_contracts.mcos.v1 import chat_pb2, chat_pb2_grpc, resources_pb2
from google.protobuf import struct_pb2

from server.platform.struct_values import python_to_value
from tests.support.envelopes import assert_error
from tests.support.sse import parse_sse
from tests.surfaces.mcos.conftest import User

CREATED = "2025-11-20T12:00:00.000Z"


def text(value: str) -> dict[str, str]:
    return {"type": "text", "text": value}


def user_message(*parts: dict[str, Any], attachments: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "id": "Hx3kP0aLq9",
        "role": "user",
        "createdAt": CREATED,
        "content": list(parts),
        "attachments": attachments or [],
        "metadata": {"custom": {}},
    }


def assistant_message(*parts: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "Qm7vT2bWc1",
        "role": "assistant",
        "createdAt": CREATED,
        "content": list(parts),
        "status": {"type": "complete", "reason": "stop"},
        "metadata": {
            "unstable_state": None,
            "unstable_annotations": [],
            "unstable_data": [],
            "steps": [],
            "custom": {},
        },
    }


def text_attachment(name: str, body: str) -> dict[str, Any]:
    """What assistant-ui's SimpleTextAttachmentAdapter makes of a text file (`file` is a File: `{}` in JSON)."""
    return {
        "id": "att_1",
        "type": "document",
        "name": name,
        "contentType": "text/plain",
        "file": {},
        "status": {"type": "complete"},
        "content": [text(f'<attachment name="{name}">\n{body}\n</attachment>')],
    }


def on_new(person: User, messages: list[dict[str, Any]], conversation_id: str) -> Any:
    """The document's snippet: fetch's default Content-Type for a string body is text/plain."""
    body = json.dumps({"messages": messages, "stream": True, "conversation_id": conversation_id})
    return person.rest.post("/api/chat", content=body, headers={"content-type": "text/plain;charset=UTF-8"})


def history(person: User, conversation_id: str) -> list[dict[str, Any]]:
    return person.rest.get("/api/chat/history", params={"conversation_id": conversation_id}).json()["messages"]  # type: ignore[no-any-return]


def test_an_assistant_ui_thread_streams_a_reply(user: Callable[..., User]) -> None:
    person = user()
    thread = [
        {"id": "s1", "role": "system", "createdAt": CREATED, "content": [text("Be brief.")], "metadata": {}},
        user_message(text("Find flights to Paris")),
        assistant_message(text("Which dates?")),
        user_message(text("May 10-15"), text("economy please"), attachments=[text_attachment("trip.txt", "one adult")]),
    ]
    response = on_new(person, thread, "aui-1")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    events = [e.json() for e in parse_sse(response.text)[0]]
    assert events[-1]["type"] == "done" and events[-1]["conversation_id"] == "aui-1"
    asked = 'May 10-15\neconomy please\n<attachment name="trip.txt">\none adult\n</attachment>'
    reply = "".join(e["token"] for e in events if e["type"] == "token")
    assert reply.startswith(f'You said: "{asked}"')
    # Text parts are joined; the stored message has the server's id and time, not assistant-ui's.
    stored = history(person, "aui-1")
    assert [(m["role"], m["content"]) for m in stored] == [("user", asked), ("assistant", reply)]
    assert stored[1]["id"] == events[-1]["message_id"] and stored[0]["id"].startswith("msg_")
    assert stored[0]["timestamp"] != CREATED


def test_the_documented_string_content_still_works_alongside(user: Callable[..., User]) -> None:
    person = user()
    mixed = [
        {"role": "user", "content": "plain string"},
        {"role": "assistant", "content": [text("parts")], "id": "a1", "metadata": {}},
        {"role": "user", "content": "and a string again"},
    ]
    response = person.rest.post("/api/chat", json={"messages": mixed, "stream": False, "conversation_id": "aui-2"})
    assert response.status_code == 200, response.text
    assert response.json()["content"].startswith('You said: "and a string again"')


def test_other_part_types_are_a_400_naming_the_type(user: Callable[..., User]) -> None:
    person = user()
    image = {"type": "image", "image": "data:image/png;base64,iVBORw0KGgo="}
    tool_call = {"type": "tool-call", "toolCallId": "c1", "toolName": "search_flights", "args": {}, "result": {}}
    thread = [
        assistant_message(text("Here you go"), tool_call),
        user_message(text("What is this?"), image),
    ]
    error = assert_error(on_new(person, thread, "aui-3"), "mcos", 400, "VALIDATION_ERROR")
    assert error["details"]["issues"] == [
        {
            "path": ["messages", 0, "content", 1, "type"],
            "message": "Content parts of type 'tool-call' are not supported; only 'text' parts are",
        },
        {
            "path": ["messages", 1, "content", 1, "type"],
            "message": "Content parts of type 'image' are not supported; only 'text' parts are",
        },
    ]
    assert history(person, "aui-3") == []


def test_an_image_attachment_is_a_400_naming_the_type(user: Callable[..., User]) -> None:
    person = user()
    photo = {**text_attachment("p.png", ""), "type": "image", "content": [{"type": "image", "image": "data:,"}]}
    error = assert_error(
        on_new(person, [user_message(text("Look"), attachments=[photo])], "aui-4"), "mcos", 400, "VALIDATION_ERROR"
    )
    assert error["details"]["issues"] == [
        {
            "path": ["messages", 0, "attachments", 0, "content", 0, "type"],
            "message": "Content parts of type 'image' are not supported; only 'text' parts are",
        }
    ]


def test_malformed_content_is_a_400(user: Callable[..., User]) -> None:
    person = user()
    cases = [
        ([{"type": "text"}], ["messages", 0, "content", 0, "text"]),
        (["just a string"], ["messages", 0, "content", 0]),
        ([{"text": "no type"}], ["messages", 0, "content", 0, "type"]),
        (42, ["messages", 0, "content"]),
        ([], ["messages", 0, "content"]),  # no text at all: the 1-character minimum
    ]
    for content, path in cases:
        body = {"messages": [{"role": "user", "content": content}]}
        error = assert_error(person.rest.post("/api/chat", json=body), "mcos", 400, "VALIDATION_ERROR")
        assert [issue["path"] for issue in error["details"]["issues"]] == [path], content


def test_content_parts_over_grpc(user: Callable[..., User], mcos_channel: grpc.Channel) -> None:
    person = user()
    stub = chat_pb2_grpc.ChatServiceStub(mcos_channel)
    parts = python_to_value([text("over"), text("gRPC")])
    attachment = struct_pb2.Struct()
    attachment.update({"type": "document", "content": [text("attached")]})
    message = chat_pb2.ChatTurnMessage(role=resources_pb2.ROLE_USER, content=parts, id="x1", attachments=[attachment])
    request = chat_pb2.ChatRequest(messages=[message], stream=False)
    (event,) = stub.Chat(request, metadata=person.grpc_metadata)
    reply = event.reply
    assert reply.content.startswith('You said: "over\ngRPC\nattached"')
