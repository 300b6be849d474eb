"""Server streaming as SSE through the real bridge (data-only style, `type` key, `[DONE]`, stream flag)."""

from __future__ import annotations

import itertools
import time
from typing import Any

import httpx
import pytest

from tests.bridge.conftest import HEARTBEAT, BridgeHarness
from tests.support.sse import parse_sse

STREAM = "/v1/events:stream"
_tags = itertools.count()


def tag() -> str:
    return f"stream-{next(_tags)}"


def assert_sse_headers(response: httpx.Response) -> None:
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream"
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-accel-buffering"] == "no"
    assert "content-length" not in response.headers


def test_data_only_events_with_type_key_and_done(client: httpx.Client) -> None:
    response = client.post(STREAM, json={"count": 2, "tag": "plain"})
    assert_sse_headers(response)
    assert response.headers["x-stream-tag"] == "plain"  # initial metadata -> headers
    assert response.text == (
        'data: {"type":"delta","index":0,"text":"t0"}\n\n'
        'data: {"type":"delta","index":1,"text":"t1"}\n\n'
        'data: {"type":"summary","total":2,"text":""}\n\n'
        "data: [DONE]\n\n"
    )
    events, comments = parse_sse(response.text)
    assert [e.event for e in events] == [None] * 4
    assert comments == []


@pytest.mark.parametrize("body", [{"count": 1}, {"count": 1, "stream": True}])
def test_stream_flag_default_and_true_stream(client: httpx.Client, body: dict[str, Any]) -> None:
    response = client.post(STREAM, json=body)
    assert_sse_headers(response)
    events, _ = parse_sse(response.text)
    assert [e.data for e in events][-1] == "[DONE]"
    assert [e.json()["type"] for e in events[:-1]] == ["delta", "summary"]


def test_empty_stream_still_ends_with_done(client: httpx.Client) -> None:
    response = client.post(STREAM, json={"count": 0})
    assert_sse_headers(response)
    assert response.text == 'data: {"type":"summary","total":0,"text":""}\n\ndata: [DONE]\n\n'


def test_stream_flag_false_is_a_single_json_body(client: httpx.Client) -> None:
    response = client.post(STREAM, json={"count": 3, "stream": False, "tag": "unary"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-stream-tag"] == "unary"
    assert "cache-control" not in response.headers
    # `unary_field: "summary"`: just that field's JSON, without the type key.
    assert response.json() == {"total": 3, "text": "t0t1t2"}


def test_error_before_the_first_event_is_a_plain_http_error(client: httpx.Client) -> None:
    response = client.post(STREAM, json={"count": 2, "fail_code": "NOT_FOUND", "fail_after": 0})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert (body["code"], body["message"]) == (5, "failed at 0")


def test_error_with_stream_false_is_a_plain_http_error(client: httpx.Client) -> None:
    response = client.post(STREAM, json={"stream": False, "fail_code": "PERMISSION_DENIED"})
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/json"
    assert response.json()["message"] == "stream setup failed"


def test_rich_error_before_the_first_event_keeps_its_details(client: httpx.Client) -> None:
    response = client.post(STREAM, json={"count": 1, "fail_code": "RESOURCE_EXHAUSTED", "fail_after": 0})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    reasons = [d.get("reason") for d in response.json()["details"]]
    assert "QUOTA_CHECK_FAILED" in reasons


@pytest.mark.parametrize("code", ["INTERNAL", "RESOURCE_EXHAUSTED", "UNAVAILABLE"])
def test_error_after_the_first_event_is_an_in_band_event(client: httpx.Client, code: str) -> None:
    response = client.post(STREAM, json={"count": 3, "fail_code": code, "fail_after": 1})
    # The status line went out with the first event: the error can only travel in-band.
    assert_sse_headers(response)
    assert response.text == (
        'data: {"type":"delta","index":0,"text":"t0"}\n\n'
        'data: {"type":"error","error":"failed at 1"}\n\n'
        # The stream then ends; the bridge writes its terminator after the error event too.
        "data: [DONE]\n\n"
    )


def test_error_after_the_last_delta(client: httpx.Client) -> None:
    response = client.post(STREAM, json={"count": 2, "fail_code": "ABORTED", "fail_after": 2})
    assert_sse_headers(response)
    events, _ = parse_sse(response.text)
    assert [e.data for e in events][-2:] == ['{"type":"error","error":"failed at 2"}', "[DONE]"]
    assert [e.json()["type"] for e in events[:-1]] == ["delta", "delta", "error"]


def _read_until(chunks: Any, needle: bytes, seen: bytearray) -> None:
    for chunk in chunks:
        seen += chunk
        if needle in seen:
            return
    raise AssertionError(f"stream ended before {needle!r}: {bytes(seen)!r}")


def _wait(event: Any, timeout: float = 5) -> bool:
    return bool(event.wait(timeout))


def test_client_disconnect_cancels_the_rpc(fresh_client: httpx.Client, bridge: BridgeHarness) -> None:
    name = tag()
    recorder = bridge.recorder
    with fresh_client.stream("POST", STREAM, json={"count": 1, "hang": True, "tag": name}) as response:
        assert_sse_headers(response)
        seen = bytearray()
        chunks = response.iter_raw()
        _read_until(chunks, b'"type":"delta"', seen)
        # Idle after the first event: heartbeats keep the stream alive.
        _read_until(chunks, b": keep-alive\n\n", seen)
        assert not recorder.event(recorder.finished, name).is_set()
    # Leaving the block closes the connection mid-stream.
    assert _wait(recorder.event(recorder.cancelled, name)), "the servicer was not cancelled"
    assert _wait(recorder.event(recorder.finished, name))


def test_idle_before_the_first_event_commits_to_a_stream(fresh_client: httpx.Client, bridge: BridgeHarness) -> None:
    name = tag()
    recorder = bridge.recorder
    started = time.monotonic()
    with fresh_client.stream("POST", STREAM, json={"count": 0, "hang": True, "tag": name}) as response:
        # No event yet: after one heartbeat period the bridge sends headers and a comment.
        assert_sse_headers(response)
        assert response.headers["x-stream-tag"] == name
        seen = bytearray()
        _read_until(response.iter_raw(), b": keep-alive\n\n", seen)
        assert bytes(seen).startswith(b": keep-alive\n\n")
        assert time.monotonic() - started >= HEARTBEAT * 0.9
    assert _wait(recorder.event(recorder.cancelled, name)), "the servicer was not cancelled"


def test_stream_keeps_working_after_disconnects(client: httpx.Client) -> None:
    response = client.post(STREAM, json={"count": 1})
    assert_sse_headers(response)
    assert response.text.endswith("data: [DONE]\n\n")
