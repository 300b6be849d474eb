"""Real responses, success and error, from every surface, checked against the OpenAPI
document the server serves for it: status, content type, headers and body schema
(schemathesis's conformance checks). The fuzz test (test_openapi_fuzz.py) does the same
for generated cases; these are the ordinary requests a client sends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from schemathesis.core import NOT_SET

from tests.fuzz.conftest import CHECKS, Surface
from tests.support.chorus_process import ChorusProcess


@dataclass(frozen=True)
class Call:
    method: str
    path: str  # the document's path template
    status: int
    authenticated: bool = True
    path_parameters: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    body: Any = NOT_SET
    headers: dict[str, str] = field(default_factory=dict)  # over the surface's own


# Per surface: one answer that succeeds and one that is an error in the surface's envelope.
CALLS = {
    "crispy": [
        Call("GET", "/health", 200),
        Call("POST", "/chat", 400, body={"messages": "not a list"}),
        Call("GET", "/tools", 200),
        Call("POST", "/tools/execute", 200, body={"tool": "word_count", "args": {"text": "Two words."}}),
        Call("POST", "/tools/execute", 400, body={"tool": "nope"}),
        Call("POST", "/tts", 200, body={"text": "Hi.", "format": "wav"}),
        Call("POST", "/tts", 400, body={"text": "", "voice": "robot"}),
        Call("GET", "/audio/{file}", 404, authenticated=False, path_parameters={"file": "x.mp3"}, query={"token": "t"}),
        Call("POST", "/documents", 201, body={"title": "Kites", "text": "# Kites\n\nKites fly in steady wind."}),
        Call("POST", "/documents", 400, body={"title": "", "text": "x", "format": "pdf"}),
        Call("GET", "/documents", 200, query={"limit": "5"}),
        Call("DELETE", "/documents/{documentId}", 404, path_parameters={"documentId": "no-such-document"}),
        Call("POST", "/search", 200, body={"query": "When do kites fly?", "topK": 3}),
        Call("POST", "/search", 400, body={"query": "", "topK": 0}),
    ],
    "mcos": [
        Call("GET", "/api/health", 200),
        Call("GET", "/api/tasks", 401, authenticated=False),
    ],
    "chaozcode": [
        Call("GET", "/models", 200),
        Call("POST", "/query", 422, body={"prompt": "x", "temperature": 3.0}),
        Call("GET", "/memory/stats", 200),
        Call("POST", "/memory/store", 422, body={"id": "has space", "content": "x"}),
        Call("POST", "/codebase/analyze", 200, body={"files": [{"path": "a.py", "content": "x = 1\n"}]}),
    ],
    "chittyos-id": [
        Call("GET", "/validate/{chittyId}", 200, path_parameters={"chittyId": "01-I-NFO-0001-T-25-C-X"}),
        Call("POST", "/generate", 401, authenticated=False, body={"metadata": {"entityType": "INFO"}}),
    ],
    "chittyos-auth": [
        Call("GET", "/health", 200),
        Call("POST", "/api/auth/verify", 401, headers={"authorization": "Bearer not-a-token"}),
    ],
    "chittyos-sync": [
        Call("GET", "/api/project", 200),
        Call("GET", "/api/project/{projectId}", 404, path_parameters={"projectId": "no-such-project"}),
    ],
    "chittyos-ai": [
        Call("GET", "/v1/models", 200),
        Call("POST", "/v1/chat/completions", 400, body={"model": 5, "messages": []}),
    ],
    "chittyos-mcp": [
        Call("GET", "/health", 200),
        Call("GET", "/health", 400, query={"unknown": "1"}),
    ],
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_real_answers_conform_to_the_served_document(
    name: str, fuzz_server: ChorusProcess, surfaces: dict[str, Surface]
) -> None:
    surface = surfaces[name]
    schema = schemathesis.openapi.from_dict(surface.document())
    for call in CALLS[name]:
        operation = schema[call.path][call.method]
        case = operation.Case(path_parameters=call.path_parameters, query=call.query, body=call.body)
        headers = {**surface.headers(call.authenticated), **call.headers}
        response = case.call(base_url=surface.base_url, headers=headers)
        assert response.status_code == call.status, (call, response.text)
        case.validate_response(response, checks=CHECKS, headers=headers)
