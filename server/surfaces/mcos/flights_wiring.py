"""MCoS flights wiring: the flights MCP client, `FlightTools`, and the ToolService.

`[mcos.flights]` names the MCP server: a streamable-HTTP `url`, else a stdio
`command`, else Chorus's bundled sample-data server run with this Python.
Its session opens on the first search (not at start) and closes at shutdown.
"""

from __future__ import annotations

import logging
import sys

from chorus_contracts.mcos.v1 import tools_pb2_grpc

from server.config import McosFlightsSettings
from server.platform.surface import ServiceUnit
from server.surfaces.mcos.core import McosCore
from server.surfaces.mcos.flights.extra import FLIGHTS
from server.surfaces.mcos.flights.mcp_client import McpServerTarget, McpToolClient
from server.surfaces.mcos.flights.service import FlightTools
from server.surfaces.mcos.servicers.tools import McosToolService

log = logging.getLogger("chorus.flights")

BUNDLED_SERVER = ("-m", "server.surfaces.mcos.flights.sample_server")


def server_target(settings: McosFlightsSettings) -> McpServerTarget:
    if settings.url:
        return McpServerTarget(url=settings.url)
    return McpServerTarget(command=tuple(settings.command) or (sys.executable, *BUNDLED_SERVER))


def flight_tools(core: McosCore) -> FlightTools:
    """The surface's FlightTools, built once by it: the tool service and the
    assistant's tools share its MCP session, closed at shutdown."""
    if FLIGHTS.missing:
        log.warning("%s; until then search_flights answers TOOL_ERROR", FLIGHTS.message)
    settings = core.settings.flights
    client = McpToolClient(server_target(settings), settings.timeout)
    core.platform.closers.append(client.aclose)
    return FlightTools(client, settings.tool)


def units(core: McosCore, flights: FlightTools) -> list[ServiceUnit]:
    return [
        ServiceUnit(
            "mcos.v1.ToolService",
            tools_pb2_grpc.add_ToolServiceServicer_to_server,
            McosToolService(flights),
            core.policies,
        )
    ]
