"""A flights MCP server whose `search_flights` misbehaves according to the origin.

    LHR  the tool reports an error
    CDG  the process crashes mid-call
    NRT  the call never returns
    SYD  the answer is not JSON
    JFK  the answer is JSON of the wrong shape
    DXB  the answer claims flights for another route
    else a valid answer (from the sample schedule), as JSON text rather than
         structured content, as some servers send it; its flight ids name
         this process ("flight_p<pid>_..."), so tests can tell restarts apart

Run over stdio: `python tests/surfaces/mcos/mcp_servers/misbehaving.py`.
"""

from __future__ import annotations

import os
from datetime import date

import anyio
import orjson
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from server.surfaces.mcos.flights.sample_schedule import search

server = MCPServer("misbehaving-flights", log_level="CRITICAL")


@server.tool(structured_output=False)
async def search_flights(
    origin: str,
    destination: str,
    departure_date: str,
    return_date: str | None = None,
    passengers: int = 1,
    cabin_class: str = "economy",
) -> str:
    """Flights, unless the origin asks for a failure."""
    if origin == "LHR":
        raise ToolError("no seats left anywhere")
    if origin == "CDG":
        os._exit(3)
    if origin == "NRT":
        await anyio.sleep(3600)
    if origin == "SYD":
        return "Here are some flights: lots of them!"
    if origin == "JFK":
        return orjson.dumps({"flights": [{"id": 5, "airline": None, "price": "cheap"}]}).decode()
    flights = search(origin, destination, date.fromisoformat(departure_date), None, passengers, cabin_class)
    for flight in flights:
        flight["id"] = f"flight_p{os.getpid()}_{flight['id']}"
        if origin == "DXB":
            flight["arrival"]["airport"] = "LAX"
    return orjson.dumps({"flights": flights}).decode()


if __name__ == "__main__":
    server.run()
