"""The ChittyOS sync hub (spec 000), declared: on sync.* and api.* hosts."""

from __future__ import annotations

from server.platform.surface import DefaultMount, Platform, ServiceUnit, Surface
from server.surfaces.chittyos.dialect import CHITTYOS_DIALECT
from server.surfaces.chittyos.settings import SETTINGS


async def _build(platform: Platform) -> list[ServiceUnit]:
    from server.surfaces.chittyos.sync.wiring import build  # needs the generated code (see Surface)

    return await build(platform)


SURFACE = Surface(
    name="chittyos-sync",
    dialect=CHITTYOS_DIALECT,
    build=_build,
    settings=SETTINGS,
    mounts=(DefaultMount(hosts=("sync.*", "api.*")),),
)
