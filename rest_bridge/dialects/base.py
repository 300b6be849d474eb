"""The dialect interface and the bridge's own error messages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

import grpc
from google.protobuf import duration_pb2

from rest_bridge.errors import ErrorView, http_status_for

_DETAIL_TYPE = "type.googleapis.com/google.rpc."


_INDEX_RE = re.compile(r"0|[1-9][0-9]{0,17}")


def is_index(segment: str) -> bool:
    """An array index as the codec writes one: ASCII digits in 64-bit range.

    str.isdigit() also accepts "³" (int() refuses it), and a key of 20 digits
    would become an integer JSON encoders refuse: both stay keys.
    """
    return _INDEX_RE.fullmatch(segment) is not None


def split_path(path: str) -> list[str | int]:
    """ "messages.2.role" -> ["messages", 2, "role"] (Zod-style issue paths)."""
    if not path:
        return []
    return [int(p) if is_index(p) else p for p in path.split(".")]


def status_details(error: ErrorView) -> list[dict[str, Any]]:
    """The view's ErrorInfo, BadRequest, RetryInfo and RequestInfo as JSON `Any` messages."""
    details: list[dict[str, Any]] = []
    if error.reason:
        info: dict[str, Any] = {"@type": _DETAIL_TYPE + "ErrorInfo", "reason": error.reason}
        if error.domain:
            info["domain"] = error.domain
        if error.info:
            info["metadata"] = dict(error.info)
        details.append(info)
    if error.violations:
        violations = [{"field": f, "description": d} for f, d in error.violations]
        details.append({"@type": _DETAIL_TYPE + "BadRequest", "fieldViolations": violations})
    if error.retry_after is not None:
        delay = duration_pb2.Duration()
        delay.FromNanoseconds(round(error.retry_after * 1e9))
        details.append({"@type": _DETAIL_TYPE + "RetryInfo", "retryDelay": delay.ToJsonString()})
    if error.request_id:
        details.append({"@type": _DETAIL_TYPE + "RequestInfo", "requestId": error.request_id})
    return details


# JSON Schemas (OpenAPI 3.1 / 2020-12) of what a dialect writes. Each dialect declares the
# schema of its own `error_body` and `stream_error_data` beside them; the OpenAPI generator
# (rest_bridge/codegen/openapi.py) documents exactly these, and tests check the bodies against them.
JsonSchema = dict[str, Any]

RPC_STATUS_SCHEMA: JsonSchema = {
    "type": "object",
    "description": "A google.rpc.Status in proto3 JSON.",
    "properties": {
        "code": {"type": "integer", "format": "int32", "description": "The gRPC status code."},
        "message": {"type": "string", "description": "What went wrong, for people."},
        "details": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"@type": {"type": "string"}},
                "required": ["@type"],
                "additionalProperties": True,
            },
        },
    },
    "required": ["code", "message", "details"],
}

MESSAGE_ONLY_SCHEMA: JsonSchema = {
    "type": "object",
    "properties": {"error": {"type": "string", "description": "The error message."}},
    "required": ["error"],
}

# Zod-style issues, as Crispy's and MCoS's documents list them.
ISSUES_SCHEMA: JsonSchema = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "path": {
                "type": "array",
                "description": "Where the problem is: object keys and array indexes.",
                "items": {"type": ["string", "integer"]},
            },
            "message": {"type": "string"},
        },
        "required": ["path", "message"],
    },
}


@dataclass(frozen=True, slots=True)
class RateLimitHeaders:
    """The names of the headers that report a rate limit (lower case)."""

    limit: str = "x-ratelimit-limit"
    remaining: str = "x-ratelimit-remaining"
    reset: str = "x-ratelimit-reset"
    # Also the seconds to wait on a refusal, beside `Retry-After`, where a document names
    # a header of its own for it (ChaozCode's `X-RateLimit-RetryAfter`); "" = none.
    retry_after: str = ""


DEFAULT_RATE_LIMIT_HEADERS = RateLimitHeaders()


class Dialect:
    """Defaults follow google.rpc.Status JSON; surfaces override what differs."""

    # Components name and JSON Schema of `error_body`'s result.
    error_schema_name: ClassVar[str] = "RpcStatus"
    error_schema: ClassVar[JsonSchema] = RPC_STATUS_SCHEMA
    # The `data` of a stream's error event (an error after the stream began): the same
    # body as an HTTP error's (True), or only `{"error": message}` (False).
    stream_errors_as_body: ClassVar[bool] = False
    # How the surface's clients send credentials: OpenAPI Security Scheme Objects by name, the
    # document's components.securitySchemes. Operations name them in their `security`.
    security_schemes: ClassVar[dict[str, JsonSchema]] = {}

    # ErrorInfo reasons whose HTTP status the document fixes.
    status_by_reason: dict[str, int] = {}
    # The header that carries the request's id both ways (read, or generated, and echoed).
    request_id_header = b"x-request-id"
    # The headers that report the caller's rate limits and quotas.
    rate_limit_headers: ClassVar[RateLimitHeaders] = DEFAULT_RATE_LIMIT_HEADERS
    # Unknown body keys and query parameters: dropped (Zod's default `strip`, for
    # surfaces whose source system validates with z.object()) or a 400 (strict).
    ignore_unknown_fields = False
    # Media types accepted for a request body besides JSON ones (application/json,
    # */*+json); b"" stands for a body sent without Content-Type.
    extra_body_types: frozenset[bytes] = frozenset()

    def http_status(self, error: ErrorView) -> int:
        if error.http_status:
            return error.http_status
        return self.status_by_reason.get(error.reason, http_status_for(error.code))

    def error_body(self, error: ErrorView) -> dict[str, Any]:
        """google.rpc.Status in proto3 JSON, its details as `Any`s (as grpc-gateway writes them)."""
        return {"code": error.code.value[0], "message": error.message, "details": status_details(error)}

    @property
    def stream_error_schema(self) -> JsonSchema:
        """The JSON Schema of `stream_error_data`'s result."""
        return self.error_schema if self.stream_errors_as_body else MESSAGE_ONLY_SCHEMA

    def stream_error_data(self, error: ErrorView) -> dict[str, Any]:
        return self.error_body(error) if self.stream_errors_as_body else {"error": error.message}

    # --- the bridge's own errors ---

    def not_found(self) -> ErrorView:
        return ErrorView(grpc.StatusCode.NOT_FOUND, "NOT_FOUND", "Not found")

    def method_not_allowed(self, allowed: list[str]) -> ErrorView:
        """`allowed` also goes out as the `Allow` header."""
        return ErrorView(grpc.StatusCode.UNIMPLEMENTED, "METHOD_NOT_ALLOWED", "Method not allowed", http_status=405)

    def payload_too_large(self, limit: int) -> ErrorView:
        return ErrorView(
            grpc.StatusCode.INVALID_ARGUMENT,
            "PAYLOAD_TOO_LARGE",
            f"Request body exceeds {limit} bytes",
            http_status=413,
        )

    def bad_request(self, violations: list[tuple[str, str]]) -> ErrorView:
        return ErrorView(
            grpc.StatusCode.INVALID_ARGUMENT, "VALIDATION_ERROR", "Validation error", violations=violations
        )

    def refused(self, status: int, reason: str, message: str) -> ErrorView:
        """The bridge's refusal of the HTTP request itself (headers, media type, load)."""
        return ErrorView(grpc.StatusCode.INVALID_ARGUMENT, reason, message, http_status=status)

    def internal(self) -> ErrorView:
        return ErrorView(grpc.StatusCode.INTERNAL, "INTERNAL", "Internal server error")

    def shutting_down(self) -> ErrorView:
        """The bridge's own shutdown, as the server's (server.platform.errors.shutting_down) reads."""
        return ErrorView(grpc.StatusCode.UNAVAILABLE, "SHUTTING_DOWN", "The server is shutting down", retry_after=1.0)
