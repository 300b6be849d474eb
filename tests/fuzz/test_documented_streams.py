"""Real streamed and single answers of the streaming routes are what the OpenAPI documents say.

Each document's `text/event-stream` schema describes one event as an SSE parser reads it
(`event`, `data` as JSON with its `contentSchema`); schemathesis validates every event of a
real stream against it, and the stream flag's `application/json` answer against its schema.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import schemathesis

from tests.fuzz.conftest import Surface
from tests.support.chorus_process import ChorusProcess

STREAMS = [
    ("crispy", "/chat", {"sessionId": "3f2b8c1e-9a4d-4c6b-8e2f-1a2b3c4d5e6f", "message": "Hello there"}),
    ("mcos", "/api/chat", {"messages": [{"role": "user", "content": "What is on my list today?"}]}),
    (
        "chittyos-ai",
        "/v1/chat/completions",
        {"model": "@cf/meta/llama-3.1-8b-instruct", "messages": [{"role": "user", "content": "Hi"}], "stream": True},
    ),
]
SINGLES = [
    ("crispy", "/chat", {**STREAMS[0][2], "stream": False}),
    ("chittyos-ai", "/v1/chat/completions", {**STREAMS[2][2], "stream": False}),
]


def _validate(surface: Surface, path: str, response: httpx.Response) -> None:
    operation = schemathesis.openapi.from_dict(surface.document())[path]["POST"]
    operation.validate_response(response)


def _post(server: ChorusProcess, surface: Surface, path: str, body: dict[str, Any]) -> httpx.Response:
    with httpx.Client(base_url=server.rest_url, headers=surface.headers(True), timeout=60) as client:
        return client.post(path, json=body)


@pytest.mark.parametrize(("name", "path", "body"), STREAMS, ids=[s[0] for s in STREAMS])
def test_streams_match_their_documented_events(
    fuzz_server: ChorusProcess, surfaces: dict[str, Surface], name: str, path: str, body: dict[str, Any]
) -> None:
    response = _post(fuzz_server, surfaces[name], path, body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    _validate(surfaces[name], path, response)


@pytest.mark.parametrize(("name", "path", "body"), SINGLES, ids=[s[0] for s in SINGLES])
def test_single_answers_match_their_documented_schema(
    fuzz_server: ChorusProcess, surfaces: dict[str, Surface], name: str, path: str, body: dict[str, Any]
) -> None:
    response = _post(fuzz_server, surfaces[name], path, body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    _validate(surfaces[name], path, response)
