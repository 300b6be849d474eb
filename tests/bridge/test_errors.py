"""Errors through the real bridge: its own (routing, JSON, size) and upstream gRPC statuses.

The "testing" surface uses the default dialect: google.rpc.Status JSON with `Any` details.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc
import httpx
import pytest

from tests.bridge.conftest import MAX_BODY

JSON = {"content-type": "application/json"}

DETAIL = "type.googleapis.com/google.rpc."


def details(body: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [d for d in body["details"] if d["@type"] == DETAIL + kind]


def assert_json_error(response: httpx.Response, status: int, code: grpc.StatusCode, reason: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-request-id"]
    body: dict[str, Any] = response.json()
    assert body["code"] == code.value[0]
    assert details(body, "ErrorInfo") == [{"@type": DETAIL + "ErrorInfo", "reason": reason}]
    assert details(body, "RequestInfo") == [
        {"@type": DETAIL + "RequestInfo", "requestId": response.headers["x-request-id"]}
    ]
    return body


# --- routing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/v1", "/v1/nope", "/v1/item", "/v1/items/a/b", "/v1/items/a/", "/v2/items/a"])
def test_unknown_path_is_404(client: httpx.Client, path: str) -> None:
    body = assert_json_error(client.get(path), 404, grpc.StatusCode.NOT_FOUND, "NOT_FOUND")
    assert body["message"] == "Not found"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("POST", "/v1/items/abc", "DELETE, GET, HEAD, PATCH"),
        ("PUT", "/v1/items/stats", "DELETE, GET, HEAD, PATCH"),
        ("PUT", "/v1/search", "GET, HEAD"),
        ("DELETE", "/v1/items", "POST"),
        ("GET", "/v1/echo", "POST"),
        ("GET", "/v1/events:stream", "POST"),
        ("PATCH", "/v1/metadata", "GET, HEAD, POST"),
        ("OPTIONS", "/v1/files/a/b", "GET, HEAD"),
    ],
)
def test_wrong_method_is_405_with_allow(client: httpx.Client, method: str, path: str, allow: str) -> None:
    response = client.request(method, path)
    body = assert_json_error(response, 405, grpc.StatusCode.UNIMPLEMENTED, "METHOD_NOT_ALLOWED")
    assert response.headers["allow"] == allow
    assert body["message"] == "Method not allowed"


def test_head_on_a_get_route(client: httpx.Client) -> None:
    get = client.get("/v1/items/abc")
    head = client.head("/v1/items/abc")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == "application/json"
    assert head.headers["content-length"] == str(len(get.content))


def test_head_errors_have_no_body(client: httpx.Client) -> None:
    for path, status in [("/v1/nope", 404), ("/v1/echo", 405), ("/v1/fail/NOT_FOUND", 404), ("/v1/search?x=1", 400)]:
        response = client.head(path)
        assert response.status_code == status, path
        assert response.content == b""
        assert response.headers["content-type"] == "application/json"
        assert int(response.headers["content-length"]) > 0
    assert client.head("/v1/echo").headers["allow"] == "POST"


# --- request bodies -------------------------------------------------------------------------------


def _violations(response: httpx.Response) -> list[tuple[str, str]]:
    body = assert_json_error(response, 400, grpc.StatusCode.INVALID_ARGUMENT, "VALIDATION_ERROR")
    assert body["message"] == "Validation error"
    (bad,) = details(body, "BadRequest")
    return [(v["field"], v["description"]) for v in bad["fieldViolations"]]


@pytest.mark.parametrize("raw", [b"{", b'{"text": }', b"nope", b'{"text": "a"} trailing', b"\xff"])
def test_malformed_json_is_400(client: httpx.Client, raw: bytes) -> None:
    response = client.post("/v1/echo", content=raw, headers={"content-type": "application/json"})
    ((field, description),) = _violations(response)
    assert field == ""
    assert description.startswith("Malformed JSON")


def test_wrong_types_are_400_with_every_violation(client: httpx.Client) -> None:
    body = {
        "text": 1,
        "count": "many",
        "flag": "yes",
        "tags": ["ok", 2],
        "item": {"quantity": 1.5, "details": []},
        "scores": {"a": "x"},
        "shade": "PURPLE",
        "at": "noon",
        "maybeCount": 2**40,
    }
    assert _violations(client.post("/v1/echo", json=body)) == [
        ("text", "Expected string, received number"),
        ("count", 'Invalid integer "many"'),
        ("flag", "Expected boolean, received string"),
        ("tags.1", "Expected string, received number"),
        ("item.quantity", "Expected integer, received float"),
        ("item.details", "Expected an object"),
        ("scores.a", 'Invalid integer "x"'),
        ("shade", 'Invalid enum value "PURPLE"'),
        ("at", "Invalid timestamp"),
        ("maybeCount", "Number must be less than or equal to 2147483647"),
    ]


def test_unknown_fields_are_400(client: httpx.Client) -> None:
    body = {"text": "ok", "bogus": 1, "item": {"nope": True}}
    assert _violations(client.post("/v1/echo", json=body)) == [
        ("bogus", 'Unrecognized key "bogus"'),
        ("item.nope", 'Unrecognized key "nope"'),
    ]


def test_body_must_be_an_object(client: httpx.Client) -> None:
    assert _violations(client.post("/v1/echo", json=[1])) == [("", "Expected an object")]


def test_named_body_field_violations_are_relative_to_the_body(client: httpx.Client) -> None:
    assert _violations(client.post("/v1/items", json={"quantity": "x", "bogus": 1})) == [
        ("quantity", 'Invalid integer "x"'),
        ("bogus", 'Unrecognized key "bogus"'),
    ]


def test_body_at_the_limit_is_accepted(client: httpx.Client) -> None:
    text = "x" * (MAX_BODY - len('{"text":""}'))
    response = client.post("/v1/echo", content=f'{{"text":"{text}"}}'.encode(), headers=JSON)
    assert response.status_code == 200, response.text
    assert response.json()["request"]["text"] == text


def test_body_over_the_limit_with_content_length_is_413(fresh_client: httpx.Client) -> None:
    payload = b'{"text":"' + b"x" * MAX_BODY + b'"}'
    response = fresh_client.post("/v1/echo", content=payload)
    body = assert_json_error(response, 413, grpc.StatusCode.INVALID_ARGUMENT, "PAYLOAD_TOO_LARGE")
    assert body["message"] == f"Request body exceeds {MAX_BODY} bytes"
    # The unread body must not be taken for the next request on the connection.
    assert fresh_client.post("/v1/echo", json={"text": "next"}).json()["request"] == {"text": "next"}


def test_body_over_the_limit_chunked_is_413(fresh_client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"text":"'
        for _ in range(4):
            yield b"x" * (MAX_BODY // 2)
        yield b'"}'

    response = fresh_client.post("/v1/echo", content=chunks())
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in response.request.headers
    assert_json_error(response, 413, grpc.StatusCode.INVALID_ARGUMENT, "PAYLOAD_TOO_LARGE")
    assert fresh_client.post("/v1/echo", json={"text": "next"}).json()["request"] == {"text": "next"}


def test_chunked_body_under_the_limit_is_accepted(client: httpx.Client) -> None:
    response = client.post("/v1/echo", content=iter([b'{"te', b'xt": "a', b'b"}']), headers=JSON)
    assert response.status_code == 200, response.text
    assert response.json()["request"] == {"text": "ab"}


# --- upstream statuses --------------------------------------------------------------------------

# ARCHITECTURE.md's table (grpc-gateway / Envoy / Connect).
STATUS_TABLE = [
    (grpc.StatusCode.INVALID_ARGUMENT, 400),
    (grpc.StatusCode.FAILED_PRECONDITION, 400),
    (grpc.StatusCode.OUT_OF_RANGE, 400),
    (grpc.StatusCode.UNAUTHENTICATED, 401),
    (grpc.StatusCode.PERMISSION_DENIED, 403),
    (grpc.StatusCode.NOT_FOUND, 404),
    (grpc.StatusCode.ALREADY_EXISTS, 409),
    (grpc.StatusCode.ABORTED, 409),
    (grpc.StatusCode.RESOURCE_EXHAUSTED, 429),
    (grpc.StatusCode.CANCELLED, 499),
    (grpc.StatusCode.UNIMPLEMENTED, 501),
    (grpc.StatusCode.UNAVAILABLE, 503),
    (grpc.StatusCode.DEADLINE_EXCEEDED, 504),
    (grpc.StatusCode.UNKNOWN, 500),
    (grpc.StatusCode.INTERNAL, 500),
    (grpc.StatusCode.DATA_LOSS, 500),
]


@pytest.mark.parametrize(("code", "status"), STATUS_TABLE, ids=[c.name for c, _ in STATUS_TABLE])
def test_grpc_status_maps_to_http(client: httpx.Client, code: grpc.StatusCode, status: int) -> None:
    response = client.get(f"/v1/fail/{code.name}")
    body = assert_json_error(response, status, code, code.name)
    assert body["message"] == f"failed with {code.name}"
    assert details(body, "BadRequest") == []
    assert "retry-after" not in response.headers


def test_rich_status_details_reach_the_client(client: httpx.Client) -> None:
    response = client.get("/v1/fail/FAILED_PRECONDITION", params={"rich": "true"}, headers={"x-request-id": "rid-7"})
    assert response.status_code == 400
    assert response.headers["x-request-id"] == "rid-7"
    assert response.headers["retry-after"] == "7"
    assert response.json() == {
        "code": grpc.StatusCode.FAILED_PRECONDITION.value[0],
        "message": "rich FAILED_PRECONDITION",
        "details": [
            {
                "@type": DETAIL + "ErrorInfo",
                "reason": "QUOTA_CHECK_FAILED",
                "domain": "testing",
                "metadata": {"limit": "5"},
            },
            {
                "@type": DETAIL + "BadRequest",
                "fieldViolations": [
                    {"field": "item.quantity", "description": "must be positive"},
                    {"field": "labels.1", "description": "too long"},
                ],
            },
            {"@type": DETAIL + "RetryInfo", "retryDelay": "7.400s"},
            {"@type": DETAIL + "RequestInfo", "requestId": "rid-7"},
        ],
    }


def test_rich_status_keeps_its_code_mapping(client: httpx.Client) -> None:
    response = client.get("/v1/fail/RESOURCE_EXHAUSTED", params={"rich": "1"})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert details(response.json(), "ErrorInfo")[0]["reason"] == "QUOTA_CHECK_FAILED"


def test_generated_request_id_is_used_when_the_header_is_unusable(client: httpx.Client) -> None:
    response = client.get("/v1/fail/NOT_FOUND", headers={"x-request-id": "x" * 300})
    assert response.status_code == 404
    request_id = response.headers["x-request-id"]
    assert len(request_id) == 36  # a fresh uuid4
