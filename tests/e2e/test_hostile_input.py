"""Hostile and odd HTTP input: always an answer in the surface's envelope, never a 5xx or plain text.

Through the real server (both bridge transports), with httpx where it can
send the input and raw sockets where it refuses to (duplicate or non-ASCII
Host).
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

import httpx
import orjson
import pytest

from rest_bridge.json_body import MAX_CONTAINERS
from rest_bridge.jsoncodec import MAX_FREE_FORM_VALUES
from tests.support.chorus_process import ChorusProcess
from tests.support.crispy_server import DEMO
from tests.support.raw_http import RawResponse, connect, read_response

AI = {"host": "ai.example.com"}
ID = {"host": "id.example.com"}
CHAT_MODEL = "@cf/meta/llama-3.1-8b-instruct"
SESSION = "550e8400-e29b-41d4-a716-446655440000"


def nest(levels: int, leaf: Any = 1, kind: str = "object") -> Any:
    value = leaf
    for _ in range(levels):
        value = {"a": value} if kind == "object" else [value]
    return value


def chat_body(**extra: Any) -> dict[str, Any]:
    return {"model": CHAT_MODEL, "messages": [{"role": "user", "content": "hi"}], **extra}


def crispy_chat(**extra: Any) -> dict[str, Any]:
    return {"sessionId": str(uuid.uuid4()), "message": "hi", "stream": False, **extra}


def json_error(response: httpx.Response, status: int) -> Any:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json", response.text
    return response.json()


def raw_request(url: str, request: bytes) -> RawResponse:
    """Send bytes httpx would refuse to send; read one response (Content-Length framed)."""
    with connect(url, timeout=15) as sock:
        sock.sendall(request)
        return read_response(sock)


# --- unknown keys: digits of any script, any length ---------------------------------------

DIGIT_KEYS = ["³", "٣", "12345678901234567890123"]


@pytest.mark.parametrize("key", DIGIT_KEYS)
def test_digit_keys_in_a_strict_body_are_unknown_parameters(rest: httpx.Client, key: str) -> None:
    error = json_error(rest.post("/v1/chat/completions", headers=AI, json=chat_body(**{key: 1})), 400)["error"]
    assert error["code"] == "unknown_parameter"
    assert error["param"] == key


@pytest.mark.parametrize("key", DIGIT_KEYS)
def test_digit_keys_in_a_strict_query_are_400(rest: httpx.Client, key: str) -> None:
    error = json_error(rest.get("/v1/models", headers=AI, params={key: "1"}), 400)["error"]
    assert error["code"] == "unknown_parameter"


@pytest.mark.parametrize("key", DIGIT_KEYS)
def test_digit_keys_on_crispy_are_ignored(rest: httpx.Client, key: str) -> None:
    response = rest.post("/chat", headers=DEMO, json=crispy_chat(**{key: 1}))
    assert response.status_code == 200, response.text
    assert rest.get("/health", headers=DEMO, params={key: "1"}).status_code == 200


# --- unknown fields: per surface ------------------------------------------------------------


def test_crispy_ignores_unknown_body_keys_and_query_parameters(rest: httpx.Client) -> None:
    response = rest.post("/chat", headers=DEMO, json=crispy_chat(model="gpt-4", temperature=0.2))
    assert response.status_code == 200, response.text
    assert response.json()["response"]
    response = rest.get(f"/chat/{SESSION}/history", headers=DEMO, params={"_": "123"})
    assert response.status_code in (200, 404), response.text  # not a validation error


def test_openai_and_chittyos_stay_strict(rest: httpx.Client) -> None:
    error = json_error(rest.post("/v1/chat/completions", headers=AI, json=chat_body(frobnicate=1)), 400)["error"]
    assert (error["code"], error["param"]) == ("unknown_parameter", "frobnicate")
    body = json_error(rest.get("/validate/01-P-ROP-0001-T-25-C-X", headers=ID, params={"_": "1"}), 400)
    assert "_" in body["message"]


# --- nesting ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["object", "array"])
def test_free_form_json_nests_at_most_32_levels(rest: httpx.Client, kind: str) -> None:
    # The body is level 1 and `metadata` level 2: 31 more levels are the most allowed.
    at_limit = rest.post("/generate", headers=ID, json={"metadata": {"x": nest(30, kind=kind)}})
    assert json_error(at_limit, 401)["error"]  # reached the server: the key is missing
    for levels in (31, 40, 600):
        response = rest.post("/generate", headers=ID, json={"metadata": {"x": nest(levels, kind=kind)}})
        assert "32 levels" in json_error(response, 400)["message"]


def test_deep_value_on_the_ai_gateway_is_a_400(rest: httpx.Client) -> None:
    for levels in (40, 900):
        response = rest.post("/v1/chat/completions", headers=AI, json=chat_body(tool_choice=nest(levels)))
        error = json_error(response, 400)["error"]
        assert "32 levels" in error["message"]
        assert "DecodeError" not in error["message"]


# --- headers ------------------------------------------------------------------------------------


def test_tab_in_a_header_value_is_not_forwarded(rest: httpx.Client) -> None:
    response = rest.get("/health", headers={**DEMO, "x-note": "a\tb", "user-agent": "x\ty"})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("surface", [DEMO, AI])
def test_non_ascii_request_id_is_replaced(rest: httpx.Client, surface: dict[str, str]) -> None:
    headers: Any = {**surface, "x-request-id": "req-é".encode()}
    response = rest.get("/health", headers=headers)
    assert response.status_code == 200, response.text
    uuid.UUID(response.headers["x-request-id"])
    headers["x-request-id"] = b"a\tb"
    assert rest.get("/health", headers=headers).status_code == 200


def test_non_ascii_host_is_a_400(chorus: ChorusProcess) -> None:
    request = b"GET /health HTTP/1.1\r\nHost: d\xc3\xa9mo.example.com\r\nx-tenant-id: e2e\r\n\r\n"
    status, headers, body = raw_request(chorus.rest_url, request)
    assert status == 400
    assert headers["content-type"] == "application/json"
    assert "Host" in orjson.loads(body)["error"]


def test_duplicate_host_is_a_400(chorus: ChorusProcess) -> None:
    request = b"GET /v1/models HTTP/1.1\r\nHost: ai.example.com\r\nHost: id.example.com\r\n\r\n"
    status, headers, body = raw_request(chorus.rest_url, request)
    assert status == 400
    assert headers["content-type"] == "application/json"
    assert headers["connection"] == "close"
    error = orjson.loads(body)["error"]  # OpenAI's shape: the first Host picks the surface
    assert error["code"] == "invalid_host"
    assert "exactly one Host" in error["message"]


@pytest.mark.parametrize("size", [9 * 1024, 17 * 1024, 60 * 1024])
def test_oversized_headers_are_431_in_the_envelope(rest: httpx.Client, size: int) -> None:
    body = json_error(rest.get("/health", headers={**DEMO, "x-pad": "a" * size}), 431)
    assert set(body) == {"error", "requestId"}
    assert "metadata" not in body["error"] and "8192" in body["error"]
    error = json_error(rest.get("/v1/models", headers={**AI, "x-pad": "a" * size}), 431)["error"]
    assert error["code"] == "headers_too_large"


def test_headers_just_under_the_limit_pass(rest: httpx.Client) -> None:
    # Near the limit, every time: gRPC's own metadata limits sit well above it.
    for _ in range(10):
        response = rest.get("/health", headers={**DEMO, "x-pad": "a" * 7900})
        assert response.status_code == 200, response.text


# --- Content-Type ------------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_crispy_and_openai_bodies_must_be_json(rest: httpx.Client, content_type: str | None) -> None:
    raw = orjson.dumps(crispy_chat())
    headers = {**DEMO, **({"content-type": content_type} if content_type else {})}
    body = json_error(rest.post("/chat", headers=headers, content=raw), 415)
    assert "application/json" in body["error"] and body["requestId"]
    headers = {**AI, **({"content-type": content_type} if content_type else {})}
    response = rest.post("/v1/chat/completions", headers=headers, content=orjson.dumps(chat_body()))
    assert json_error(response, 415)["error"]["code"] == "unsupported_media_type"


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "application/merge-patch+json"])
def test_json_media_types_with_parameters_or_suffix_are_accepted(rest: httpx.Client, content_type: str) -> None:
    response = rest.post("/chat", headers={**DEMO, "content-type": content_type}, content=orjson.dumps(crispy_chat()))
    assert response.status_code == 200, response.text


def test_bodiless_posts_need_no_content_type(rest: httpx.Client) -> None:
    # The ChittyOS document's own `curl -X POST .../verify` sends no body and no Content-Type.
    response = rest.post("/api/auth/verify", headers={"host": "auth.example.com", "authorization": "Bearer x"})
    assert response.status_code == 401, response.text


# --- CPU amplification ------------------------------------------------------------------------------


def empty_arrays_body(field: str, count: int) -> bytes:
    base = orjson.dumps(chat_body() if field == "stop" else {"model": "@cf/baai/bge-base-en-v1.5"})
    return base[:-1] + b',"' + field.encode() + b'":[' + b",".join([b"[]"] * count) + b"]}"


@pytest.mark.parametrize(("path", "field"), [("/v1/chat/completions", "stop"), ("/v1/embeddings", "input")])
def test_a_megabyte_of_empty_arrays_is_refused(rest: httpx.Client, path: str, field: str) -> None:
    raw = empty_arrays_body(field, 330_000)
    assert len(raw) < 1_048_576
    response = rest.post(path, headers={**AI, "content-type": "application/json"}, content=raw)
    error = json_error(response, 400)["error"]
    assert f"more than {MAX_CONTAINERS} arrays and objects" in error["message"]


def test_brackets_inside_strings_do_not_count(rest: httpx.Client) -> None:
    # 40,000 brackets, all in a string (and a body large enough to be decoded off the loop).
    response = rest.post("/chat", headers=DEMO, json=crispy_chat(note="[{" * 20_000))
    assert response.status_code == 200, response.text


def test_free_form_values_are_bounded(rest: httpx.Client) -> None:
    raw = orjson.dumps({"model": "@cf/baai/bge-base-en-v1.5", "input": [[1] * (MAX_FREE_FORM_VALUES + 10)]})
    response = rest.post("/v1/embeddings", headers={**AI, "content-type": "application/json"}, content=raw)
    error = json_error(response, 400)["error"]
    assert f"more than {MAX_FREE_FORM_VALUES} values" in error["message"]


def test_health_is_answered_while_hostile_bodies_are_decoded(chorus: ChorusProcess) -> None:
    raw = empty_arrays_body("stop", 330_000)
    hostile: list[tuple[int, bool]] = []

    def attack() -> None:
        with httpx.Client(base_url=chorus.rest_url, timeout=60) as client:
            for _ in range(3):
                response = client.post(
                    "/v1/chat/completions", headers={**AI, "content-type": "application/json"}, content=raw
                )
                hostile.append((response.status_code, "arrays and objects" in response.text))

    attackers = [threading.Thread(target=attack) for _ in range(3)]
    for thread in attackers:
        thread.start()
    answered = 0
    with httpx.Client(base_url=chorus.rest_url, timeout=60) as client:
        while any(thread.is_alive() for thread in attackers):
            for host in (DEMO, AI, ID):
                response = client.get("/health", headers=host)
                assert response.status_code == 200, response.text
                answered += 1
    for thread in attackers:
        thread.join()
    assert hostile == [(400, True)] * 9  # refused by the bridge's count, before parsing
    assert answered >= 3


# --- malformed HTTP ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "request_line",
    [b"GET /health?\xc2\xb3=1 HTTP/1.1", b"GET /he alth HTTP/1.1", b"\x16\x03\x01\x02\x00\x01\x00"],
)
def test_unparsable_requests_get_a_json_400(chorus: ChorusProcess, request_line: bytes) -> None:
    status, headers, body = raw_request(chorus.rest_url, request_line + b"\r\nHost: x\r\nx-tenant-id: e2e\r\n\r\n")
    assert status == 400
    assert headers["content-type"] == "application/json"
    assert orjson.loads(body)["error"]
