"""OpenAI's error shape, for OpenAI-compatible routes (ChittyOS's AI gateway).

`{"error": {"message", "type", "param", "code"}}`, as api.openai.com writes
it: OpenAI clients (the official SDKs among them) read `message` and `code`
from it and pick their exception class by HTTP status.
"""

from __future__ import annotations

from typing import Any

from rest_bridge.dialects.base import Dialect
from rest_bridge.errors import ErrorView

# ErrorInfo reasons -> OpenAI's `code` where OpenAI has a name for it.
_CODES = {
    "UNAUTHENTICATED": "invalid_api_key",
    "UNAUTHORIZED": "invalid_api_key",
    "INVALID_TOKEN": "invalid_api_key",
    "RATE_LIMITED": "rate_limit_exceeded",
    "MODEL_NOT_FOUND": "model_not_found",
}


def _error_type(status: int) -> str:
    if status >= 500:
        return "server_error"
    if status == 429:
        return "requests"
    if status == 403:
        return "permission_error"
    return "invalid_request_error"


class OpenAIDialect(Dialect):
    def error_body(self, error: ErrorView) -> dict[str, Any]:
        param = error.info.get("param") or (error.violations[0][0] if error.violations else None)
        message = error.message
        if error.violations:
            message = "; ".join(f"{path}: {text}" if path else text for path, text in error.violations)
        code = error.info.get("code") or _CODES.get(error.reason) or (error.reason.lower() or None)
        return {
            "error": {
                "message": message,
                "type": _error_type(self.http_status(error)),
                "param": param,
                "code": code,
            }
        }

    def stream_error_data(self, error: ErrorView) -> dict[str, Any]:
        return self.error_body(error)
