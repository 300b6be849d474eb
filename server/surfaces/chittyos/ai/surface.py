"""The ChittyOS AI gateway (spec 000), declared: OpenAI-compatible, on ai.* hosts."""

from __future__ import annotations

from server.platform.surface import DefaultMount, Platform, ServiceUnit, Surface
from server.surfaces.chittyos.dialect import OPENAI_DIALECT
from server.surfaces.chittyos.settings import SETTINGS


async def _build(platform: Platform) -> list[ServiceUnit]:
    from server.surfaces.chittyos.ai.wiring import build  # needs the generated code (see Surface)

    return await build(platform)


SURFACE = Surface(
    name="chittyos-ai",
    dialect=OPENAI_DIALECT,
    build=_build,
    settings=SETTINGS,
    mounts=(DefaultMount(hosts=("ai.*",)),),
)
