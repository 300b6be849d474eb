"""Refused requests spend no quota: a call takes its quota up front (so a used-up
quota still answers 429 before any work) and gives it back when it ends in an error."""

from __future__ import annotations

import json
from collections.abc import Iterator

import grpc
import httpx
import pytest
from chorus_contracts.mcos.v1 import tools_pb2, tools_pb2_grpc

from tests.support.chorus_process import ChorusProcess
from tests.support.envelopes import assert_error
from tests.support.mcos_identity import TestIdp, new_sub
from tests.support.sse import parse_sse
from tests.surfaces.mcos.conftest import mcos_config

CHATS_PER_MINUTE = 3
SEARCHES_PER_DAY = 2
WRITES_PER_DAY = 3
LIMITS = f"""
[mcos.rate_limits]
chat_messages_per_minute = {CHATS_PER_MINUTE}
flight_searches_per_day = {SEARCHES_PER_DAY}
storage_writes_per_day = {WRITES_PER_DAY}
"""
PARIS = {"origin": "SFO", "destination": "CDG", "departure_date": "2025-05-10", "return_date": "2025-05-15"}
NOWHERE = {"origin": "SFO", "destination": "SFO", "departure_date": "soon"}
UNKNOWN_TASK = "task_000000000000000000000000"


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory, idp: TestIdp) -> Iterator[ChorusProcess]:
    data = tmp_path_factory.mktemp("mcos-refunds")
    with ChorusProcess(data, config_toml=mcos_config(idp.write_jwks(data / "jwks.json"), LIMITS)) as proc:
        yield proc


@pytest.fixture
def client(limited: ChorusProcess, idp: TestIdp) -> Iterator[httpx.Client]:
    token = idp.token(new_sub())
    with httpx.Client(base_url=limited.rest_url, headers={"cf-access-jwt-assertion": token}, timeout=30) as rest:
        yield rest


def _remaining(response: httpx.Response) -> str:
    return response.headers["x-ratelimit-remaining"]


def test_invalid_flight_searches_spend_no_search(client: httpx.Client, limited: ChorusProcess) -> None:
    for _ in range(SEARCHES_PER_DAY + 3):
        assert_error(client.post("/api/tools/search_flights", json=NOWHERE), "mcos", 400, "VALIDATION_ERROR")
    # Over gRPC too: the same pipeline gives the search back.
    token = client.headers["cf-access-jwt-assertion"]
    with grpc.insecure_channel(limited.grpc_addr) as channel:
        stub = tools_pb2_grpc.ToolServiceStub(channel)
        for _ in range(SEARCHES_PER_DAY + 1):
            with pytest.raises(grpc.RpcError) as refused:
                stub.SearchFlights(
                    tools_pb2.SearchFlightsRequest(origin="SFO", destination="SFO", departure_date="soon"),
                    metadata=(("cf-access-jwt-assertion", token),),
                )
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    found = [client.post("/api/tools/search_flights", json=PARIS) for _ in range(SEARCHES_PER_DAY)]
    assert [r.status_code for r in found] == [200] * SEARCHES_PER_DAY, found[-1].text
    assert [_remaining(r) for r in found] == [str(n) for n in reversed(range(SEARCHES_PER_DAY))]
    # Used up: the 429 still comes first, before the request is even looked at.
    refused = client.post("/api/tools/search_flights", json=NOWHERE)
    assert assert_error(refused, "mcos", 429, "RATE_LIMIT_EXCEEDED")["details"]["quota"] == "flight_searches"


def _chat(client: httpx.Client, messages: list[dict[str, str]]) -> httpx.Response:
    return client.post("/api/chat", json={"messages": messages, "stream": False})


def test_malformed_chats_spend_no_chat_message(client: httpx.Client) -> None:
    not_the_users_turn = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]
    for _ in range(CHATS_PER_MINUTE + 3):
        assert_error(_chat(client, not_the_users_turn), "mcos", 400, "VALIDATION_ERROR")
    answered = [_chat(client, [{"role": "user", "content": "Hello there"}]) for _ in range(CHATS_PER_MINUTE)]
    assert [r.status_code for r in answered] == [200] * CHATS_PER_MINUTE, answered[-1].text
    assert [_remaining(r) for r in answered] == [str(n) for n in reversed(range(CHATS_PER_MINUTE))]
    refused = _chat(client, not_the_users_turn)
    assert assert_error(refused, "mcos", 429, "RATE_LIMIT_EXCEEDED")["details"]["quota"] == "chat_messages"


def test_writes_that_find_nothing_spend_no_write(client: httpx.Client) -> None:
    for _ in range(WRITES_PER_DAY + 1):
        assert_error(client.patch(f"/api/tasks/{UNKNOWN_TASK}", json={"status": "completed"}), "mcos", 404, "NOT_FOUND")
        assert_error(client.delete(f"/api/tasks/{UNKNOWN_TASK}"), "mcos", 404, "NOT_FOUND")
    created = [client.post("/api/tasks", json={"title": f"Task {n}"}) for n in range(WRITES_PER_DAY)]
    assert [r.status_code for r in created] == [201] * WRITES_PER_DAY, created[-1].text
    assert [_remaining(r) for r in created] == [str(n) for n in reversed(range(WRITES_PER_DAY))]
    refused = client.patch(f"/api/tasks/{UNKNOWN_TASK}", json={"status": "completed"})
    assert assert_error(refused, "mcos", 429, "RATE_LIMIT_EXCEEDED")["details"]["quota"] == "storage_writes"


def test_a_chat_whose_tool_fails_spends_no_search(client: httpx.Client) -> None:
    directive = f"/tool search_flights {json.dumps(NOWHERE)}"
    for _ in range(SEARCHES_PER_DAY + 1):
        response = client.post("/api/chat", json={"messages": [{"role": "user", "content": directive}]})
        assert response.status_code == 200, response.text
        events = [event.json() for event in parse_sse(response.text)[0]]
        assert [e["type"] for e in events] == ["tool_call", "error"]
        assert events[-1]["error"]["code"] == "TOOL_ERROR"
    found = [client.post("/api/tools/search_flights", json=PARIS) for _ in range(SEARCHES_PER_DAY)]
    assert [r.status_code for r in found] == [200] * SEARCHES_PER_DAY, found[-1].text
    assert _remaining(found[-1]) == "0"


def test_a_search_that_runs_in_a_chat_is_spent(client: httpx.Client) -> None:
    directive = f"/tool search_flights {json.dumps(PARIS)}"
    response = client.post("/api/chat", json={"messages": [{"role": "user", "content": directive}]})
    assert [event.json()["type"] for event in parse_sse(response.text)[0]][:2] == ["tool_call", "tool_result"]
    last = client.post("/api/tools/search_flights", json=PARIS)
    assert last.status_code == 200 and _remaining(last) == str(SEARCHES_PER_DAY - 2)
