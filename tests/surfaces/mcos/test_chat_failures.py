"""Chat against a real OpenAI-compatible upstream that misbehaves: LLM_ERROR before and
after the first event, tool calls the server cannot run, a client that leaves, token quotas."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from chorus_contracts.mcos.v1 import chat_pb2, chat_pb2_grpc

from tests.support import mcos_identity as identity
from tests.support.chorus_process import ChorusProcess
from tests.support.envelopes import assert_error
from tests.support.grpc_status import error_info
from tests.support.mcos_chat import user_says as grpc_user_says
from tests.support.openai_upstream import OpenAIUpstream, ScriptedToolCall, cut, status_fault
from tests.support.sse import parse_sse
from tests.surfaces.mcos.conftest import User, mcos_config

TOKENS_PER_DAY = 1_000
WRITES_PER_DAY = 2
TOOL_ROUNDS = 3
MISBEHAVING_MCP = Path(__file__).parent / "mcp_servers" / "misbehaving.py"
LONG_REPLY = " ".join(f"word{n}" for n in range(60))


@pytest.fixture(scope="module")
def upstream() -> Iterator[OpenAIUpstream]:
    with OpenAIUpstream().serve() as server:
        yield server


@pytest.fixture(autouse=True)
def fresh_upstream(upstream: OpenAIUpstream) -> None:
    upstream.reset()


@pytest.fixture(scope="module")
def proc(
    tmp_path_factory: pytest.TempPathFactory, idp: identity.TestIdp, upstream: OpenAIUpstream
) -> Iterator[ChorusProcess]:
    data_dir: Path = tmp_path_factory.mktemp("mcos-upstream")
    extra = f"""
[mcos.chat]
model = "upstream-model"
max_tool_rounds = {TOOL_ROUNDS}
[mcos.flights]
command = ["{sys.executable}", "{MISBEHAVING_MCP}"]
timeout = 20
[mcos.rate_limits]
llm_tokens_per_day = {TOKENS_PER_DAY}
storage_writes_per_day = {WRITES_PER_DAY}

[models]
default = "chorus-builtin"
[models.providers.builtin]
kind = "builtin"
[models.providers.up]
kind = "openai-compatible"
base_url = "{upstream.base_url}"
max_retries = 0
timeout = 10
[models.routes.chorus-builtin]
provider = "builtin"
[models.routes.upstream-model]
provider = "up"
"""
    with ChorusProcess(data_dir, config_toml=mcos_config(idp.write_jwks(data_dir / "jwks.json"), extra)) as server:
        yield server


@pytest.fixture
def person(proc: ChorusProcess, idp: identity.TestIdp) -> Iterator[User]:
    sub = identity.new_sub()
    token = idp.token(sub)
    with httpx.Client(base_url=proc.rest_url, headers={"cf-access-jwt-assertion": token}, timeout=30) as client:
        yield User(sub, token, client, (("cf-access-jwt-assertion", token),))


def say(text: str, **extra: Any) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": text}], **extra}


def stored(person: User) -> list[dict[str, Any]]:
    return person.rest.get("/api/chat/history").json()["messages"]  # type: ignore[no-any-return]


def assert_failed_turn(messages: list[dict[str, Any]], question: str, code: str) -> dict[str, Any]:
    """The question is stored as it was asked, then a reply marked failed with the
    error the client was sent; returns that reply."""
    assert [m["role"] for m in messages] == ["user", "assistant"]
    asked, reply = messages
    assert asked["content"] == question and "status" not in asked and "error" not in asked
    assert reply["status"] == "failed" and reply["error"]["code"] == code
    assert reply["conversation_id"] == asked["conversation_id"]
    return reply


def test_upstream_text_streams_through(person: User, upstream: OpenAIUpstream) -> None:
    upstream.reply("Nonstop flights leave at nine.", usage=(30, 6))
    events, _ = parse_sse(person.rest.post("/api/chat", json=say("When?", conversation_id="u1")).text)
    kinds = [e.json()["type"] for e in events]
    assert kinds[-1] == "done" and set(kinds[:-1]) == {"token"}
    assert "".join(e.json()["token"] for e in events[:-1]) == "Nonstop flights leave at nine."
    sent = upstream.chat_requests()[0].body
    assert sent["model"] == "upstream-model" and sent["stream"] is True
    assert sent["messages"][0]["role"] == "system" and "Micro Chief of Staff" in sent["messages"][0]["content"]
    assert sent["messages"][-1] == {"role": "user", "content": "When?"}
    assert [m["content"] for m in stored(person)] == ["When?", "Nonstop flights leave at nine."]


def test_a_model_failure_before_the_first_event_is_an_http_llm_error(person: User, upstream: OpenAIUpstream) -> None:
    upstream.push_faults(status_fault(503))
    response = person.rest.post("/api/chat", json=say("Hello?"))
    error = assert_error(response, "mcos", 500, "LLM_ERROR")
    assert "model" in error["message"].lower()
    failed = assert_failed_turn(stored(person), "Hello?", "LLM_ERROR")
    assert failed["content"] == "" and failed["error"]["message"] == error["message"]
    unary = person.rest.post("/api/chat", json=say("Again?", stream=False))
    assert unary.status_code == 200  # the fault was used up: the next call works
    assert [m["content"] for m in stored(person)[2:]] == ["Again?", unary.json()["content"]]
    assert "status" not in stored(person)[3]


def test_a_model_failure_mid_stream_is_an_sse_error_event(person: User, upstream: OpenAIUpstream) -> None:
    upstream.reply("one two three four five six")
    upstream.push_faults(cut(after_chunks=3))
    response = person.rest.post("/api/chat", json=say("Count"))
    assert response.status_code == 200
    events = [e.json() for e in parse_sse(response.text)[0]]
    assert [e["type"] for e in events] == ["token", "token", "token", "error"]
    error = events[-1]["error"]
    assert error["code"] == "LLM_ERROR" and error["correlation_id"] == response.headers["x-correlation-id"]
    # The turn belongs to history: the question, and the reply as far as it got, marked failed.
    failed = assert_failed_turn(stored(person), "Count", "LLM_ERROR")
    assert failed["content"] == "".join(e["token"] for e in events[:-1])
    assert failed["error"] == {"code": "LLM_ERROR", "message": error["message"], "details": error["details"]}


def test_a_model_failure_mid_stream_over_grpc(person: User, upstream: OpenAIUpstream, proc: ChorusProcess) -> None:
    upstream.reply("one two three four five six")
    upstream.push_faults(cut(after_chunks=2))
    received: list[chat_pb2.ChatResponse] = []
    with grpc.insecure_channel(proc.grpc_addr) as channel:
        stub = chat_pb2_grpc.ChatServiceStub(channel)
        request = chat_pb2.ChatRequest(messages=[grpc_user_says("Count")])
        with pytest.raises(grpc.RpcError) as failure:
            for event in stub.Chat(request, metadata=person.grpc_metadata):
                received.append(event)
    assert [e.WhichOneof("event") for e in received] == ["token", "token"]
    assert error_info(failure.value).reason == "LLM_ERROR"
    assert failure.value.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.INTERNAL)
    with grpc.insecure_channel(proc.grpc_addr) as channel:
        page = chat_pb2_grpc.ChatServiceStub(channel).GetChatHistory(
            chat_pb2.GetChatHistoryRequest(), metadata=person.grpc_metadata
        )
    assert [m.content for m in page.messages] == ["Count", "".join(e.token.token for e in received)]
    reply = page.messages[1]
    assert reply.status == "failed" and reply.error.code == "LLM_ERROR" and reply.error.message


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (ScriptedToolCall("launch_rocket", "{}"), "unknown tool"),
        (ScriptedToolCall("list_tasks", '{"status": '), "not JSON"),
        (ScriptedToolCall("list_tasks", "[1, 2]"), "not a JSON object"),
    ],
)
def test_a_tool_call_the_server_cannot_run_is_a_tool_error(
    person: User, upstream: OpenAIUpstream, call: ScriptedToolCall, words: str
) -> None:
    upstream.reply(tool_calls=(call,))
    error = assert_error(person.rest.post("/api/chat", json=say("Do it")), "mcos", 500, "TOOL_ERROR")
    assert words in error["message"]
    failed = assert_failed_turn(stored(person), "Do it", "TOOL_ERROR")
    assert failed["error"]["message"] == error["message"] and failed["error"]["details"] == {"tool": call.name}


def test_a_failing_flights_mcp_server_is_a_tool_error(person: User, upstream: OpenAIUpstream) -> None:
    """The misbehaving MCP server's search_flights reports an error for flights from LHR."""
    search = '{"origin": "LHR", "destination": "JFK", "departure_date": "2025-05-10"}'
    upstream.reply(tool_calls=(ScriptedToolCall("search_flights", search),), usage=(10, 5))
    events = [e.json() for e in parse_sse(person.rest.post("/api/chat", json=say("Fly", conversation_id="f")).text)[0]]
    assert [e["type"] for e in events] == ["tool_call", "error"]
    assert events[0]["args"] == {"origin": "LHR", "destination": "JFK", "departure_date": "2025-05-10"}
    error = events[1]["error"]
    assert error["code"] == "TOOL_ERROR" and error["details"]["tool"] == "search_flights"
    assert "no seats left anywhere" in error["message"], error["message"]
    failed = assert_failed_turn(stored(person), "Fly", "TOOL_ERROR")
    assert failed["error"] == {"code": "TOOL_ERROR", "message": error["message"], "details": {"tool": "search_flights"}}
    assert failed["content"] == "" and "tool_calls" not in failed  # the failed call has no result to keep

    # The next turn still works, and the model sees the unanswered question before the new one.
    upstream.reply("Sorry about that.", usage=(10, 5))
    assert person.rest.post("/api/chat", json=say("Try again", stream=False, conversation_id="f")).status_code == 200
    sent = upstream.chat_requests()[-1].body["messages"]
    assert [(m["role"], m["content"]) for m in sent[1:]] == [("user", "Fly"), ("user", "Try again")]


def test_tool_rounds_are_limited(person: User, upstream: OpenAIUpstream) -> None:
    """A model that keeps calling tools gets TOOL_ROUNDS rounds, then one that allows none."""
    upstream.reply(tool_calls=(ScriptedToolCall("list_tasks", "{}"),), usage=(10, 5))
    events = [e.json() for e in parse_sse(person.rest.post("/api/chat", json=say("Loop")).text)[0]]
    assert [e["type"] for e in events] == ["tool_call", "tool_result"] * TOOL_ROUNDS + ["error"]
    assert events[-1]["error"]["code"] == "LLM_ERROR"
    sent = [r.body for r in upstream.chat_requests()]
    assert [body["tool_choice"] for body in sent] == ["auto"] * TOOL_ROUNDS + ["none"]
    assert {t["function"]["name"] for t in sent[0]["tools"]} >= {"list_tasks", "create_task", "pin_memory"}
    # Each round carries the earlier calls and their results back to the model.
    last = sent[-1]["messages"]
    assert [m["role"] for m in last[-2:]] == ["assistant", "tool"]
    assert sum(1 for m in last if m["role"] == "tool") == TOOL_ROUNDS
    # The calls that ran are kept with the failed reply.
    failed = assert_failed_turn(stored(person), "Loop", "LLM_ERROR")
    ran = [e for e in events if e["type"] == "tool_result"]
    assert [(t["id"], t["name"], t["result"]) for t in failed["tool_calls"]] == [
        (e["id"], e["name"], e["result"]) for e in ran
    ]


def test_tool_calls_take_the_storage_write_quota(person: User, upstream: OpenAIUpstream) -> None:
    upstream.reply(tool_calls=(ScriptedToolCall("create_task", '{"title": "Again"}'),), usage=(10, 5))
    events = [e.json() for e in parse_sse(person.rest.post("/api/chat", json=say("Write")).text)[0]]
    # Two writes are allowed; the third call is refused before it is announced.
    assert [e["type"] for e in events] == ["tool_call", "tool_result"] * WRITES_PER_DAY + ["error"]
    error = events[-1]["error"]
    assert error["code"] == "RATE_LIMIT_EXCEEDED" and error["details"]["quota"] == "storage_writes"
    assert len(person.rest.get("/api/tasks").json()["tasks"]) == WRITES_PER_DAY
    # The tasks it did create are on record with the failed reply.
    failed = assert_failed_turn(stored(person), "Write", "RATE_LIMIT_EXCEEDED")
    assert [t["name"] for t in failed["tool_calls"]] == ["create_task"] * WRITES_PER_DAY
    assert failed["error"]["details"]["quota"] == "storage_writes"


def test_llm_tokens_are_spent_and_then_refused(person: User, upstream: OpenAIUpstream) -> None:
    upstream.reply("Fine.", usage=(450, 50))
    for _ in range(2):
        assert person.rest.post("/api/chat", json=say("Go", stream=False)).status_code == 200
    refused = person.rest.post("/api/chat", json=say("Go", stream=False))
    error = assert_error(refused, "mcos", 429, "RATE_LIMIT_EXCEEDED")
    assert error["details"]["quota"] == "llm_tokens"
    assert len(upstream.chat_requests()) == 2


def test_a_client_that_leaves_keeps_what_it_was_shown(person: User, upstream: OpenAIUpstream) -> None:
    upstream.reply(LONG_REPLY)
    upstream.chunk_delay = 0.05
    shown: list[str] = []
    with person.rest.stream("POST", "/api/chat", json=say("Talk a lot", conversation_id="gone")) as response:
        for line in response.iter_lines():
            if line.startswith("data: "):
                shown.append(httpx.Response(200, content=line[6:]).json()["token"])
            if len(shown) == 3:
                break
    asyncio.run(upstream.wait_for_disconnects(1, within=10))
    deadline = time.monotonic() + 10
    while len(messages := stored(person)) < 2:
        assert time.monotonic() < deadline, "the partial turn was not stored"
        time.sleep(0.05)
    assert messages[0]["content"] == "Talk a lot"
    assert messages[1]["status"] == "incomplete" and "error" not in messages[1]
    partial = messages[1]["content"]
    assert partial.startswith("".join(shown)) and len(partial) < len(LONG_REPLY)


def test_the_shared_process_keeps_the_builtin_model(user: Callable[..., User]) -> None:
    """The shared process is untouched by this module's upstream settings."""
    reply = user().rest.post("/api/chat", json=say("hi", stream=False)).json()
    assert reply["content"].startswith('You said: "hi"')


def test_a_grpc_client_that_cancels_keeps_what_it_was_shown(
    person: User, upstream: OpenAIUpstream, proc: ChorusProcess
) -> None:
    upstream.reply(LONG_REPLY)
    upstream.chunk_delay = 0.05
    shown: list[str] = []
    with grpc.insecure_channel(proc.grpc_addr) as channel:
        stub = chat_pb2_grpc.ChatServiceStub(channel)
        request = chat_pb2.ChatRequest(messages=[grpc_user_says("Talk")], conversation_id="cancelled")
        call = stub.Chat(request, metadata=person.grpc_metadata)
        for event in call:
            shown.append(event.token.token)
            if len(shown) == 2:
                call.cancel()
                break
    asyncio.run(upstream.wait_for_disconnects(1, within=10))
    deadline = time.monotonic() + 10
    while len(messages := stored(person)) < 2:
        assert time.monotonic() < deadline, "the partial turn was not stored"
        time.sleep(0.05)
    assert [m["conversation_id"] for m in messages] == ["cancelled", "cancelled"]
    assert messages[1]["content"].startswith("".join(shown)) and len(messages[1]["content"]) < len(LONG_REPLY)
