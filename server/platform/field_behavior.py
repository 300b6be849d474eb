"""`google.api.field_behavior` read from the contracts, instead of lists kept by hand."""

from __future__ import annotations

from typing import Any

from google.api import field_behavior_pb2

__all__ = ["output_only_fields"]


def _behaviors(field: Any) -> Any:
    options: Any = field.GetOptions()
    return options.Extensions[field_behavior_pb2.field_behavior]


def output_only_fields(descriptor: Any) -> frozenset[str]:
    """Names of a message's OUTPUT_ONLY fields: a client may send a resource back whole,
    so an update ignores these (AIP-203)."""
    return frozenset(f.name for f in descriptor.fields if field_behavior_pb2.OUTPUT_ONLY in _behaviors(f))
