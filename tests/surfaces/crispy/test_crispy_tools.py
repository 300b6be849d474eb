"""Crispy's `POST /tools/execute` (spec 004, M5) and `GET /tools` (our extension), end to end."""

from __future__ import annotations

from pathlib import Path

import grpc
import httpx
import pytest
from chorus_contracts.crispy.v1 import tools_pb2, tools_pb2_grpc
from google.protobuf import struct_pb2
from google.rpc import error_details_pb2

from tests.support.chorus_process import ChorusProcess
from tests.support.crispy_server import DEMO
from tests.support.envelopes import assert_error
from tests.support.grpc_status import detail
from tests.support.openai_upstream import OpenAIUpstream

TOOLS = ["summarize", "word_count", "detect_language", "extract_keywords", "search"]
ARTICLE = (
    "Tenant isolation keeps every customer's data apart. Each request carries a tenant id, "
    "and every query is scoped by it.\n\nRate limits are counted per tenant, so one noisy "
    "tenant cannot starve the others. Tenant isolation is checked on every route."
)


def _run(rest: httpx.Client, tool: str, args: object, headers: dict[str, str] = DEMO) -> httpx.Response:
    return rest.post("/tools/execute", json={"tool": tool, "args": args}, headers=headers)


def _issues(response: httpx.Response) -> list[tuple[list[str], str]]:
    assert_error(response, "crispy", 400)
    return [(i["path"], i["message"]) for i in response.json()["details"]["issues"]]


def test_list_tools_with_argument_schemas(rest: httpx.Client) -> None:
    response = rest.get("/tools", headers=DEMO)
    assert response.status_code == 200
    body = response.json()
    assert [t["name"] for t in body["tools"]] == TOOLS
    assert body["requestId"] == response.headers["x-request-id"]
    summarize = body["tools"][0]["parameters"]
    assert summarize["required"] == ["text"] and summarize["additionalProperties"] is False
    assert summarize["properties"]["maxLength"]["type"] == "integer"
    assert all(t["description"] for t in body["tools"])


def test_summarize_respects_max_length(rest: httpx.Client) -> None:
    # The builtin development model restates its input: far longer than 60 characters.
    response = _run(rest, "summarize", {"text": ARTICLE, "maxLength": 60})
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["result", "toolName", "executionTime", "requestId"]
    assert body["toolName"] == "summarize"
    assert isinstance(body["result"], str) and 0 < len(body["result"]) <= 60
    assert isinstance(body["executionTime"], int) and body["executionTime"] >= 0


def test_word_count_and_reading_time(rest: httpx.Client) -> None:
    result = _run(rest, "word_count", {"text": ARTICLE}).json()["result"]
    assert result == {
        "words": 41,
        "characters": len(ARTICLE),
        "charactersWithoutSpaces": sum(1 for c in ARTICLE if not c.isspace()),
        "sentences": 4,
        "paragraphs": 2,
        "readingTimeSeconds": 11,  # 41 words at 238 a minute, rounded up
    }


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Bonjour, je m'appelle Marie et j'habite à Paris depuis dix ans.", "fr"),
        ("Der schnelle braune Fuchs springt über den faulen Hund.", "de"),
        (ARTICLE, "en"),
    ],
)
def test_detect_language(rest: httpx.Client, text: str, language: str) -> None:
    result = _run(rest, "detect_language", {"text": text, "candidates": 2}).json()["result"]
    assert result["language"] == language
    assert 0.5 < result["confidence"] <= 1
    assert len(result["candidates"]) == 2 and result["candidates"][0]["language"] == language


def test_extract_keywords(rest: httpx.Client) -> None:
    result = _run(rest, "extract_keywords", {"text": ARTICLE, "top": 3, "maxWords": 2}).json()["result"]
    assert result["language"] == "en"
    keywords = [k["keyword"] for k in result["keywords"]]
    assert len(keywords) == 3 and "Tenant isolation" in keywords
    scores = [k["score"] for k in result["keywords"]]
    assert scores == sorted(scores)  # most relevant (lowest YAKE score) first


def test_unknown_tool_lists_the_registry(rest: httpx.Client) -> None:
    issues = _issues(_run(rest, "translate", {"text": "hi"}))
    assert issues == [(["tool"], f"Unknown tool 'translate'; available tools: {', '.join(TOOLS)}")]
    assert _issues(rest.post("/tools/execute", json={"args": {}}, headers=DEMO)) == [(["tool"], "Required")]


def test_bad_arguments_are_listed(rest: httpx.Client) -> None:
    issues = _issues(_run(rest, "summarize", {"maxLength": "200", "style": "short"}))
    assert issues == [
        (["args", "text"], "Field required"),
        (["args", "maxLength"], "Input should be a valid integer"),
        (["args", "style"], "Unknown argument"),
    ]
    too_short = _issues(_run(rest, "summarize", {"text": "x", "maxLength": 5}))
    assert too_short == [(["args", "maxLength"], "Input should be greater than or equal to 20")]
    assert_error(_run(rest, "word_count", "not an object"), "crispy", 400)


def test_tools_need_a_tenant(rest: httpx.Client) -> None:
    assert_error(rest.get("/tools"), "crispy", 401)
    assert_error(_run(rest, "word_count", {"text": "hi"}, headers={}), "crispy", 401)


def test_tools_over_grpc(chorus: ChorusProcess) -> None:
    with grpc.insecure_channel(chorus.grpc_addr) as channel:
        stub = tools_pb2_grpc.ToolServiceStub(channel)
        metadata = tuple(DEMO.items())
        listed = stub.ListTools(tools_pb2.ListToolsRequest(), metadata=metadata)
        assert [t.name for t in listed.tools] == TOOLS
        args = struct_pb2.Struct()
        args.update({"text": ARTICLE, "top": 2})
        done = stub.ExecuteTool(tools_pb2.ExecuteToolRequest(tool="extract_keywords", args=args), metadata=metadata)
        assert done.tool_name == "extract_keywords" and done.request_id
        assert len(done.result.struct_value.fields["keywords"].list_value.values) == 2
        bad = struct_pb2.Struct()
        bad.update({"text": 7})
        with pytest.raises(grpc.RpcError) as failed:
            stub.ExecuteTool(tools_pb2.ExecuteToolRequest(tool="word_count", args=bad), metadata=metadata)
        assert failed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        bad_request = detail(failed.value, error_details_pb2.BadRequest)
        assert bad_request is not None
        violations = bad_request.field_violations
        assert [(v.field, v.description) for v in violations] == [("args.text", "Input should be a valid string")]


def test_summarize_by_an_upstream_model_and_its_failure(tmp_path: Path) -> None:
    """The summary is the model's, cut to maxLength; a failing model is a clean TOOL_ERROR."""
    with OpenAIUpstream().serve() as upstream:
        config = f"""
[models]
default = "upstream-model"
[models.providers.builtin]
kind = "builtin"
[models.providers.local]
kind = "openai-compatible"
base_url = "{upstream.base_url}"
[models.routes.upstream-model]
provider = "local"
"""
        with (
            ChorusProcess(tmp_path / "tools", config_toml=config) as proc,
            httpx.Client(base_url=proc.rest_url, timeout=30) as client,
        ):
            upstream.reply("Tenants are isolated. Limits apply per tenant. Every route checks it, always.")
            fitted = _run(client, "summarize", {"text": ARTICLE, "maxLength": 50}, {"x-tenant-id": "demo"})
            assert fitted.status_code == 200, fitted.text
            assert fitted.json()["result"] == "Tenants are isolated. Limits apply per tenant."
            sent = upstream.chat_requests()[-1].body
            assert sent["messages"][1] == {"role": "user", "content": ARTICLE}
            assert "at most 50 characters" in sent["messages"][0]["content"]

            upstream.fail_next(5, status=400)
            failed = _run(client, "summarize", {"text": ARTICLE}, {"x-tenant-id": "demo"})
            error = assert_error(failed, "crispy", 503)
            assert error["error"].startswith("The summarize tool failed: the model failed")
