"""The ChittyOS ID authority (spec 000), declared: on id.* hosts."""

from __future__ import annotations

from server.platform.surface import DefaultMount, Surface
from server.surfaces.chittyos.dialect import CHITTYOS_DIALECT
from server.surfaces.chittyos.settings import SETTINGS

SURFACE = Surface(
    name="chittyos-id",
    dialect=CHITTYOS_DIALECT,
    wiring="server.surfaces.chittyos.id.wiring",
    settings=SETTINGS,
    mounts=(DefaultMount(hosts=("id.*",)),),
)
