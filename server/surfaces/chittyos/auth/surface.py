"""The ChittyOS auth service (spec 000), declared: on auth.* hosts."""

from __future__ import annotations

from server.platform.surface import DefaultMount, Surface
from server.surfaces.chittyos.dialect import CHITTYOS_DIALECT
from server.surfaces.chittyos.settings import SETTINGS

SURFACE = Surface(
    name="chittyos-auth",
    dialect=CHITTYOS_DIALECT,
    wiring="server.surfaces.chittyos.auth.wiring",
    settings=SETTINGS,
    mounts=(DefaultMount(hosts=("auth.*",)),),
)
