"""ChaozCode (spec 001): `{"error": {"code", "message", "details", "requestId"}}`.

`code` is always one of the document's nine codes, with its HTTP status: the
ErrorInfo reason where it is one, else the code of the HTTP status. A missing
or malformed field the bridge finds is 400 `INVALID_REQUEST` with
`details: {"field", "reason"}` as in the document's example; a value out of
range (the servicers') is 422 `VALIDATION_ERROR`, named the same way.
"""

from __future__ import annotations

from typing import Any, ClassVar

import grpc

from rest_bridge.dialects.base import Dialect, JsonSchema, RateLimitHeaders
from rest_bridge.errors import ErrorView, http_status_for

INVALID_REQUEST = "INVALID_REQUEST"
_STATUS_BY_CODE = {
    INVALID_REQUEST: 400,
    "UNAUTHORIZED": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "CONFLICT": 409,
    "VALIDATION_ERROR": 422,
    "RATE_LIMITED": 429,
    "INTERNAL_ERROR": 500,
    "SERVICE_UNAVAILABLE": 503,
}
_CODE_BY_STATUS = {status: code for code, status in _STATUS_BY_CODE.items()}
# Bridge issues (Zod-like messages) as the document's `details.reason`.
_REQUIRED = "Required"
_UNKNOWN_KEY = "Unrecognized key"

_ERROR_OBJECT_SCHEMA: JsonSchema = {
    "type": "object",
    "properties": {
        "code": {"type": "string", "enum": list(_STATUS_BY_CODE), "description": "One of the document's codes."},
        "message": {"type": "string", "description": "What went wrong, for people."},
        "details": {
            "type": "object",
            "description": "The field at fault and why (`field`, `reason`), the seconds to wait "
            "(`retryAfter`), and other facts about the error.",
            "properties": {
                "field": {"type": "string"},
                "reason": {"type": "string"},
                "retryAfter": {"type": "integer", "minimum": 1},
            },
            "additionalProperties": {"type": "string"},
        },
        "requestId": {"type": "string", "description": "The request's id (also the `X-Request-Id` header)."},
    },
    "required": ["code", "message", "details", "requestId"],
}


def _reason_of(field: str, description: str) -> str:
    if not field:
        return "malformed_body"
    if description == _REQUIRED:
        return "required"
    if description.startswith(_UNKNOWN_KEY):
        return "unknown_field"
    return "invalid"


class ChaozCodeDialect(Dialect):
    error_schema_name: ClassVar[str] = "ChaozCodeError"
    error_schema: ClassVar[JsonSchema] = {
        "type": "object",
        "description": "ChaozCode's error envelope (spec 001).",
        "properties": {"error": _ERROR_OBJECT_SCHEMA},
        "required": ["error"],
    }
    stream_errors_as_body: ClassVar[bool] = True
    rate_limit_headers: ClassVar[RateLimitHeaders] = RateLimitHeaders(retry_after="x-ratelimit-retryafter")
    security_schemes: ClassVar[dict[str, JsonSchema]] = {
        "bearerAuth": {
            "type": "http",
            "scheme": "bearer",
            "description": "A ChaozCode API key (`cc_live_…` or `cc_test_…`): "
            "`chorus chaozcode users add` prints the first, `POST /v2/user/api-keys` issues more.",
        }
    }

    def http_status(self, error: ErrorView) -> int:
        if error.http_status:
            return error.http_status
        return _STATUS_BY_CODE.get(error.reason) or http_status_for(error.code)

    def code(self, error: ErrorView) -> str:
        if error.reason in _STATUS_BY_CODE:
            return error.reason
        status = self.http_status(error)
        if status in _CODE_BY_STATUS:
            return _CODE_BY_STATUS[status]
        if status == 422:
            return "VALIDATION_ERROR"
        return INVALID_REQUEST if 400 <= status < 500 else "INTERNAL_ERROR"

    def error_body(self, error: ErrorView) -> dict[str, Any]:
        details: dict[str, Any] = dict(sorted(error.info.items()))
        if error.violations:
            field, reason = error.violations[0]
            if field:
                details["field"] = field
            details["reason"] = reason
        if error.retry_after is not None:
            details["retryAfter"] = max(1, round(error.retry_after))
        return {
            "error": {
                "code": self.code(error),
                "message": error.message,
                "details": details,
                "requestId": error.request_id,
            }
        }

    def not_found(self) -> ErrorView:
        return ErrorView(grpc.StatusCode.NOT_FOUND, "NOT_FOUND", "No such endpoint; see the API reference under /v2")

    def method_not_allowed(self, allowed: list[str]) -> ErrorView:
        return ErrorView(
            grpc.StatusCode.INVALID_ARGUMENT,
            INVALID_REQUEST,
            f"Method not allowed; this endpoint accepts {', '.join(allowed)}",
            http_status=405,
        )

    def payload_too_large(self, limit: int) -> ErrorView:
        view = super().payload_too_large(limit)
        view.reason = INVALID_REQUEST
        return view

    def bad_request(self, violations: list[tuple[str, str]]) -> ErrorView:
        """The bridge's own findings: a body that is not JSON, a wrong type, a missing field."""
        named = [(field, _reason_of(field, description)) for field, description in violations]
        if not named:
            message = "Malformed request"
        elif named[0][1] == "required":
            message = f"The request body is missing required field '{named[0][0]}'"
        elif not named[0][0]:
            message = f"Malformed request body: {violations[0][1]}"
        else:
            message = f"Malformed request: '{named[0][0]}': {violations[0][1]}"
        return ErrorView(grpc.StatusCode.INVALID_ARGUMENT, INVALID_REQUEST, message, violations=named)

    def internal(self) -> ErrorView:
        return ErrorView(grpc.StatusCode.INTERNAL, "INTERNAL_ERROR", "Internal server error (retry safe)")
