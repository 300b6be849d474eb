"""Agent Chassis (spec 002), declared: its API under `/api/v1` on any host.

`/api/v1/` is a longer owned prefix than MCoS's `/api/`, so it wins there.
"""

from __future__ import annotations

from server.platform.surface import DefaultMount, Surface
from server.surfaces.agentchassis.dialect import AgentChassisDialect
from server.surfaces.agentchassis.settings import SETTINGS

PREFIX = "/api/v1"

SURFACE = Surface(
    name="agentchassis",
    dialect=AgentChassisDialect(),
    wiring="server.surfaces.agentchassis.wiring",
    settings=SETTINGS,
    mounts=(DefaultMount(prefix=PREFIX, paths=(f"{PREFIX}/",)),),
)
