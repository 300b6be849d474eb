"""Micro Chief of Staff (spec 003), declared: its API under `/api/` on any host."""

from __future__ import annotations

from server.platform.surface import DefaultMount, Platform, ServiceUnit, Surface
from server.surfaces.mcos.dialect import McosDialect
from server.surfaces.mcos.settings import SETTINGS


async def _build(platform: Platform) -> list[ServiceUnit]:
    from server.surfaces.mcos.wiring import build  # needs the generated code (see Surface)

    return await build(platform)


SURFACE = Surface(
    name="mcos",
    dialect=McosDialect(),
    build=_build,
    settings=SETTINGS,
    mounts=(DefaultMount(paths=("/api/",), openapi_path="/api/openapi.json", docs_path="/api/docs"),),
)
