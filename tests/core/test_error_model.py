"""ChorusError → google.rpc.Status → the bridge's ErrorView → each envelope."""

from __future__ import annotations

import grpc
import orjson

from rest_bridge.dialects.crispy import CrispyDialect
from rest_bridge.errors import ErrorView, _apply_details, http_status_for
from server.errors import ChorusError, FieldViolation, invalid_argument, not_found


def _view(error: ChorusError, request_id: str) -> ErrorView:
    view = ErrorView(grpc.StatusCode.UNKNOWN, "", "")
    _apply_details(view, error.to_status(request_id))
    return view


def test_status_carries_one_error_info_and_the_details() -> None:
    error = invalid_argument("Validation error", [FieldViolation("messages.2.role", "Required")])
    status = error.to_status("rid-1")
    kinds = [d.type_url.rsplit("/", 1)[1] for d in status.details]
    assert kinds == ["google.rpc.ErrorInfo", "google.rpc.BadRequest", "google.rpc.RequestInfo"]
    view = _view(error, "rid-1")
    assert view.code == grpc.StatusCode.INVALID_ARGUMENT
    assert (view.reason, view.message, view.request_id) == ("VALIDATION_ERROR", "Validation error", "rid-1")
    assert view.violations == [("messages.2.role", "Required")]


def test_retry_info_round_trips() -> None:
    error = ChorusError(grpc.StatusCode.RESOURCE_EXHAUSTED, "RATE_LIMITED", "Rate limit exceeded", retry_after=42.0)
    view = _view(error, "r")
    assert view.retry_after == 42.0
    assert CrispyDialect().http_status(view) == 429


def test_crispy_envelope() -> None:
    dialect = CrispyDialect()
    view = _view(invalid_argument("Validation error", [FieldViolation("messages.2.role", "Bad")]), "rid")
    assert orjson.loads(orjson.dumps(dialect.error_body(view))) == {
        "error": "Validation error",
        "requestId": "rid",
        "details": {"issues": [{"path": ["messages", 2, "role"], "message": "Bad"}]},
    }
    plain = _view(not_found("Session not found"), "rid2")
    assert dialect.error_body(plain) == {"error": "Session not found", "requestId": "rid2"}
    assert dialect.http_status(plain) == 404


def test_status_table_matches_the_architecture() -> None:
    table = {
        "INVALID_ARGUMENT": 400,
        "FAILED_PRECONDITION": 400,
        "OUT_OF_RANGE": 400,
        "UNAUTHENTICATED": 401,
        "PERMISSION_DENIED": 403,
        "NOT_FOUND": 404,
        "ALREADY_EXISTS": 409,
        "ABORTED": 409,
        "RESOURCE_EXHAUSTED": 429,
        "CANCELLED": 499,
        "UNIMPLEMENTED": 501,
        "UNAVAILABLE": 503,
        "DEADLINE_EXCEEDED": 504,
        "INTERNAL": 500,
        "UNKNOWN": 500,
        "DATA_LOSS": 500,
    }
    for name, status in table.items():
        assert http_status_for(grpc.StatusCode[name]) == status, name
