"""The ChittyOS AI gateway (spec 000), declared: OpenAI-compatible, on ai.* hosts."""

from __future__ import annotations

from server.platform.surface import DefaultMount, Surface
from server.surfaces.chittyos.dialect import OPENAI_DIALECT
from server.surfaces.chittyos.settings import SETTINGS

SURFACE = Surface(
    name="chittyos-ai",
    dialect=OPENAI_DIALECT,
    wiring="server.surfaces.chittyos.ai.wiring",
    settings=SETTINGS,
    mounts=(DefaultMount(hosts=("ai.*",)),),
)
