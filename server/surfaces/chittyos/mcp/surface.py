"""The ChittyOS MCP portal (spec 000), declared: on mcp.* and portal.* hosts."""

from __future__ import annotations

from server.platform.surface import DefaultMount, Surface
from server.surfaces.chittyos.dialect import CHITTYOS_DIALECT
from server.surfaces.chittyos.settings import SETTINGS

SURFACE = Surface(
    name="chittyos-mcp",
    dialect=CHITTYOS_DIALECT,
    wiring="server.surfaces.chittyos.mcp.wiring",
    settings=SETTINGS,
    mounts=(DefaultMount(hosts=("mcp.*", "portal.*")),),
)
