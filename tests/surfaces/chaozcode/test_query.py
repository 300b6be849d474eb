"""AI query and models (spec 001): /v2/query, /v2/query/stream and /v2/models, end to end.

Streams are read with httpx-sse, an SSE client library independent of ours.
"""

from __future__ import annotations

import json
import re
import subprocess

import grpc
import httpx
import pytest
from chorus_contracts.chaozcode.v2 import query_pb2, query_pb2_grpc
from httpx_sse import connect_sse

from tests.support import backends
from tests.support.chaozcode import add_user, rest
from tests.support.chorus_process import ChorusProcess, wait_until
from tests.support.grpc_status import error_info
from tests.support.grpcurl import grpcurl, grpcurl_path

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")
DOC_QUERY = {
    "prompt": "Explain the difference between REST and GraphQL",
    "model": "gpt-4",
    "temperature": 0.7,
    "maxTokens": 1000,
}


def test_the_documents_query_example(chaozcode: ChorusProcess) -> None:
    account = add_user(chaozcode)
    # The document's curl, with its base URL pointed at this server.
    answer = httpx.post(
        f"{chaozcode.rest_url}/v2/query",
        headers={"Authorization": f"Bearer {account.key}", "Content-Type": "application/json"},
        content=json.dumps(DOC_QUERY),
        timeout=30,
    )
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert list(body) == ["id", "text", "model", "usage", "finishReason", "createdAt"]
    assert re.fullmatch(r"query_[0-9a-f]{24}", body["id"])
    assert "Explain the difference between REST and GraphQL" in body["text"]
    assert body["model"] == "gpt-4" and body["finishReason"] == "stop" and ISO.fullmatch(body["createdAt"])
    usage = body["usage"]
    assert list(usage) == ["promptTokens", "completionTokens", "totalTokens"]
    assert usage["totalTokens"] == usage["promptTokens"] + usage["completionTokens"] > 0
    assert answer.headers["x-ratelimit-limit"] == "60"
    sql = (
        "SELECT endpoint, calls, prompt_tokens, completion_tokens FROM chaozcode_usage "
        "WHERE user_id = :u AND model = 'gpt-4'"
    )
    expected = [("POST /query", 1, usage["promptTokens"], usage["completionTokens"])]
    # Counts are written every half second.
    assert wait_until(lambda: backends.fetch(chaozcode.data_dir, sql, u=account.user_id) == expected)


def _events(client: httpx.Client, path: str, body: dict[str, object]) -> list[dict[str, object]]:
    with connect_sse(client, "POST", path, json=body) as source:
        assert source.response.status_code == 200
        assert source.response.headers["content-type"].startswith("text/event-stream")
        return [json.loads(event.data) for event in source.iter_sse()]


@pytest.mark.parametrize(("path", "flag"), [("/query/stream", {}), ("/query", {"stream": True})])
def test_streams_as_documented(chaozcode: ChorusProcess, path: str, flag: dict[str, bool]) -> None:
    account = add_user(chaozcode)
    with rest(chaozcode, account.key) as client:
        events = _events(client, path, {**DOC_QUERY, **flag})
        whole = client.post("/query", json=DOC_QUERY).json()
    assert events[0]["type"] == "start" and list(events[0]) == ["type", "id"]
    assert re.fullmatch(r"query_[0-9a-f]{24}", str(events[0]["id"]))
    deltas = events[1:-1]
    assert deltas and all(list(e) == ["type", "content"] and e["type"] == "delta" for e in deltas)
    assert "".join(str(e["content"]) for e in deltas) == whole["text"]
    done = events[-1]
    assert done["type"] == "done" and done["usage"] == whole["usage"]


def test_max_tokens_stop_and_context(chaozcode: ChorusProcess) -> None:
    account = add_user(chaozcode)
    with rest(chaozcode, account.key) as client:
        cut = client.post("/query", json={"prompt": "a long answer please", "maxTokens": 3}).json()
        assert cut["finishReason"] == "length" and cut["usage"]["completionTokens"] == 3
        stopped = client.post("/query", json={"prompt": "hello there", "stop": ["there"]}).json()
        assert "there" not in stopped["text"].split("You said")[1][:14]
        grounded = client.post("/query", json={"prompt": "hi", "context": {"memories": ["auth uses PKCE"]}}).json()
        plain = client.post("/query", json={"prompt": "hi"}).json()
        assert "system prompt" in grounded["text"] and "system prompt" not in plain["text"]
        assert grounded["usage"]["promptTokens"] > plain["usage"]["promptTokens"]


def _error(response: httpx.Response, status: int, code: str, details: dict[str, object]) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert list(error) == ["code", "message", "details", "requestId"]
    assert error["code"] == code and error["details"] == details


def test_validation_as_documented(chaozcode: ChorusProcess) -> None:
    account = add_user(chaozcode)
    with rest(chaozcode, account.key) as client:
        missing = client.post("/query", json={"model": "gpt-4"})
        _error(missing, 400, "INVALID_REQUEST", {"field": "prompt", "reason": "required"})
        assert missing.json()["error"]["message"] == "The request body is missing required field 'prompt'"
        _error(
            client.post("/query", json={"prompt": ""}),
            400,
            "INVALID_REQUEST",
            {"field": "prompt", "reason": "required"},
        )
        for body, name in (
            ({"prompt": "x", "temperature": 3.0}, "temperature"),
            ({"prompt": "x", "topP": 1.5}, "topP"),
            ({"prompt": "x", "maxTokens": 0}, "maxTokens"),
            ({"prompt": "x", "maxTokens": 128_001}, "maxTokens"),
        ):
            _error(client.post("/query", json=body), 422, "VALIDATION_ERROR", {"field": name, "reason": "out_of_range"})
        too_long = client.post("/query", json={"prompt": "x" * 100_001})
        _error(too_long, 422, "VALIDATION_ERROR", {"field": "prompt", "reason": "too_long"})
        assert client.post("/query", json={"prompt": "x" * 100_000, "maxTokens": 1}).status_code == 200
        unknown = client.post("/query", json={"prompt": "x", "model": "gpt-5"})
        _error(unknown, 422, "VALIDATION_ERROR", {"field": "model", "reason": "unknown_model"})
        # Refused before any stream opens: a normal JSON error.
        early = client.post("/query/stream", json={"prompt": "x", "temperature": -1})
        _error(early, 422, "VALIDATION_ERROR", {"field": "temperature", "reason": "out_of_range"})


def test_the_models_catalog(chaozcode: ChorusProcess) -> None:
    account = add_user(chaozcode)
    with rest(chaozcode, account.key) as client:
        listed = client.get("/models")
    assert listed.status_code == 200
    models = listed.json()["models"]
    assert [m["id"] for m in models] == ["gpt-4", "claude-3-sonnet", "gemini-pro"]
    assert models[0] == {
        "id": "gpt-4",
        "name": "GPT-4",
        "provider": "chorus",  # the builtin development model answers for it: said so
        "contextWindow": 128000,
        "inputPrice": 0.03,
        "outputPrice": 0.06,
        "capabilities": ["chat", "code", "analysis"],
    }
    assert models[1]["contextWindow"] == 200000 and models[1]["outputPrice"] == 0.015


def test_query_over_grpc(chaozcode: ChorusProcess, chaozcode_channel: grpc.Channel) -> None:
    account = add_user(chaozcode)
    stub = query_pb2_grpc.QueryServiceStub(chaozcode_channel)
    request = query_pb2.QueryRequest(prompt="Hello", model="claude-3-sonnet")
    (only,) = list(stub.Query(request, metadata=account.metadata))
    assert only.WhichOneof("event") == "result" and only.result.model == "claude-3-sonnet"
    streamed = list(stub.StreamQuery(query_pb2.StreamQueryRequest(query=request), metadata=account.metadata))
    assert [e.WhichOneof("event") for e in (streamed[0], streamed[-1])] == ["start", "done"]
    assert "".join(e.delta.content for e in streamed[1:-1]) == only.result.text
    with pytest.raises(grpc.RpcError) as refused:
        list(stub.Query(query_pb2.QueryRequest(prompt="x", temperature=3.0), metadata=account.metadata))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_info(refused.value).reason == "VALIDATION_ERROR"


def test_grpcurl_lists_describes_and_invokes(chaozcode: ChorusProcess) -> None:
    account = add_user(chaozcode)
    services = grpcurl(chaozcode.grpc_addr, "list").split()
    assert {"chaozcode.v2.QueryService", "chaozcode.v2.ModelService", "chaozcode.v2.UserService"} <= set(services)
    described = grpcurl(chaozcode.grpc_addr, "describe", "chaozcode.v2.QueryService")
    assert "rpc StreamQuery" in described
    models = json.loads(grpcurl(chaozcode.grpc_addr, "chaozcode.v2.ModelService/ListModels", headers=account.headers))
    assert models["models"][0]["id"] == "gpt-4"
    me = json.loads(grpcurl(chaozcode.grpc_addr, "chaozcode.v2.UserService/GetMe", headers=account.headers))
    assert me["user"]["id"] == account.user_id
    denied = subprocess.run(
        [grpcurl_path(), "-plaintext", chaozcode.grpc_addr, "chaozcode.v2.UserService/GetMe"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert denied.returncode != 0 and "Unauthenticated" in denied.stderr
