"""The document's per-user limits, with X-RateLimit-* headers and 429 RATE_LIMIT_EXCEEDED."""

from __future__ import annotations

import time
from collections.abc import Iterator

import grpc
import httpx
import pytest
from chorus_contracts.mcos.v1 import memory_pb2, memory_pb2_grpc

from tests.support.chorus_process import ChorusProcess
from tests.support.grpc_status import error_info
from tests.support.mcos_identity import TestIdp, new_sub
from tests.surfaces.mcos.conftest import mcos_config

LIMITS = """
[mcos.rate_limits]
chat_messages_per_minute = 3
flight_searches_per_day = 2
storage_writes_per_day = 4
"""
# Enough for one short builtin-model turn, not for a long one.
TOKEN_LIMITS = """
[mcos.rate_limits]
llm_tokens_per_day = 60
"""


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory, idp: TestIdp) -> Iterator[ChorusProcess]:
    data = tmp_path_factory.mktemp("mcos-limits")
    with ChorusProcess(data, config_toml=mcos_config(idp.write_jwks(data / "jwks.json"), LIMITS)) as proc:
        yield proc


@pytest.fixture(scope="module")
def token_limited(tmp_path_factory: pytest.TempPathFactory, idp: TestIdp) -> Iterator[ChorusProcess]:
    data = tmp_path_factory.mktemp("mcos-tokens")
    with ChorusProcess(data, config_toml=mcos_config(idp.write_jwks(data / "jwks.json"), TOKEN_LIMITS)) as proc:
        yield proc


def _client(proc: ChorusProcess, idp: TestIdp, sub: str) -> httpx.Client:
    return httpx.Client(base_url=proc.rest_url, headers={"cf-access-jwt-assertion": idp.token(sub)}, timeout=30)


def _assert_refused(response: httpx.Response, limit: int) -> None:
    assert response.status_code == 429, response.text
    error = response.json()["error"]
    assert error["code"] == "RATE_LIMIT_EXCEEDED"
    assert response.headers["x-ratelimit-limit"] == str(limit)
    assert response.headers["x-ratelimit-remaining"] == "0"
    assert int(response.headers["retry-after"]) >= 1
    assert error["details"]["retry_after_seconds"] >= 1


def test_storage_writes_per_day(limited: ChorusProcess, idp: TestIdp) -> None:
    with _client(limited, idp, new_sub()) as client:
        remaining = []
        for n in range(4):
            response = client.post("/api/memory/pin", json={"type": "fact", "key": f"k{n}", "value": "v"})
            assert response.status_code == 200, response.text
            assert response.headers["x-ratelimit-limit"] == "4"
            reset = int(response.headers["x-ratelimit-reset"])
            assert time.time() < reset <= time.time() + 86_400 + 5
            remaining.append(int(response.headers["x-ratelimit-remaining"]))
        assert remaining == [3, 2, 1, 0]
        refused = client.post("/api/memory/pin", json={"type": "fact", "key": "k9", "value": "v"})
        _assert_refused(refused, 4)
        # Refused writes are not written; reads are not limited.
        listed = client.get("/api/memory")
        assert listed.status_code == 200 and len(listed.json()["pinned_memories"]) == 4
        assert "x-ratelimit-limit" not in listed.headers
    # Per user: someone else still has the whole quota.
    with _client(limited, idp, new_sub()) as other:
        assert other.post("/api/memory/pin", json={"type": "fact", "key": "k", "value": "v"}).status_code == 200


def test_grpc_gets_the_same_refusal(limited: ChorusProcess, idp: TestIdp) -> None:
    metadata = (("cf-access-jwt-assertion", idp.token(new_sub())),)
    with grpc.insecure_channel(limited.grpc_addr) as channel:
        stub = memory_pb2_grpc.MemoryServiceStub(channel)
        for n in range(4):
            _, call = stub.PinMemory.with_call(
                memory_pb2.PinMemoryRequest(type="fact", key=f"k{n}", value="v"), metadata=metadata
            )
            assert dict(call.trailing_metadata())["x-ratelimit-remaining"] == str(3 - n)
        with pytest.raises(grpc.RpcError) as refused:
            stub.PinMemory(memory_pb2.PinMemoryRequest(type="fact", key="k9", value="v"), metadata=metadata)
    assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert error_info(refused.value).reason == "RATE_LIMIT_EXCEEDED"


def _chat(client: httpx.Client, content: str) -> httpx.Response:
    return client.post("/api/chat", json={"messages": [{"role": "user", "content": content}], "stream": False})


def test_chat_messages_per_minute(limited: ChorusProcess, idp: TestIdp) -> None:
    with _client(limited, idp, new_sub()) as client:
        responses = [_chat(client, "Hello there") for _ in range(3)]
        assert [r.status_code for r in responses] == [200, 200, 200]
        assert [r.headers["x-ratelimit-remaining"] for r in responses] == ["2", "1", "0"]
        assert all(r.headers["x-ratelimit-limit"] == "3" for r in responses)
        refused = _chat(client, "Hello there")
        _assert_refused(refused, 3)
        assert refused.json()["error"]["details"]["quota"] == "chat_messages"
        assert 1 <= int(refused.headers["retry-after"]) <= 60


def test_llm_tokens_per_day(token_limited: ChorusProcess, idp: TestIdp) -> None:
    with _client(token_limited, idp, new_sub()) as client:
        # The builtin model counts one token per word piece: 80 words are over the day's 60.
        first = _chat(client, "word " * 80)
        assert first.status_code == 200, first.text
        refused = _chat(client, "hi")
        assert refused.status_code == 429, refused.text
        assert refused.json()["error"]["details"]["quota"] == "llm_tokens"
    with _client(token_limited, idp, new_sub()) as other:
        assert _chat(other, "hi").status_code == 200


def test_idempotent_replays_use_no_quota(limited: ChorusProcess, idp: TestIdp) -> None:
    with _client(limited, idp, new_sub()) as client:
        task = {"title": "Send budget report", "priority": "high"}
        first = client.post("/api/tasks", json=task, headers={"idempotency-key": "key-1"})
        assert first.status_code == 201, first.text
        assert first.headers["x-ratelimit-remaining"] == "3"
        for _ in range(3):
            replay = client.post("/api/tasks", json=task, headers={"idempotency-key": "key-1"})
            assert replay.status_code == 201 and replay.json() == first.json()
            assert replay.headers["idempotent-replayed"] == "true"
        second = client.post("/api/tasks", json={"title": "Another"}, headers={"idempotency-key": "key-2"})
        assert second.headers["x-ratelimit-remaining"] == "2"
