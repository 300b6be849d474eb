"""Agent Chassis (spec 002): FastAPI's `{"detail": "..."}` with the document's status codes.

A 503 means a feature is disabled (Google sign-in or e-mail not configured);
the bridge's own findings (malformed JSON, a missing field) are 400, as the
document lists them, rather than FastAPI's 422.
"""

from __future__ import annotations

from typing import Any, ClassVar

import grpc

from rest_bridge.dialects.base import Dialect, JsonSchema
from rest_bridge.errors import ErrorView


class AgentChassisDialect(Dialect):
    error_schema_name: ClassVar[str] = "AgentChassisError"
    error_schema: ClassVar[JsonSchema] = {
        "type": "object",
        "description": "Agent Chassis's error body (spec 002).",
        "properties": {"detail": {"type": "string", "description": "What went wrong."}},
        "required": ["detail"],
    }
    stream_errors_as_body: ClassVar[bool] = True
    security_schemes: ClassVar[dict[str, JsonSchema]] = {
        "apiKey": {
            "type": "apiKey",
            "in": "header",
            "name": "X-API-Key",
            "description": "The configured API key (`agentchassis.api_key`, or CHASSIS_API_KEY).",
        },
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "An access token from `POST /api/v1/auth/login`.",
        },
    }

    def error_body(self, error: ErrorView) -> dict[str, Any]:
        message = error.message
        if error.violations and message in ("", "Validation error"):  # the bridge's own findings
            message = "; ".join(f"{field}: {text}" if field else text for field, text in error.violations)
        return {"detail": message}

    def stream_error_data(self, error: ErrorView) -> dict[str, Any]:
        return {"detail": self.error_body(error)["detail"]}

    def not_found(self) -> ErrorView:
        return ErrorView(grpc.StatusCode.NOT_FOUND, "NOT_FOUND", "Not Found")

    def method_not_allowed(self, allowed: list[str]) -> ErrorView:
        return ErrorView(grpc.StatusCode.UNIMPLEMENTED, "METHOD_NOT_ALLOWED", "Method Not Allowed", http_status=405)

    def internal(self) -> ErrorView:
        return ErrorView(grpc.StatusCode.INTERNAL, "INTERNAL", "Internal Server Error")
