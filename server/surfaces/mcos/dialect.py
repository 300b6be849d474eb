"""Micro Chief of Staff (spec 003): the standard error envelope.

    {"error": {"code", "message", "details", "correlation_id", "timestamp"}}

`code` is always one of the document's eight codes: the ErrorInfo reason
when it is one, else the code for the HTTP status (a 405 or 413 is a
VALIDATION_ERROR, anything unexpected an INTERNAL_ERROR). `details` holds
Zod-style field issues (the document's validation is Zod) and the
ErrorInfo metadata. The correlation id travels in `X-Correlation-ID`.

Idempotency conflicts are VALIDATION_ERRORs too, told apart by gRPC code:
ABORTED (the first request is still running) is 409, FAILED_PRECONDITION
(the key was used with another body) is 422.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

import grpc

from rest_bridge.dialects.base import ISSUES_SCHEMA, Dialect, JsonSchema, split_path
from rest_bridge.errors import ErrorView, http_status_for

_STATUS_BY_CODE = {
    "UNAUTHORIZED": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "VALIDATION_ERROR": 400,
    "RATE_LIMIT_EXCEEDED": 429,
    "LLM_ERROR": 500,
    "TOOL_ERROR": 500,
    "INTERNAL_ERROR": 500,
}
_CODE_BY_STATUS = {401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND", 429: "RATE_LIMIT_EXCEEDED"}
_VALIDATION_STATUS_BY_GRPC = {grpc.StatusCode.ABORTED: 409, grpc.StatusCode.FAILED_PRECONDITION: 422}


_ERROR_OBJECT_SCHEMA: JsonSchema = {
    "type": "object",
    "properties": {
        "code": {"type": "string", "enum": list(_STATUS_BY_CODE), "description": "One of the document's codes."},
        "message": {"type": "string", "description": "What went wrong, for people."},
        "details": {
            "type": "object",
            "description": "Field issues, the retry delay and the error's metadata (strings).",
            "properties": {
                "issues": ISSUES_SCHEMA,
                "retry_after_seconds": {"type": "integer", "minimum": 1},
            },
            "additionalProperties": {"type": "string"},
        },
        "correlation_id": {"type": "string", "description": "The request's `X-Correlation-ID`."},
        "timestamp": {"type": "string", "format": "date-time"},
    },
    "required": ["code", "message", "details", "correlation_id", "timestamp"],
}
_ERROR_SCHEMA: JsonSchema = {
    "type": "object",
    "description": "Micro Chief of Staff's standard error envelope (spec 003).",
    "properties": {"error": _ERROR_OBJECT_SCHEMA},
    "required": ["error"],
}


def _now() -> str:
    # JavaScript's toISOString(), as the document's helper writes it.
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class McosDialect(Dialect):
    error_schema_name: ClassVar[str] = "McosError"
    error_schema: ClassVar[JsonSchema] = _ERROR_SCHEMA
    stream_errors_as_body: ClassVar[bool] = True
    request_id_header = b"x-correlation-id"
    security_schemes: ClassVar[dict[str, JsonSchema]] = {
        "cloudflareAccess": {
            "type": "apiKey",
            "in": "header",
            "name": "CF-Access-JWT-Assertion",
            "description": "Cloudflare Access's signed JWT (spec 003): its `sub` and `email` claims name the user.",
        }
    }
    # The source system validates with Zod, whose z.object() strips unknown keys.
    ignore_unknown_fields = True
    # The document's assistant-ui snippet posts JSON.stringify(...) with no
    # headers, which fetch() sends as text/plain.
    extra_body_types = frozenset({b"text/plain", b""})

    def http_status(self, error: ErrorView) -> int:
        if error.http_status:
            return error.http_status
        if error.reason == "VALIDATION_ERROR":
            return _VALIDATION_STATUS_BY_GRPC.get(error.code, 400)
        return _STATUS_BY_CODE.get(error.reason) or http_status_for(error.code)

    def code(self, error: ErrorView) -> str:
        if error.reason in _STATUS_BY_CODE:
            return error.reason
        status = self.http_status(error)
        if status in _CODE_BY_STATUS:
            return _CODE_BY_STATUS[status]
        return "VALIDATION_ERROR" if 400 <= status < 500 else "INTERNAL_ERROR"

    def error_body(self, error: ErrorView) -> dict[str, Any]:
        details: dict[str, Any] = dict(sorted(error.info.items()))
        if error.violations:
            details["issues"] = [{"path": split_path(f), "message": d} for f, d in error.violations]
        if error.retry_after is not None:
            details["retry_after_seconds"] = max(1, round(error.retry_after))
        return {
            "error": {
                "code": self.code(error),
                "message": error.message,
                "details": details,
                "correlation_id": error.request_id,
                "timestamp": _now(),
            }
        }

    def not_found(self) -> ErrorView:
        return ErrorView(grpc.StatusCode.NOT_FOUND, "NOT_FOUND", "No such endpoint; see the API reference under /api/")

    def method_not_allowed(self, allowed: list[str]) -> ErrorView:
        return ErrorView(
            grpc.StatusCode.INVALID_ARGUMENT,
            "VALIDATION_ERROR",
            f"Method not allowed; this endpoint accepts {', '.join(allowed)}",
            info={"allowed_methods": ", ".join(allowed)},
            http_status=405,
        )

    def payload_too_large(self, limit: int) -> ErrorView:
        view = super().payload_too_large(limit)
        view.reason = "VALIDATION_ERROR"
        return view

    def bad_request(self, violations: list[tuple[str, str]]) -> ErrorView:
        return ErrorView(
            grpc.StatusCode.INVALID_ARGUMENT, "VALIDATION_ERROR", "Invalid request payload", violations=violations
        )

    def internal(self) -> ErrorView:
        return ErrorView(grpc.StatusCode.INTERNAL, "INTERNAL_ERROR", "Internal server error")
