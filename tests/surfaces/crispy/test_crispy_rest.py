"""Crispy Enigma (spec 004) over REST: every route, shape, status and header."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from tests.support.crispy_server import DEMO
from tests.support.envelopes import assert_error
from tests.support.sse import parse_sse

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$")


def _chat(
    rest: httpx.Client,
    session_id: str,
    message: str,
    *,
    stream: bool | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    body: dict[str, object] = {"sessionId": session_id, "message": message}
    if stream is not None:
        body["stream"] = stream
    return rest.post("/chat", json=body, headers=headers or DEMO)


def test_health_document_and_headers(rest: httpx.Client) -> None:
    response = rest.get("/health", headers={"x-tenant-id": "demo"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["status", "tenant", "timestamp", "requestId"]
    assert body["status"] == "ok" and body["tenant"] == "demo"
    assert ISO_MS.match(body["timestamp"]), body["timestamp"]
    assert UUID_RE.match(body["requestId"])
    assert response.headers["x-request-id"] == body["requestId"]
    assert response.headers["x-ratelimit-limit"] == "100"
    assert int(response.headers["x-ratelimit-remaining"]) < 100
    assert int(response.headers["x-ratelimit-reset"]) > 1_700_000_000


def test_request_id_is_echoed(rest: httpx.Client) -> None:
    response = rest.get("/health", headers={**DEMO, "x-request-id": "trace-abc-123"})
    assert response.headers["x-request-id"] == "trace-abc-123"
    assert response.json()["requestId"] == "trace-abc-123"


def test_streaming_chat_named_events(rest: httpx.Client) -> None:
    session = str(uuid.uuid4())
    response = _chat(rest, session, "What is multi-tenant architecture?", stream=True)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream"
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-accel-buffering"] == "no"
    assert UUID_RE.match(response.headers["x-request-id"])
    events, _ = parse_sse(response.text)
    assert [e.event for e in events[:-1]] == ["token"] * (len(events) - 1)
    assert events[-1].event == "done"
    tokens = [e.json() for e in events[:-1]]
    assert all(list(t) == ["token"] for t in tokens) and len(tokens) > 3
    # Frames are compact JSON exactly as the document shows.
    assert response.text.startswith('event: token\ndata: {"token":')
    usage = events[-1].json()["usage"]
    assert list(usage) == ["promptTokens", "completionTokens"]
    assert usage["completionTokens"] == len(tokens)
    assert usage["promptTokens"] > 0


def test_stream_is_the_default(rest: httpx.Client) -> None:
    response = _chat(rest, str(uuid.uuid4()), "Hello")
    assert response.headers["content-type"] == "text/event-stream"


def test_non_streaming_chat_and_history(rest: httpx.Client) -> None:
    session = str(uuid.uuid4())
    response = _chat(rest, session, "Hello", stream=False)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["response", "usage", "requestId"]
    assert body["response"] and body["requestId"] == response.headers["x-request-id"]
    assert set(body["usage"]) == {"promptTokens", "completionTokens"}

    streamed = _chat(rest, session, "What is multi-tenant architecture?")
    streamed_text = "".join(e.json()["token"] for e in parse_sse(streamed.text)[0][:-1])

    history = rest.get(f"/chat/{session}/history", headers=DEMO)
    assert history.status_code == 200
    doc = history.json()
    assert list(doc) == ["sessionId", "messages", "requestId"]
    assert doc["sessionId"] == session
    assert [m["role"] for m in doc["messages"]] == ["user", "assistant", "user", "assistant"]
    assert [m["content"] for m in doc["messages"]] == [
        "Hello",
        body["response"],
        "What is multi-tenant architecture?",
        streamed_text,
    ]
    for message in doc["messages"]:
        assert list(message) == ["role", "content", "timestamp"]
        assert isinstance(message["timestamp"], int) and message["timestamp"] > 1_700_000_000_000
    stamps = [m["timestamp"] for m in doc["messages"]]
    assert stamps == sorted(stamps)


def test_delete_session(rest: httpx.Client) -> None:
    session = str(uuid.uuid4())
    _chat(rest, session, "Hello", stream=False)
    response = rest.delete(f"/chat/{session}", headers=DEMO)
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["success", "sessionId", "requestId"]
    assert body["success"] is True and body["sessionId"] == session
    assert rest.get(f"/chat/{session}/history", headers=DEMO).status_code == 404
    again = rest.delete(f"/chat/{session}", headers=DEMO)
    assert assert_error(again, "crispy", 404)["error"] == "Session not found"


def test_unknown_session_history_is_404(rest: httpx.Client) -> None:
    response = rest.get(f"/chat/{uuid.uuid4()}/history", headers=DEMO)
    body = assert_error(response, "crispy", 404)
    assert body == {"error": "Session not found", "requestId": response.headers["x-request-id"]}


def test_validation_lists_every_issue(rest: httpx.Client) -> None:
    response = rest.post("/chat", json={"sessionId": "not-a-uuid", "message": ""}, headers=DEMO)
    body = assert_error(response, "crispy", 400)
    assert body["error"] == "Validation error"
    assert body["details"]["issues"] == [
        {"path": ["sessionId"], "message": "Invalid UUID format"},
        {"path": ["message"], "message": "String must contain at least 1 character(s)"},
    ]


@pytest.mark.parametrize(
    ("body", "missing"),
    [
        ({}, ["sessionId", "message"]),
        ({"message": "hi"}, ["sessionId"]),
        ({"sessionId": str(uuid.UUID(int=1)), "message": None}, ["message"]),
    ],
)
def test_the_documents_required_fields_must_be_given(
    rest: httpx.Client, body: dict[str, object], missing: list[str]
) -> None:
    """sessionId and message are `Required: Yes` in the document (google.api.field_behavior)."""
    response = rest.post("/chat", json=body, headers=DEMO)
    assert response.status_code == 400
    assert response.json()["error"] == "Validation error"
    assert response.json()["details"]["issues"] == [{"path": [key], "message": "Required"} for key in missing]


def test_message_length_bounds(rest: httpx.Client) -> None:
    session = str(uuid.uuid4())
    too_long = _chat(rest, session, "x" * 10_001, stream=False)
    assert too_long.status_code == 400
    assert too_long.json()["details"]["issues"] == [
        {"path": ["message"], "message": "String must contain at most 10000 character(s)"}
    ]
    assert rest.get(f"/chat/{session}/history", headers=DEMO).status_code == 404
    assert _chat(rest, session, "y" * 10_000, stream=False).status_code == 200


def test_history_path_must_be_a_uuid(rest: httpx.Client) -> None:
    response = rest.get("/chat/nope/history", headers=DEMO)
    assert response.status_code == 400
    assert response.json()["details"]["issues"] == [{"path": ["sessionId"], "message": "Invalid UUID format"}]


def test_bad_json_and_types(rest: httpx.Client) -> None:
    malformed = rest.post("/chat", content=b'{"sessionId": ', headers={**DEMO, "content-type": "application/json"})
    assert malformed.status_code == 400
    assert malformed.json()["error"] == "Validation error"
    assert malformed.json()["details"]["issues"][0]["path"] == []
    assert malformed.json()["details"]["issues"][0]["message"].startswith("Malformed JSON")

    wrong_type = rest.post("/chat", json={"sessionId": str(uuid.uuid4()), "message": 5}, headers=DEMO)
    assert wrong_type.status_code == 400
    assert wrong_type.json()["details"]["issues"] == [
        {"path": ["message"], "message": "Expected string, received number"}
    ]

    # Unknown keys are dropped, as the source system's Zod schemas do.
    unknown = rest.post(
        "/chat", json={"sessionId": str(uuid.uuid4()), "message": "hi", "stream": False, "extra": 1}, headers=DEMO
    )
    assert unknown.status_code == 200, unknown.text

    not_object = rest.post("/chat", json=[1, 2], headers=DEMO)
    assert not_object.status_code == 400


def test_oversized_body_is_413(rest: httpx.Client) -> None:
    response = rest.post("/chat", content=b"x" * (1_048_576 + 1), headers={**DEMO, "content-type": "application/json"})
    assert response.status_code == 413
    body = response.json()
    assert set(body) == {"error", "requestId"}


def test_unknown_route_and_wrong_method(rest: httpx.Client) -> None:
    missing = rest.get("/nope", headers=DEMO)
    assert missing.status_code == 404
    assert missing.json() == {"error": "Not found", "requestId": missing.headers["x-request-id"]}
    wrong = rest.put("/chat", json={}, headers=DEMO)
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "POST"
    assert wrong.json()["error"] == "Method not allowed"
    wrong_delete = rest.post(f"/chat/{uuid.uuid4()}", headers=DEMO)
    assert wrong_delete.status_code == 405 and wrong_delete.headers["allow"] == "DELETE"
