"""ChittyOS (spec 000): `{"error": <title>, "message"?: <detail>, ...}`.

The document's error bodies are a short title under `error`, then fields
that vary by error: `message`, `service`, `note`, `chittyId`. Servicers
put those in the ErrorInfo metadata, which this dialect writes after
`error`, in order. Token failures answer `{"valid": false, "error": ...}`.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, ClassVar

import grpc

from rest_bridge.dialects.base import Dialect, JsonSchema
from rest_bridge.dialects.openai import OpenAIDialect
from rest_bridge.errors import ErrorView

# Reasons whose body opens with `"valid": false` (auth's verify, and every
# other route that checks a token: one answer for one failure).
_TOKEN_REASONS = frozenset({"INVALID_TOKEN"})


_ERROR_SCHEMA: JsonSchema = {
    "type": "object",
    "description": "ChittyOS's error body (spec 000): a short title, then fields that vary by error.",
    "properties": {
        "valid": {"const": False, "description": "Present, and false, when a token was refused."},
        "error": {"type": "string", "description": "A short title of the error."},
        "message": {"type": "string", "description": "What went wrong, in detail."},
    },
    "required": ["error"],
    # `service`, `note`, `chittyId`, ...: the ErrorInfo metadata, all strings.
    "additionalProperties": {"type": "string"},
}


class ChittyOSDialect(Dialect):
    error_schema_name: ClassVar[str] = "ChittyOSError"
    error_schema: ClassVar[JsonSchema] = _ERROR_SCHEMA
    stream_errors_as_body: ClassVar[bool] = True
    # Spec 000: `Authorization: Bearer` carries an API key or an access token alike.
    security_schemes: ClassVar[dict[str, JsonSchema]] = {
        "apiKey": {
            "type": "http",
            "scheme": "bearer",
            "description": "A ChittyOS API key (`chorus api-keys create --tenant chittyos`).",
        },
        "accessToken": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "An access token from the auth service's `POST /api/auth/token`.",
        },
        "adminKey": {
            "type": "http",
            "scheme": "bearer",
            "description": "The auth service's admin credential (`chittyos.auth.admin_key`).",
        },
    }
    status_by_reason = {"UPSTREAM_UNAVAILABLE": 502, "METHOD_NOT_ALLOWED": 405}

    def error_body(self, error: ErrorView) -> dict[str, Any]:
        body: dict[str, Any] = {"valid": False} if error.reason in _TOKEN_REASONS else {}
        body["error"] = error.message
        # The document puts `message` right after `error`; ErrorInfo metadata
        # is a map with no order of its own.
        if "message" in error.info:
            body["message"] = error.info["message"]
        elif error.violations:
            body["message"] = "; ".join(f"{path}: {text}" if path else text for path, text in error.violations)
        body.update(sorted(error.info.items()))
        return body

    def not_found(self) -> ErrorView:
        return ErrorView(
            grpc.StatusCode.NOT_FOUND,
            "NOT_FOUND",
            "Not found",
            info={"message": "No such route on this service; see GET /health"},
        )

    def method_not_allowed(self, allowed: list[str]) -> ErrorView:
        return ErrorView(
            grpc.StatusCode.UNIMPLEMENTED,
            "METHOD_NOT_ALLOWED",
            "Method not allowed",
            info={"message": f"Allowed methods: {', '.join(allowed)}"},
            http_status=405,
        )

    def payload_too_large(self, limit: int) -> ErrorView:
        view = super().payload_too_large(limit)
        view.info = {"message": view.message}
        view.message = "Payload too large"
        return view

    def refused(self, status: int, reason: str, message: str) -> ErrorView:
        view = super().refused(status, reason, message)
        view.info = {"message": message}
        view.message = HTTPStatus(status).phrase
        return view

    def bad_request(self, violations: list[tuple[str, str]]) -> ErrorView:
        return ErrorView(grpc.StatusCode.INVALID_ARGUMENT, "VALIDATION_ERROR", "Invalid request", violations=violations)


# One instance for the deployment's services that write ChittyOS's own errors.
CHITTYOS_DIALECT = ChittyOSDialect()
# The AI gateway speaks OpenAI's error shape, because OpenAI clients parse it.
OPENAI_DIALECT = OpenAIDialect()
