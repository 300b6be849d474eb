"""Crispy Enigma (spec 004): `{"error", "requestId", "details"?}`."""

from __future__ import annotations

from typing import Any

from rest_bridge.dialects.base import Dialect, split_path
from rest_bridge.errors import ErrorView


class CrispyDialect(Dialect):
    # The source system validates with Zod, whose z.object() strips unknown keys.
    ignore_unknown_fields = True

    def error_body(self, error: ErrorView) -> dict[str, Any]:
        body: dict[str, Any] = {"error": error.message, "requestId": error.request_id}
        if error.violations:
            body["details"] = {"issues": [{"path": split_path(f), "message": d} for f, d in error.violations]}
        return body

    def stream_error_data(self, error: ErrorView) -> dict[str, Any]:
        return {"error": error.message}
