"""Chat turns in which the builtin model calls tools (its `/tool NAME {json}` rule):
tool_call, then tool_result, then the model's summary, then done; the effects
are real (tasks, memories) and the invocations are stored with the reply."""

from __future__ import annotations

import json
from collections.abc import Callable

import grpc
from chorus_contracts.mcos.v1 import chat_pb2, chat_pb2_grpc

from tests.support.envelopes import assert_error
from tests.support.mcos_chat import user_says as grpc_user_says
from tests.support.mcos_rest import shape, text_of, tool_turn
from tests.support.sse import parse_sse
from tests.surfaces.mcos.conftest import User


def test_create_task_runs_and_the_model_answers_from_its_result(user: Callable[..., User]) -> None:
    person = user()
    args = {"title": "Book hotel in Paris", "due": "2025-05-09", "priority": "high", "tags": ["travel"]}
    events = tool_turn(person, f"/tool create_task {json.dumps(args)}", "plans")
    assert shape(events) == ["tool_call", "tool_result", "token", "done"]
    call, result = events[0], events[1]
    assert call["name"] == "create_task" and call["args"] == args
    assert call["id"].startswith("call_") and len(call["id"]) == 29
    assert result["id"] == call["id"] and result["name"] == "create_task"
    task = result["result"]["task"]
    assert task["title"] == "Book hotel in Paris" and task["priority"] == "high" and task["status"] == "open"
    assert task["due"] == "2025-05-09T00:00:00Z" and task["tags"] == ["travel"]
    assert text_of(events).startswith('The create_task tool returned "{"task":')

    listed = person.rest.get("/api/tasks").json()["tasks"]
    assert [(t["id"], t["title"]) for t in listed] == [(task["id"], "Book hotel in Paris")]

    stored = person.rest.get("/api/chat/history", params={"conversation_id": "plans"}).json()["messages"]
    assert stored[1]["id"] == events[-1]["message_id"]
    assert stored[1]["content"] == text_of(events)
    assert stored[1]["tool_calls"] == [
        {"id": call["id"], "name": "create_task", "args": args, "result": result["result"]}
    ]


def test_list_tasks_reports_the_users_tasks(user: Callable[..., User]) -> None:
    person = user()
    for title in ("Pack", "Renew passport"):
        assert person.rest.post("/api/tasks", json={"title": title}).status_code == 201
    events = tool_turn(person, '/tool list_tasks {"status": "open"}')
    assert shape(events) == ["tool_call", "tool_result", "token", "done"]
    titles = sorted(t["title"] for t in events[1]["result"]["tasks"])
    assert titles == ["Pack", "Renew passport"] and events[1]["result"]["has_more"] is False
    assert "(2 tasks)" in text_of(events)


def test_pin_memory_is_remembered(user: Callable[..., User]) -> None:
    person = user()
    args = {"type": "preference", "key": "favorite_airline", "value": "United Airlines", "category": "travel"}
    events = tool_turn(person, f"/tool pin_memory {json.dumps(args)}")
    assert shape(events) == ["tool_call", "tool_result", "token", "done"]
    memory = events[1]["result"]["memory"]
    assert memory["id"].startswith("mem_") and memory["value"] == "United Airlines"
    pinned = person.rest.get("/api/memory").json()["pinned_memories"]
    assert [(m["key"], m["value"]) for m in pinned] == [("favorite_airline", "United Airlines")]


def test_two_directives_run_in_order_in_one_round(user: Callable[..., User]) -> None:
    person = user()
    events = tool_turn(person, '/tool create_task {"title": "A"}\n/tool list_tasks')
    assert shape(events) == ["tool_call", "tool_result", "tool_call", "tool_result", "token", "done"]
    assert [e["name"] for e in events if e["type"] == "tool_call"] == ["create_task", "list_tasks"]
    assert [t["title"] for t in events[3]["result"]["tasks"]] == ["A"]


def test_tool_choice_none_and_required(user: Callable[..., User]) -> None:
    person = user()
    quiet = person.rest.post(
        "/api/chat",
        json={"messages": [{"role": "user", "content": '/tool create_task {"title": "no"}'}], "tool_choice": "none"},
    )
    assert shape([e.json() for e in parse_sse(quiet.text)[0]]) == ["token", "done"]
    assert person.rest.get("/api/tasks").json()["tasks"] == []
    # "required" without a directive: the builtin model calls the first offered tool, list_tasks.
    forced = person.rest.post(
        "/api/chat",
        json={"messages": [{"role": "user", "content": "anything"}], "tool_choice": "required", "stream": False},
    ).json()
    assert [t["name"] for t in forced["tool_calls"]] == ["list_tasks"]
    assert forced["content"].startswith('The list_tasks tool returned "')


def test_a_tool_the_service_refuses_is_a_tool_error_and_the_turn_is_stored_as_failed(
    user: Callable[..., User],
) -> None:
    person = user()
    for directive in (
        '/tool create_task {"title": "   "}',
        '/tool create_task {"title": 5}',
        '/tool create_task {"title": "x", "colour": "red"}',
        '/tool create_task {"title": "x", "due": "next tuesday"}',
        '/tool pin_memory {"type": "fact", "key": "k"}',
    ):
        # Streamed: the call was announced, so the failure is an in-band error event.
        events = tool_turn(person, directive)
        assert [e["type"] for e in events] == ["tool_call", "error"]
        assert events[1]["error"]["code"] == "TOOL_ERROR"
        assert events[1]["error"]["details"]["tool"] == events[0]["name"]
        # Not streamed: nothing was sent yet, so it is the HTTP error envelope.
        body = {"messages": [{"role": "user", "content": directive}], "stream": False}
        error = assert_error(person.rest.post("/api/chat", json=body), "mcos", 500, "TOOL_ERROR")
        assert error["message"].startswith(f"The {events[0]['name']} tool failed")
    # Each turn, streamed or not, is on record: the question, then a failed reply.
    stored = person.rest.get("/api/chat/history").json()["messages"]
    assert len(stored) == 20
    assert {(m["role"], m.get("status")) for m in stored[::2]} == {("user", None)}
    assert {(m["role"], m["status"], m["error"]["code"]) for m in stored[1::2]} == {
        ("assistant", "failed", "TOOL_ERROR")
    }
    assert person.rest.get("/api/tasks").json()["tasks"] == []


def test_a_tool_turn_over_grpc_and_without_streaming(user: Callable[..., User], mcos_channel: grpc.Channel) -> None:
    person = user()
    stub = chat_pb2_grpc.ChatServiceStub(mcos_channel)
    request = chat_pb2.ChatRequest(messages=[grpc_user_says('/tool create_task {"title": "via gRPC"}')])
    events = list(stub.Chat(request, metadata=person.grpc_metadata))
    kinds = [e.WhichOneof("event") for e in events]
    assert kinds[:2] == ["tool_call", "tool_result"] and kinds[-1] == "done"
    assert events[0].tool_call.args["title"] == "via gRPC"
    assert events[1].tool_result.result.struct_value["task"]["title"] == "via gRPC"

    reply = person.rest.post(
        "/api/chat",
        json={"messages": [{"role": "user", "content": "/tool list_tasks"}], "stream": False},
    ).json()
    [invocation] = reply["tool_calls"]
    assert invocation["name"] == "list_tasks" and invocation["args"] == {}
    assert [t["title"] for t in invocation["result"]["tasks"]] == ["via gRPC"]
    assert reply["content"].startswith('The list_tasks tool returned "') and "(1 tasks)" in reply["content"]
