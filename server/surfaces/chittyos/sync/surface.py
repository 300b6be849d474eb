"""The ChittyOS sync hub (spec 000), declared: on sync.* hosts, and on its document's api.chitty.cc
(and api.localhost): not on every api.* host, where other documents live (api.chaozcode.com)."""

from __future__ import annotations

from server.platform.surface import DefaultMount, Surface
from server.surfaces.chittyos.dialect import CHITTYOS_DIALECT
from server.surfaces.chittyos.settings import SETTINGS

SURFACE = Surface(
    name="chittyos-sync",
    dialect=CHITTYOS_DIALECT,
    wiring="server.surfaces.chittyos.sync.wiring",
    settings=SETTINGS,
    mounts=(DefaultMount(hosts=("sync.*", "api.chitty.cc", "api.localhost")),),
)
