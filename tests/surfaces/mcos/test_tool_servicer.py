"""mcos.v1.ToolService's servicer on grpc_testing (no network): protobuf to the domain and back.

Its tool caller runs the bundled sample flights tool in process (the MCP transport is
the end-to-end tests' job), and records what the servicer asked for.
"""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from chorus_contracts.mcos.v1 import resources_pb2, tools_pb2

from server.surfaces.mcos.flights import sample_server
from server.surfaces.mcos.flights.ranking import parse_rank_request, rank_flights
from server.surfaces.mcos.flights.service import FlightTools
from server.surfaces.mcos.servicers.tools import McosToolService
from tests.support import grpc_testing_aio

SERVICE = tools_pb2.DESCRIPTOR.services_by_name["ToolService"]


class SampleFlights:
    """The bundled sample server's tool, called directly."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> Any:
        assert name == "search_flights"
        self.calls.append(arguments)
        return sample_server.search_flights(**arguments).structured_content


@pytest.fixture
def tool() -> SampleFlights:
    return SampleFlights()


def call(tool: SampleFlights, method: str, request: Any) -> tuple[Any, grpc.StatusCode, str]:
    server = grpc_testing_aio.server(SERVICE, McosToolService(FlightTools(tool)))
    return grpc_testing_aio.unary(server, SERVICE, method, request)


def test_search_defaults_unset_fields_and_maps_every_flight(tool: SampleFlights) -> None:
    request = tools_pb2.SearchFlightsRequest(origin="sfo", destination="CDG", departure_date="2025-05-10")
    response, code, _ = call(tool, "SearchFlights", request)
    assert code == grpc.StatusCode.OK
    assert tool.calls == [
        {
            "origin": "SFO",
            "destination": "CDG",
            "departure_date": "2025-05-10",
            "passengers": 1,
            "cabin_class": "economy",
        }
    ]
    expected = sample_server.search_flights(**tool.calls[0]).structured_content["flights"]
    assert response.tool_invocation_id.startswith("tool_")
    assert [f.id for f in response.flights] == [f["id"] for f in expected]
    first, want = response.flights[0], expected[0]
    assert (first.departure.airport, first.arrival.airport, first.direction) == ("SFO", "CDG", "outbound")
    assert (first.price.amount, first.price.currency) == (want["price"]["amount"], want["price"]["currency"])
    assert (first.stops, first.duration_minutes, first.cabin_class) == (
        want["stops"],
        want["duration_minutes"],
        "economy",
    )


def test_an_explicit_zero_passengers_is_refused_before_the_tool_runs(tool: SampleFlights) -> None:
    request = tools_pb2.SearchFlightsRequest(origin="SFO", destination="CDG", departure_date="2025-05-10", passengers=0)
    _, code, _ = call(tool, "SearchFlights", request)
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert tool.calls == []


def flight(flight_id: str, stops: int, price: float, lands: str) -> resources_pb2.Flight:
    return resources_pb2.Flight(
        id=flight_id,
        airline="United Airlines",
        departure=resources_pb2.FlightEndpoint(airport="SFO", time="2025-05-10T10:00:00Z"),
        arrival=resources_pb2.FlightEndpoint(airport="JFK", time=f"2025-05-10T{lands}:00Z"),
        stops=stops,
        price=resources_pb2.Price(amount=price, currency="USD"),
        flight_number="UA1",
    )


@pytest.mark.parametrize(
    "preferences",
    [None, {"airlines": []}, {"airlines": ["Lufthansa"], "max_stops": 0, "price_weight": 0.9}],
)
def test_rank_reads_preferences_as_the_json_tool_does(tool: SampleFlights, preferences: dict[str, Any] | None) -> None:
    flights = [flight("flight_a", 0, 500.0, "16:00"), flight("flight_b", 1, 300.0, "18:00")]
    request = tools_pb2.RankFlightsRequest(flights=flights)
    body: dict[str, Any] = {
        "flights": [
            {
                "id": f.id,
                "airline": f.airline,
                "departure": {"airport": f.departure.airport, "time": f.departure.time},
                "arrival": {"airport": f.arrival.airport, "time": f.arrival.time},
                "stops": f.stops,
                "price": {"amount": f.price.amount, "currency": f.price.currency},
                "flight_number": f.flight_number,
            }
            for f in flights
        ]
    }
    if preferences is not None:
        request.user_preferences.SetInParent()
        request.user_preferences.airlines.extend(preferences["airlines"])
        if "max_stops" in preferences:
            request.user_preferences.max_stops = preferences["max_stops"]
        if "price_weight" in preferences:
            request.user_preferences.price_weight = preferences["price_weight"]
        body["user_preferences"] = preferences
    response, code, details = call(tool, "RankFlights", request)
    assert code == grpc.StatusCode.OK, details
    expected = rank_flights(parse_rank_request(body))
    assert [(r.flight_id, r.rank, r.score, r.reasoning) for r in response.ranked_flights] == [
        (r.flight_id, r.rank, pytest.approx(r.score), r.reasoning) for r in expected
    ]
    assert tool.calls == []
