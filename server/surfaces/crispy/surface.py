"""Crispy Enigma (spec 004), declared: the multi-tenant chat API on any host."""

from __future__ import annotations

from server.platform.surface import Platform, ServiceUnit, Surface
from server.surfaces.crispy.dialect import CrispyDialect
from server.surfaces.crispy.settings import SETTINGS


async def _build(platform: Platform) -> list[ServiceUnit]:
    from server.surfaces.crispy.wiring import build  # needs the generated code (see Surface)

    return await build(platform)


SURFACE = Surface(name="crispy", dialect=CrispyDialect(), build=_build, settings=SETTINGS)
