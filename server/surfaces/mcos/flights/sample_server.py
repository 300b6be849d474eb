"""Chorus's bundled flights MCP server. Its flights are SAMPLE DATA.

One tool, `search_flights`, answers from the offline, deterministic schedule
of `sample_schedule` (real airports and airline names, generated flights,
times and fares). Built with the official MCP SDK, so any MCP client can use
it; Chorus runs it by default when `[mcos.flights]` names no other server.

    python -m server.surfaces.mcos.flights.sample_server                      # stdio
    python -m server.surfaces.mcos.flights.sample_server --http 127.0.0.1:0   # streamable HTTP

In HTTP mode it prints the endpoint's URL (`http://host:port/mcp`, with the
port it got) on its first line of stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import socket
import sys
from datetime import date
from typing import Annotated

import orjson
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent
from pydantic import Field

from server.surfaces.mcos.flights.sample_schedule import CABIN_CLASSES, ScheduleError, search

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
MCP_PATH = "/mcp"


def _day(name: str, value: str) -> date:
    if not _DATE.fullmatch(value):
        raise ToolError(f"{name} must be a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ToolError(f"{name} is not a calendar date: {exc}") from exc


def search_flights(
    origin: Annotated[str, Field(description="IATA code of the departure airport, e.g. SFO")],
    destination: Annotated[str, Field(description="IATA code of the arrival airport, e.g. CDG")],
    departure_date: Annotated[str, Field(description="Outbound date, YYYY-MM-DD")],
    return_date: Annotated[str | None, Field(description="Return date, YYYY-MM-DD; omit for one way")] = None,
    passengers: Annotated[int, Field(ge=1, le=9, description="Number of passengers")] = 1,
    cabin_class: Annotated[str, Field(description="One of " + ", ".join(CABIN_CLASSES))] = "economy",
) -> CallToolResult:
    """Flights between two airports on a date (and back, with return_date). Sample data, not real offers.

    Returns {"flights": [{id, airline, departure: {airport, time}, arrival: {airport, time}, stops,
    price: {amount, currency}, flight_number, duration_minutes, cabin_class, direction}]}: times are
    local to each airport with their UTC offset, the price is for all passengers together, and the
    direction is "outbound", or "return" for the flights back.
    """
    outbound = _day("departure_date", departure_date)
    back = _day("return_date", return_date) if return_date else None
    try:
        flights = search(origin.upper(), destination.upper(), outbound, back, passengers, cabin_class)
    except ScheduleError as exc:
        raise ToolError(str(exc)) from exc
    # Structured content without a declared output schema: the SDK's client
    # validates every result against one with jsonschema (about 11 ms for a
    # round trip's 22 flights), and Chorus checks the answer itself anyway.
    result = {"flights": flights}
    text = orjson.dumps(result).decode()
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=result)


def build_server() -> MCPServer:
    server = MCPServer(
        "chorus-sample-flights",
        instructions="Flight search over generated sample schedules (real airports and airlines, not real flights).",
        log_level="WARNING",
    )
    server.add_tool(search_flights)
    return server


async def serve_http(server: MCPServer, host: str, port: int) -> None:
    import uvicorn

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly, so that asyncio sets TCP_NODELAY on accepted
    # connections (else Nagle delays each response's second write by ~40 ms).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)  # connections queue from here on, before uvicorn accepts them
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    app = server.streamable_http_app(streamable_http_path=MCP_PATH, host=host)
    config = uvicorn.Config(app, log_level="warning", access_log=False)
    print(f"http://{shown}:{bound}{MCP_PATH}", flush=True)
    await uvicorn.Server(config).serve(sockets=[sock])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--http", metavar="HOST:PORT", help="serve streamable HTTP instead of stdio (port 0: any)")
    args = parser.parse_args(argv)
    server = build_server()
    if args.http is None:
        server.run()
        return
    host, _, port = args.http.rpartition(":")
    if not host or not port.isdigit():
        parser.error("--http takes HOST:PORT, e.g. 127.0.0.1:0")
    try:
        asyncio.run(serve_http(server, host.strip("[]"), int(port)))
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
