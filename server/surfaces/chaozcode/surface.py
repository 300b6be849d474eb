"""ChaozCode (spec 001), declared: its API v2 under `/v2`.

On the document's host `api.chaozcode.com` (and `api.chaozcode.localhost`
for local use: curl sends `*.localhost` to loopback), and under `/v2` on any
other host beside Crispy (which owns no `/v2` path). ChittyOS's sync hub
answers `api.chitty.cc` and `api.localhost`, not every `api.*`, so the
document's host reaches ChaozCode.
"""

from __future__ import annotations

from server.platform.surface import DefaultMount, Surface
from server.surfaces.chaozcode.dialect import ChaozCodeDialect
from server.surfaces.chaozcode.settings import SETTINGS

PREFIX = "/v2"

SURFACE = Surface(
    name="chaozcode",
    dialect=ChaozCodeDialect(),
    wiring="server.surfaces.chaozcode.wiring",
    settings=SETTINGS,
    mounts=(
        DefaultMount(hosts=("api.chaozcode.com", "api.chaozcode.localhost"), prefix=PREFIX, paths=(f"{PREFIX}/",)),
        DefaultMount(prefix=PREFIX, paths=(f"{PREFIX}/",)),
    ),
)
