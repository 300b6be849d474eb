"""Surface dialects: each surface's error envelope and SSE error event."""

from __future__ import annotations

from rest_bridge.dialects.base import Dialect
from rest_bridge.dialects.chittyos import ChittyOSDialect
from rest_bridge.dialects.crispy import CrispyDialect
from rest_bridge.dialects.mcos import McosDialect
from rest_bridge.dialects.openai import OpenAIDialect

_chittyos = ChittyOSDialect()

# Surface name (the `chorus.api.v1.service` option) -> its dialect. ChittyOS's
# AI gateway speaks OpenAI's error shape, because OpenAI clients parse it.
DIALECTS: dict[str, Dialect] = {
    "crispy": CrispyDialect(),
    "chittyos-id": _chittyos,
    "chittyos-auth": _chittyos,
    "chittyos-sync": _chittyos,
    "chittyos-mcp": _chittyos,
    "chittyos-ai": OpenAIDialect(),
    "mcos": McosDialect(),
}


def dialect_for(surface: str) -> Dialect:
    try:
        return DIALECTS[surface]
    except KeyError:
        raise LookupError(f"no dialect for surface {surface!r}") from None


__all__ = ["DIALECTS", "Dialect", "dialect_for"]
