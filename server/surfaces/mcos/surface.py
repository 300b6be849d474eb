"""Micro Chief of Staff (spec 003), declared: its API under `/api/` on any host."""

from __future__ import annotations

from server.platform.surface import DefaultMount, Surface
from server.surfaces.mcos.dialect import McosDialect
from server.surfaces.mcos.settings import SETTINGS

SURFACE = Surface(
    name="mcos",
    dialect=McosDialect(),
    wiring="server.surfaces.mcos.wiring",
    settings=SETTINGS,
    mounts=(DefaultMount(paths=("/api/",), openapi_path="/api/openapi.json", docs_path="/api/docs"),),
)
