"""Crispy Enigma (spec 004), declared: the multi-tenant chat API on any host."""

from __future__ import annotations

from server.platform.surface import Surface
from server.surfaces.crispy.dialect import CrispyDialect
from server.surfaces.crispy.settings import SETTINGS

SURFACE = Surface(name="crispy", dialect=CrispyDialect(), wiring="server.surfaces.crispy.wiring", settings=SETTINGS)
