"""Surface dialects: each surface's error envelope and SSE error event."""

from __future__ import annotations

from rest_bridge.dialects.base import Dialect
from rest_bridge.dialects.crispy import CrispyDialect

DIALECTS: dict[str, Dialect] = {d.name: d for d in (CrispyDialect(),)}


def dialect_for(surface: str) -> Dialect:
    try:
        return DIALECTS[surface]
    except KeyError:
        raise LookupError(f"no dialect for surface {surface!r}") from None


__all__ = ["DIALECTS", "Dialect", "dialect_for"]
