"""OpenAI's error shape, for OpenAI-compatible routes (ChittyOS's AI gateway).

`{"error": {"message", "type", "param", "code"}}`, as api.openai.com writes
it: OpenAI clients (the official SDKs among them) read `message` and `code`
from it and pick their exception class by HTTP status.

- `param` is OpenAI's path form, "messages[0].content": the ErrorInfo
  metadata's `param`, else the first field violation's dotted path converted.
- `code` is the ErrorInfo metadata's `code` ("" means null), else OpenAI's
  name for the reason (`model_not_found`, `rate_limit_exceeded`, ...), else
  the reason in lower case.
- `type` follows the status: "invalid_request_error" for 4xx (OpenAI uses it
  for 404 too), "permission_error" for 403, "requests" for 429 and
  "server_error" for 5xx.
- Upstream model failures (reasons `UPSTREAM_*`) are 502, except a request
  the upstream rejected, which stays 400.

The bridge's own errors read like OpenAI's: an unknown body key is
"Unknown parameter: 'x'." (`unknown_parameter`), a wrong JSON type
`invalid_type`, malformed JSON a 400 with null `param` and `code`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import grpc

from rest_bridge.dialects.base import Dialect, JsonSchema, is_index
from rest_bridge.errors import ErrorView

# ErrorInfo reasons -> OpenAI's `code` where OpenAI has a name for it.
_CODES = {
    "UNAUTHENTICATED": "invalid_api_key",
    "UNAUTHORIZED": "invalid_api_key",
    "INVALID_TOKEN": "invalid_api_key",
    "RATE_LIMITED": "rate_limit_exceeded",
    "MODEL_NOT_FOUND": "model_not_found",
}


_ERROR_SCHEMA: JsonSchema = {
    "type": "object",
    "description": "OpenAI's error envelope.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "message": {"type": "string", "description": "What went wrong, for people."},
                "type": {
                    "type": "string",
                    "enum": ["invalid_request_error", "permission_error", "requests", "server_error"],
                },
                "param": {
                    "type": ["string", "null"],
                    "description": 'The request field at fault, e.g. "messages[0].content".',
                },
                "code": {"type": ["string", "null"], "description": 'A stable code, e.g. "model_not_found".'},
            },
            "required": ["message", "type", "param", "code"],
        }
    },
    "required": ["error"],
}


def openai_param(path: str) -> str:
    """Chorus's dotted field path -> OpenAI's: "messages.0.content" -> "messages[0].content"."""
    out = ""
    for segment in path.split(".") if path else ():
        if is_index(segment) and out:
            out += f"[{segment}]"
        else:
            out += f".{segment}" if out else segment
    return out


def _error_type(status: int) -> str:
    if status >= 500:
        return "server_error"
    if status == 429:
        return "requests"
    if status == 403:
        return "permission_error"
    return "invalid_request_error"


def _describe_issue(param: str, text: str) -> tuple[str, str]:
    """(OpenAI code, message) for one of the JSON codec's field issues."""
    if text.startswith("Malformed JSON"):
        return "", f"We could not parse the JSON body of your request. ({text})"
    if text.startswith("Unrecognized key"):
        return "unknown_parameter", f"Unknown parameter: '{param}'."
    where = f"'{param}'" if param else "the request body"
    if text.startswith("Expected "):
        return "invalid_type", f"Invalid type for {where}: {text[0].lower()}{text[1:]}."
    return "invalid_value", f"Invalid value for {where}: {text}."


class OpenAIDialect(Dialect):
    error_schema_name: ClassVar[str] = "OpenAIError"
    error_schema: ClassVar[JsonSchema] = _ERROR_SCHEMA
    stream_errors_as_body: ClassVar[bool] = True
    # OpenAI's clients send their key as `Authorization: Bearer`.
    security_schemes: ClassVar[dict[str, JsonSchema]] = {
        "apiKey": {"type": "http", "scheme": "bearer", "description": "An API key, as OpenAI clients send theirs."}
    }
    status_by_reason = {
        "UPSTREAM_UNAVAILABLE": 502,
        "UPSTREAM_TIMEOUT": 502,
        "UPSTREAM_BAD_RESPONSE": 502,
    }

    def error_body(self, error: ErrorView) -> dict[str, Any]:
        info = error.info
        param = info.get("param") or (openai_param(error.violations[0][0]) if error.violations else "")
        message = error.message
        if error.violations and "code" not in info:
            message = "; ".join(f"{openai_param(p)}: {t}" if p else t for p, t in error.violations)
        code = info["code"] if "code" in info else _CODES.get(error.reason, error.reason.lower())
        return {
            "error": {
                "message": message,
                "type": _error_type(self.http_status(error)),
                "param": param or None,
                "code": code or None,
            }
        }

    # --- the bridge's own errors ---

    def not_found(self) -> ErrorView:
        return ErrorView(
            grpc.StatusCode.NOT_FOUND,
            "NOT_FOUND",
            "Invalid URL: no such route on this API",
            info={"code": "unknown_url"},
        )

    def method_not_allowed(self, allowed: list[str]) -> ErrorView:
        return ErrorView(
            grpc.StatusCode.UNIMPLEMENTED,
            "METHOD_NOT_ALLOWED",
            f"Method not allowed; this route accepts {', '.join(allowed)}",
            info={"code": "method_not_allowed"},
            http_status=405,
        )

    def bad_request(self, violations: list[tuple[str, str]]) -> ErrorView:
        path, text = violations[0]
        param = openai_param(path)
        code, message = _describe_issue(param, text)
        if len(violations) > 1:
            message += f" ({len(violations) - 1} more problem(s) in this request.)"
        return ErrorView(
            grpc.StatusCode.INVALID_ARGUMENT,
            "VALIDATION_ERROR",
            message,
            violations=violations,
            info={"param": param, "code": code},
        )
