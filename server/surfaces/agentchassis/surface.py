"""Agent Chassis (spec 002), declared: its API under `/api/v1` on any host.

`/api/v1/` is a longer owned prefix than MCoS's `/api/`, so it wins there.
The document serves its Swagger UI at `http://localhost:8000/docs`, where
Crispy's is on every host: so on Agent Chassis's own hosts, the document's port
8000 on any name and `agentchassis.localhost` (curl and browsers send
`*.localhost` to loopback) on any port, `/docs` is Agent Chassis's.
"""

from __future__ import annotations

from server.platform.surface import DefaultMount, Surface
from server.surfaces.agentchassis.dialect import AgentChassisDialect
from server.surfaces.agentchassis.settings import SETTINGS

PREFIX = "/api/v1"
HOSTS = ("*:8000", "agentchassis.localhost")

SURFACE = Surface(
    name="agentchassis",
    dialect=AgentChassisDialect(),
    wiring="server.surfaces.agentchassis.wiring",
    settings=SETTINGS,
    mounts=(
        DefaultMount(hosts=HOSTS, prefix=PREFIX, paths=(f"{PREFIX}/",), docs_below_prefix=False),
        DefaultMount(prefix=PREFIX, paths=(f"{PREFIX}/",)),
    ),
)
