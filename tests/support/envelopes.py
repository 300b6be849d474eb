"""One assertion for every surface: a response is an error in that surface's documented envelope.

    assert_error(response, "mcos", 404, "NOT_FOUND")

`envelope` names the document whose error body is expected: "crispy", "mcos",
"chittyos" or "openai" (ChittyOS's AI gateway). `code` is the envelope's
machine-readable code, for the envelopes that have one (MCoS, OpenAI). The
return value is the error itself: the object under `error` where the envelope
nests it (MCoS, OpenAI), else the whole body.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

MCOS_ERROR_KEYS = {"code", "message", "details", "correlation_id", "timestamp"}
MCOS_CODES = {
    "UNAUTHORIZED",
    "FORBIDDEN",
    "NOT_FOUND",
    "VALIDATION_ERROR",
    "RATE_LIMIT_EXCEEDED",
    "LLM_ERROR",
    "TOOL_ERROR",
    "INTERNAL_ERROR",
}
OPENAI_ERROR_KEYS = {"message", "type", "param", "code"}
_MCOS_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def _crispy(response: httpx.Response, body: Any, code: str | None) -> dict[str, Any]:
    assert code is None, "Crispy's envelope has no code"
    assert isinstance(body, dict) and {"error", "requestId"} <= set(body) <= {"error", "requestId", "details"}, body
    assert isinstance(body["error"], str) and body["error"]
    assert body["requestId"] == response.headers["x-request-id"]
    if "details" in body:
        assert set(body["details"]) == {"issues"} and body["details"]["issues"]
    return body


def _mcos(response: httpx.Response, body: Any, code: str | None) -> dict[str, Any]:
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    assert set(error) == MCOS_ERROR_KEYS
    assert error["code"] in MCOS_CODES and (code is None or error["code"] == code), error
    assert isinstance(error["details"], dict)
    assert error["correlation_id"] == response.headers["x-correlation-id"]
    assert _MCOS_TIMESTAMP.fullmatch(error["timestamp"])
    datetime.fromisoformat(error["timestamp"].replace("Z", "+00:00"))
    return error


def _chittyos(response: httpx.Response, body: Any, code: str | None) -> dict[str, Any]:
    assert code is None, "ChittyOS's envelope has no code"
    assert isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"], body
    assert body.get("valid", False) is False
    assert all(isinstance(value, str) for key, value in body.items() if key != "valid"), body
    return body


def _openai(response: httpx.Response, body: Any, code: str | None) -> dict[str, Any]:
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    assert set(error) == OPENAI_ERROR_KEYS
    assert isinstance(error["message"], str) and isinstance(error["type"], str)
    assert code is None or error["code"] == code, error
    return error


_ENVELOPES: dict[str, Callable[[httpx.Response, Any, str | None], dict[str, Any]]] = {
    "crispy": _crispy,
    "mcos": _mcos,
    "chittyos": _chittyos,
    "openai": _openai,
}


def assert_error(response: httpx.Response, envelope: str, status: int, code: str | None = None) -> dict[str, Any]:
    """`response` answers `status` with a JSON error in `envelope`'s documented shape."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].partition(";")[0] == "application/json", response.headers
    return _ENVELOPES[envelope](response, response.json(), code)
