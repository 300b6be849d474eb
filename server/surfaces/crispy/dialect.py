"""Crispy Enigma (spec 004): `{"error", "requestId", "details"?}`."""

from __future__ import annotations

from typing import Any, ClassVar

from rest_bridge.dialects.base import ISSUES_SCHEMA, Dialect, JsonSchema, split_path
from rest_bridge.errors import ErrorView


class CrispyDialect(Dialect):
    # The source system validates with Zod, whose z.object() strips unknown keys.
    ignore_unknown_fields = True
    error_schema_name: ClassVar[str] = "CrispyError"
    error_schema: ClassVar[JsonSchema] = {
        "type": "object",
        "description": "Crispy Enigma's error envelope (spec 004).",
        "properties": {
            "error": {"type": "string", "description": "What went wrong, for people."},
            "requestId": {"type": "string", "description": "The request's id (also the `x-request-id` header)."},
            "details": {
                "type": "object",
                "description": "Present on validation errors only.",
                "properties": {"issues": ISSUES_SCHEMA},
                "required": ["issues"],
            },
        },
        "required": ["error", "requestId"],
    }
    # Spec 004: a request names its tenant by `x-api-key`, `x-tenant-id` or a mapped Host.
    security_schemes: ClassVar[dict[str, JsonSchema]] = {
        "apiKey": {
            "type": "apiKey",
            "in": "header",
            "name": "x-api-key",
            "description": "An API key (`chorus api-keys create`); it names the tenant and the user.",
        },
        "tenantId": {
            "type": "apiKey",
            "in": "header",
            "name": "x-tenant-id",
            "description": "The tenant's id, without a key: accepted only for tenants that allow it "
            "(a Host mapped to the tenant does the same).",
        },
    }

    def error_body(self, error: ErrorView) -> dict[str, Any]:
        body: dict[str, Any] = {"error": error.message, "requestId": error.request_id}
        if error.violations:
            body["details"] = {"issues": [{"path": split_path(f), "message": d} for f, d in error.violations]}
        return body
