"""Flight search and ranking (spec 003, "Tool Invocations"), for every surface.

`FlightTools` is the one service: the ToolService servicer and the chat
assistant both use it. A search is validated here, before any MCP call, then
answered by the configured flights MCP server (see `server.surfaces.mcos.flights`);
its answer is checked as strictly as the client's request, and anything off
(an MCP failure, a hang, garbage) is a TOOL_ERROR. Ranking is a pure
function (`flight_ranking`).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

import grpc

from server.platform.errors import ChorusError
from server.platform.mcp.client import McpCallError
from server.platform.validation import Violations
from server.surfaces.mcos.flights.airports import is_known_airport
from server.surfaces.mcos.flights.extra import FLIGHTS
from server.surfaces.mcos.flights.fields import FieldReader, rfc3339
from server.surfaces.mcos.flights.ranking import RankedFlight, parse_rank_request, rank_flights

TOOL_ERROR = "TOOL_ERROR"
CABIN_CLASSES = ("economy", "premium_economy", "business", "first")
DIRECTIONS = ("outbound", "return")
MAX_PASSENGERS = 9
# A search answer with more flights than rank_flights takes is not plausible.
MAX_RESULT_FLIGHTS = 200
_SEARCH_KEYS = frozenset({"origin", "destination", "departure_date", "return_date", "passengers", "cabin_class"})
_PROBLEMS_SHOWN = 3


@dataclass(frozen=True, slots=True)
class FlightQuery:
    origin: str  # IATA code, upper case
    destination: str
    departure_date: date
    return_date: date | None
    passengers: int
    cabin_class: str

    def tool_arguments(self) -> dict[str, Any]:
        """The MCP `search_flights` tool's arguments."""
        arguments: dict[str, Any] = {
            "origin": self.origin,
            "destination": self.destination,
            "departure_date": self.departure_date.isoformat(),
            "passengers": self.passengers,
            "cabin_class": self.cabin_class,
        }
        if self.return_date is not None:
            arguments["return_date"] = self.return_date.isoformat()
        return arguments


@dataclass(frozen=True, slots=True)
class FlightEndpoint:
    airport: str
    time: datetime  # aware: the airport's local time with its offset


@dataclass(frozen=True, slots=True)
class Price:
    amount: float
    currency: str


@dataclass(frozen=True, slots=True)
class Flight:
    id: str
    airline: str
    departure: FlightEndpoint
    arrival: FlightEndpoint
    stops: int
    price: Price
    flight_number: str
    duration_minutes: int
    cabin_class: str
    direction: str


@dataclass(frozen=True, slots=True)
class FlightSearch:
    tool_invocation_id: str
    flights: tuple[Flight, ...]


class ToolCaller(Protocol):
    """An MCP client (`McpToolClient`)."""

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> Any: ...


def tool_error(message: str, *, transient: bool) -> ChorusError:
    code = grpc.StatusCode.UNAVAILABLE if transient else grpc.StatusCode.INTERNAL
    return ChorusError(code, TOOL_ERROR, message, info={"tool": "search_flights"})


def parse_query(args: Mapping[str, Any]) -> FlightQuery:
    """The search request, checked: VALIDATION_ERROR listing every bad field."""
    if FLIGHTS.missing:  # the airports and the MCP client are the `flights` extra
        raise tool_error(FLIGHTS.message, transient=False)
    violations = Violations()
    for key in sorted(set(args) - _SEARCH_KEYS):
        violations.add(key, f'Unrecognized key "{key}"')
    read = FieldReader(args, violations)
    origin = _airport(read, "origin")
    destination = _airport(read, "destination")
    if origin and origin == destination:
        violations.add("destination", "Must differ from origin")
    departure = read.day("departure_date", required=True)
    back = read.day("return_date")
    if departure and back and back < departure:
        violations.add("return_date", "Must not be before departure_date")
    passengers = read.integer("passengers")
    if passengers is not None and not 1 <= passengers <= MAX_PASSENGERS:
        violations.add("passengers", f"Must be between 1 and {MAX_PASSENGERS}")
    cabin = read.string("cabin_class")
    if cabin is not None and cabin not in CABIN_CLASSES:
        violations.add("cabin_class", f"Must be one of {', '.join(CABIN_CLASSES)}")
    violations.raise_if_any()
    assert origin and destination and departure, "checked above"
    return FlightQuery(origin, destination, departure, back, passengers or 1, cabin or "economy")


def _airport(read: FieldReader, key: str) -> str | None:
    code = read.string(key, required=True)
    if code is None:
        return None
    code = code.strip().upper()
    if not is_known_airport(code):
        read.violations.add(key, "Unknown airport: expected an IATA code such as SFO")
        return None
    return code


def flights_from_result(payload: Any, query: FlightQuery) -> tuple[Flight, ...]:
    """The MCP server's answer, checked strictly: TOOL_ERROR for anything off."""
    violations = Violations()
    flights: list[Flight] = []
    if not isinstance(payload, Mapping):
        violations.add("", "Expected an object with a flights array")
    else:
        read = FieldReader(payload, violations)
        items = read.array("flights", required=True) or ()
        if len(items) > MAX_RESULT_FLIGHTS:
            violations.add("flights", f"More than {MAX_RESULT_FLIGHTS} flights")
        else:
            flights = [f for item in read.items("flights", items) if item and (f := _flight(item, query))]
    ids = [flight.id for flight in flights]
    if len(set(ids)) != len(ids):
        violations.add("flights", "Flight ids are not unique")
    if violations.items:
        problems = "; ".join(f"{v.field or 'result'}: {v.description}" for v in violations.items[:_PROBLEMS_SHOWN])
        more = len(violations.items) - _PROBLEMS_SHOWN
        suffix = f" (and {more} more)" if more > 0 else ""
        raise tool_error(f"The flights server returned an invalid result: {problems}{suffix}", transient=False)
    return tuple(flights)


def _flight(read: FieldReader, query: FlightQuery) -> Flight | None:
    count = len(read.violations.items)
    flight_id = read.string("id", required=True)
    airline = read.string("airline", required=True)
    departure = _endpoint(read, "departure")
    arrival = _endpoint(read, "arrival")
    stops = read.integer("stops", required=True, minimum=0)
    price = _price(read)
    number = read.string("flight_number", required=True)
    minutes = read.integer("duration_minutes", required=True, minimum=1)
    cabin = read.string("cabin_class", required=True)
    if cabin is not None and cabin not in CABIN_CLASSES:
        read.violations.add(read.at("cabin_class"), f"Must be one of {', '.join(CABIN_CLASSES)}")
    direction = read.string("direction", required=True)
    route = {"outbound": (query.origin, query.destination)}
    if query.return_date is not None:
        route["return"] = (query.destination, query.origin)
    if direction is not None and direction not in route:
        read.violations.add(read.at("direction"), f"Expected one of {', '.join(route)}")
    elif direction and departure and arrival:
        if (departure.airport, arrival.airport) != route[direction]:
            read.violations.add(read.path, f"{direction.capitalize()} flights must fly {'-'.join(route[direction])}")
        if arrival.time <= departure.time:
            read.violations.add(read.at("arrival.time"), "Must be after the departure")
    if len(read.violations.items) > count:
        return None
    assert flight_id and airline and departure and arrival and price and number and cabin and direction
    assert stops is not None and minutes is not None
    return Flight(flight_id, airline, departure, arrival, stops, price, number, minutes, cabin, direction)


def _endpoint(read: FieldReader, key: str) -> FlightEndpoint | None:
    endpoint = read.object(key, required=True)
    if endpoint is None:
        return None
    airport = endpoint.string("airport", required=True)
    time = endpoint.timestamp("time", required=True)
    return FlightEndpoint(airport, time) if airport and time else None


def _price(read: FieldReader) -> Price | None:
    price = read.object("price", required=True)
    if price is None:
        return None
    amount = price.number("amount", required=True)
    currency = price.string("currency", required=True)
    if amount is not None and amount < 0:
        price.violations.add(price.at("amount"), "Number must be greater than or equal to 0")
        return None
    return Price(amount, currency) if amount is not None and currency else None


def flight_to_dict(flight: Flight) -> dict[str, Any]:
    return {
        "id": flight.id,
        "airline": flight.airline,
        "departure": {"airport": flight.departure.airport, "time": rfc3339(flight.departure.time)},
        "arrival": {"airport": flight.arrival.airport, "time": rfc3339(flight.arrival.time)},
        "stops": flight.stops,
        "price": {"amount": flight.price.amount, "currency": flight.price.currency},
        "flight_number": flight.flight_number,
        "duration_minutes": flight.duration_minutes,
        "cabin_class": flight.cabin_class,
        "direction": flight.direction,
    }


def ranked_to_dict(ranked: RankedFlight) -> dict[str, Any]:
    return {"flight_id": ranked.flight_id, "rank": ranked.rank, "score": ranked.score, "reasoning": ranked.reasoning}


class FlightTools:
    """search_flights and rank_flights: typed methods for servicers, JSON ones for the assistant."""

    def __init__(self, caller: ToolCaller, tool_name: str = "search_flights") -> None:
        self._caller = caller
        self._tool_name = tool_name

    async def search(self, query: FlightQuery) -> FlightSearch:
        try:
            payload = await self._caller.call_tool(self._tool_name, query.tool_arguments())
        except McpCallError as exc:
            raise tool_error(f"Flight search failed: {exc.message}", transient=exc.transient) from exc
        return FlightSearch("tool_" + secrets.token_hex(12), flights_from_result(payload, query))

    async def search_tool(self, args: Mapping[str, Any]) -> dict[str, Any]:
        """`POST /api/tools/search_flights`: the request object in, the response object out."""
        found = await self.search(parse_query(args))
        return {"tool_invocation_id": found.tool_invocation_id, "flights": [flight_to_dict(f) for f in found.flights]}

    def rank(self, args: Mapping[str, Any]) -> Sequence[RankedFlight]:
        return rank_flights(parse_rank_request(args))

    async def rank_tool(self, args: Mapping[str, Any]) -> dict[str, Any]:
        """`POST /api/tools/rank_flights`: the request object in, the response object out."""
        return {"ranked_flights": [ranked_to_dict(ranked) for ranked in self.rank(args)]}
