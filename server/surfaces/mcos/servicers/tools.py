"""mcos.v1.ToolService: SearchFlights and RankFlights over `FlightTools`.

The admission policy has already taken the flight-search quota; this only
maps protobuf to the domain's plain values and back.
"""

from __future__ import annotations

from typing import Any

import grpc
from chorus_contracts.mcos.v1 import resources_pb2, tools_pb2, tools_pb2_grpc

from server.platform.struct_values import struct_to_dict
from server.surfaces.mcos.flights.fields import rfc3339
from server.surfaces.mcos.flights.service import Flight, FlightTools, parse_query


class McosToolService(tools_pb2_grpc.ToolServiceServicer):
    def __init__(self, tools: FlightTools) -> None:
        self._tools = tools

    async def SearchFlights(
        self, request: tools_pb2.SearchFlightsRequest, context: grpc.aio.ServicerContext
    ) -> tools_pb2.SearchFlightsResponse:
        args: dict[str, Any] = {
            "origin": request.origin,
            "destination": request.destination,
            "departure_date": request.departure_date,
            "return_date": request.return_date,
            "cabin_class": request.cabin_class,
        }
        if request.HasField("passengers"):
            args["passengers"] = request.passengers
        found = await self._tools.search(parse_query(args))
        return tools_pb2.SearchFlightsResponse(
            tool_invocation_id=found.tool_invocation_id, flights=[_flight_pb(f) for f in found.flights]
        )

    async def RankFlights(
        self, request: tools_pb2.RankFlightsRequest, context: grpc.aio.ServicerContext
    ) -> tools_pb2.RankFlightsResponse:
        args: dict[str, Any] = {
            "flights": [_flight_dict(f) for f in request.flights],
            "calendar_context": [struct_to_dict(entry) for entry in request.calendar_context],
        }
        if request.HasField("user_preferences"):
            preferences = request.user_preferences
            given: dict[str, Any] = {"airlines": list(preferences.airlines)}
            if preferences.HasField("max_stops"):
                given["max_stops"] = preferences.max_stops
            if preferences.HasField("price_weight"):
                given["price_weight"] = preferences.price_weight
            args["user_preferences"] = given
        return tools_pb2.RankFlightsResponse(
            ranked_flights=[
                tools_pb2.RankedFlight(flight_id=r.flight_id, rank=r.rank, score=r.score, reasoning=r.reasoning)
                for r in self._tools.rank(args)
            ]
        )


def _flight_pb(flight: Flight) -> resources_pb2.Flight:
    return resources_pb2.Flight(
        id=flight.id,
        airline=flight.airline,
        departure=resources_pb2.FlightEndpoint(airport=flight.departure.airport, time=rfc3339(flight.departure.time)),
        arrival=resources_pb2.FlightEndpoint(airport=flight.arrival.airport, time=rfc3339(flight.arrival.time)),
        stops=flight.stops,
        price=resources_pb2.Price(amount=flight.price.amount, currency=flight.price.currency),
        flight_number=flight.flight_number,
        duration_minutes=flight.duration_minutes,
        cabin_class=flight.cabin_class,
        direction=flight.direction,
    )


def _flight_dict(flight: resources_pb2.Flight) -> dict[str, Any]:
    """What ranking reads of a flight; unset messages stay absent, so they read as missing."""
    out: dict[str, Any] = {
        "id": flight.id,
        "airline": flight.airline,
        "stops": flight.stops,
        "flight_number": flight.flight_number,
    }
    if flight.HasField("departure"):
        out["departure"] = {"airport": flight.departure.airport, "time": flight.departure.time}
    if flight.HasField("arrival"):
        out["arrival"] = {"airport": flight.arrival.airport, "time": flight.arrival.time}
    if flight.HasField("price"):
        out["price"] = {"amount": flight.price.amount, "currency": flight.price.currency}
    return out
