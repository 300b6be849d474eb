"""Whose data a call reads and writes: every store query is narrowed by it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Scope:
    """A tenant, optionally narrowed to one principal ('' = tenant-wide)."""

    tenant_id: str
    owner_id: str = ""
