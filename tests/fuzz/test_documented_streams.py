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

CRISPY = {"sessionId": "3f2b8c1e-9a4d-4c6b-8e2f-1a2b3c4d5e6f", "message": "Hello there"}
MCOS = {"messages": [{"role": "user", "content": "What is on my list today?"}]}
OPENAI = {"model": "@cf/meta/llama-3.1-8b-instruct", "messages": [{"role": "user", "content": "Hi"}]}
CHAOZCODE = {"prompt": "Explain the difference between REST and GraphQL", "model": "gpt-4"}
CHAOZCODE_CHAT = {"messages": [{"role": "user", "content": "How do I create a React hook?"}]}
SSE, JSON = "text/event-stream", "application/json"
# (surface, path, body, the answer's content type): every stream, and the stream flag's single answers.
CASES = [
    ("crispy", "/chat", CRISPY, SSE),
    ("mcos", "/api/chat", MCOS, SSE),
    ("chittyos-ai", "/v1/chat/completions", {**OPENAI, "stream": True}, SSE),
    ("chaozcode", "/query/stream", CHAOZCODE, SSE),
    ("chaozcode", "/query", {**CHAOZCODE, "stream": True}, SSE),
    ("chaozcode", "/query/chat", {**CHAOZCODE_CHAT, "stream": True}, SSE),
    ("crispy", "/chat", {**CRISPY, "stream": False}, JSON),
    ("chittyos-ai", "/v1/chat/completions", {**OPENAI, "stream": False}, JSON),
    ("chaozcode", "/query", CHAOZCODE, JSON),
    ("chaozcode", "/query/chat", CHAOZCODE_CHAT, JSON),
]
IDS = [f"{name}{path}-{'stream' if content_type == SSE else 'single'}" for name, path, _, content_type in CASES]


@pytest.mark.parametrize(("name", "path", "body", "content_type"), CASES, ids=IDS)
def test_answers_match_their_documented_schema(
    fuzz_server: ChorusProcess,
    surfaces: dict[str, Surface],
    name: str,
    path: str,
    body: dict[str, Any],
    content_type: str,
) -> None:
    surface = surfaces[name]
    with httpx.Client(base_url=surface.base_url, headers=surface.headers(True), timeout=60) as client:
        response = client.post(path, json=body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(content_type)
    schemathesis.openapi.from_dict(surface.document())[path]["POST"].validate_response(response)
