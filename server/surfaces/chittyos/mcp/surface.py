"""The ChittyOS MCP portal (spec 000), declared: on mcp.* and portal.* hosts."""

from __future__ import annotations

from server.platform.surface import DefaultMount, Platform, ServiceUnit, Surface
from server.surfaces.chittyos.dialect import CHITTYOS_DIALECT
from server.surfaces.chittyos.settings import SETTINGS


async def _build(platform: Platform) -> list[ServiceUnit]:
    from server.surfaces.chittyos.mcp.wiring import build  # needs the generated code (see Surface)

    return await build(platform)


SURFACE = Surface(
    name="chittyos-mcp",
    dialect=CHITTYOS_DIALECT,
    build=_build,
    settings=SETTINGS,
    mounts=(DefaultMount(hosts=("mcp.*", "portal.*")),),
)
