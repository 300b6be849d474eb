"""POST /api/tools/rank_flights and ToolService.RankFlights: the documented formula,
preferences, calendar conflicts, determinism and validation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import pytest
from chorus_contracts.mcos.v1 import resources_pb2, tools_pb2, tools_pb2_grpc
from google.protobuf import struct_pb2

from server.platform.errors import ChorusError
from server.platform.mcp.client import McpServerTarget, McpToolClient
from server.surfaces.mcos.flights.ranking import parse_rank_request, rank_flights
from server.surfaces.mcos.flights.service import FlightTools
from tests.support.envelopes import assert_error
from tests.support.grpc_status import error_info
from tests.support.mcos_rest import ROUND_TRIP, search_flights
from tests.surfaces.mcos.conftest import User


def flight(flight_id: str, airline: str, number: str, stops: int, price: float, leaves: str, lands: str) -> dict:
    return {
        "id": flight_id,
        "airline": airline,
        "departure": {"airport": "SFO", "time": f"2025-05-10T{leaves}:00Z"},
        "arrival": {"airport": "JFK", "time": f"2025-05-10T{lands}:00Z"},
        "stops": stops,
        "price": {"amount": price, "currency": "USD"},
        "flight_number": number,
        "duration_minutes": 0,
        "cabin_class": "economy",
        "direction": "outbound",
    }


# A: nonstop, dear, short, lands first. B: one stop, cheap, long, lands last.
NONSTOP = flight("flight_a", "United Airlines", "UA1", 0, 500.0, "10:00", "16:00")
ONE_STOP = flight("flight_b", "Lufthansa", "LH2", 1, 300.0, "09:00", "18:00")


def ranked(body: dict[str, Any]) -> list[tuple[str, float, str]]:
    return [(r.flight_id, r.score, r.reasoning) for r in rank_flights(parse_rank_request(body))]


def test_the_documented_formula() -> None:
    # A: 0.5 * cheapness 0 + 0.5 * (0.4 * 1 + 0.4 * 1 + 0.2 * 1) = 0.5
    # B: 0.5 * cheapness 1 + 0.5 * (0.4 * 0 + 0.4 * 0.5 + 0.2 * 0) = 0.6
    assert ranked({"flights": [NONSTOP, ONE_STOP]}) == [
        ("flight_b", 0.6, "1 stop, lowest price, long trip"),
        ("flight_a", 0.5, "Nonstop, high price, shortest trip, earliest arrival"),
    ]
    # Price counting less: A 0.2 * 0 + 0.8 * 1 = 0.8; B 0.2 * 1 + 0.8 * 0.2 = 0.36.
    cheap_matters_less = {"flights": [NONSTOP, ONE_STOP], "user_preferences": {"price_weight": 0.2}}
    assert [(i, s) for i, s, _ in ranked(cheap_matters_less)] == [("flight_a", 0.8), ("flight_b", 0.36)]


def test_preferences_and_the_calendar_penalise() -> None:
    by_airline = ranked({"flights": [NONSTOP, ONE_STOP], "user_preferences": {"airlines": ["united"]}})
    assert by_airline == [
        ("flight_a", 0.5, "Nonstop, high price, shortest trip, earliest arrival, preferred airline"),
        ("flight_b", 0.48, "1 stop, lowest price, long trip, not a preferred airline"),
    ]
    # An IATA code names the airline too.
    assert ranked({"flights": [NONSTOP, ONE_STOP], "user_preferences": {"airlines": ["LH"]}})[0][0] == "flight_b"
    too_many_stops = ranked({"flights": [NONSTOP, ONE_STOP], "user_preferences": {"max_stops": 0}})
    assert too_many_stops[1] == ("flight_b", 0.3, "1 stop (more than your maximum of 0), lowest price, long trip")
    busy = {"start": "2025-05-10T17:00:00Z", "end": "2025-05-10T10:30:00-07:00", "title": "Dentist"}
    conflicted = ranked({"flights": [NONSTOP, ONE_STOP], "calendar_context": [busy]})
    assert conflicted[1] == ("flight_b", 0.36, '1 stop, lowest price, long trip, overlaps "Dentist" on your calendar')
    assert conflicted[0][:2] == ("flight_a", 0.5)


def test_each_route_is_compared_on_its_own() -> None:
    back = {
        **ONE_STOP,
        "id": "flight_back",
        "departure": {"airport": "JFK", "time": "2025-05-12T09:00:00-04:00"},
        "arrival": {"airport": "SFO", "time": "2025-05-12T12:30:00-07:00"},
    }
    scores = {i: s for i, s, _ in ranked({"flights": [NONSTOP, ONE_STOP, back]})}
    # Alone on its route, the return flight is best on every measure but stops: 0.5 + 0.5 * 0.8.
    assert scores == {"flight_a": 0.5, "flight_b": 0.6, "flight_back": 0.9}


def test_ties_rank_by_price_then_departure_then_id() -> None:
    twins = [flight(f"flight_{n}", "Delta Air Lines", f"DL{n}", 0, 200.0, "08:00", "13:00") for n in "zyx"]
    assert [i for i, _, _ in ranked({"flights": twins})] == ["flight_x", "flight_y", "flight_z"]


def test_rest_ranks_search_results(user: Callable[..., User]) -> None:
    person = user()
    flights = search_flights(person, ROUND_TRIP)["flights"]
    body = {
        "flights": flights,
        "user_preferences": {"airlines": ["Air France"], "max_stops": 0, "price_weight": 0.6},
        "calendar_context": [{"start": "2025-05-10T13:00:00Z", "end": "2025-05-10T15:00:00Z", "title": "Standup"}],
    }
    response = person.rest.post("/api/tools/rank_flights", json=body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert set(result) == {"ranked_flights"}
    rows = result["ranked_flights"]
    assert all(set(row) == {"flight_id", "rank", "score", "reasoning"} for row in rows)
    assert [row["rank"] for row in rows] == list(range(1, len(flights) + 1))
    assert sorted(row["flight_id"] for row in rows) == sorted(f["id"] for f in flights)
    scores = [row["score"] for row in rows]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
    assert all(row["reasoning"].split(", ")[0] in ("Nonstop", "1 stop (more than your maximum of 0)") for row in rows)
    assert any("preferred airline" in row["reasoning"] for row in rows)
    # The same request ranks the same way.
    assert person.rest.post("/api/tools/rank_flights", json=body).json() == result


def _grpc_flight(data: dict[str, Any]) -> resources_pb2.Flight:
    return resources_pb2.Flight(
        id=data["id"],
        airline=data["airline"],
        departure=resources_pb2.FlightEndpoint(**data["departure"]),
        arrival=resources_pb2.FlightEndpoint(**data["arrival"]),
        stops=data["stops"],
        price=resources_pb2.Price(**data["price"]),
        flight_number=data["flight_number"],
    )


def test_grpc_ranking_matches_rest(user: Callable[..., User], mcos_channel: grpc.Channel) -> None:
    person = user()
    stub = tools_pb2_grpc.ToolServiceStub(mcos_channel)
    busy = {"start": "2025-05-10T17:00:00Z", "end": "2025-05-10T17:30:00Z", "title": "Dentist"}
    entry = struct_pb2.Struct()
    entry.update(busy)
    request = tools_pb2.RankFlightsRequest(
        flights=[_grpc_flight(NONSTOP), _grpc_flight(ONE_STOP)],
        user_preferences=tools_pb2.FlightPreferences(airlines=["united"], max_stops=1),
        calendar_context=[entry],
    )
    reply = stub.RankFlights(request, metadata=person.grpc_metadata)
    rest = person.rest.post(
        "/api/tools/rank_flights",
        json={
            "flights": [NONSTOP, ONE_STOP],
            "user_preferences": {"airlines": ["united"], "max_stops": 1},
            "calendar_context": [busy],
        },
    ).json()["ranked_flights"]
    assert [(r.flight_id, r.rank, r.score, r.reasoning) for r in reply.ranked_flights] == [
        (r["flight_id"], r["rank"], r["score"], r["reasoning"]) for r in rest
    ]
    assert [r.flight_id for r in reply.ranked_flights] == ["flight_a", "flight_b"]

    priceless = tools_pb2.RankFlightsRequest(flights=[resources_pb2.Flight(id="flight_x")])
    with pytest.raises(grpc.RpcError) as caught:
        stub.RankFlights(priceless, metadata=person.grpc_metadata)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_info(caught.value).reason == "VALIDATION_ERROR"


@pytest.mark.parametrize(
    ("body", "issues"),
    [
        ({"flights": []}, {("flights",): "Expected 1 to 200 flights"}),
        ({"flights": [NONSTOP] * 201}, {("flights",): "Expected 1 to 200 flights"}),
        ({}, {("flights",): "Expected 1 to 200 flights"}),
        (
            {"flights": [{"id": "flight_x"}]},
            {("flights", 0, "departure"): "Required", ("flights", 0, "arrival"): "Required"}
            | {("flights", 0, "price"): "Required"},
        ),
        (
            {"flights": [{**NONSTOP, "departure": {"airport": "SFO", "time": "10:00"}}, NONSTOP]},
            {
                ("flights", 0, "departure", "time"): "Invalid datetime: expected RFC 3339 with an offset",
                ("flights", 1, "id"): "Duplicate flight id",
            },
        ),
        (
            {"flights": [{**NONSTOP, "arrival": {"airport": "JFK", "time": "2025-05-10T09:00:00Z"}}]},
            {("flights", 0, "arrival", "time"): "Must be after the departure time"},
        ),
        (
            {"flights": [NONSTOP], "user_preferences": {"price_weight": 1.5, "max_stops": -1, "airlines": [""]}},
            {
                ("user_preferences", "price_weight"): "Must be between 0 and 1",
                ("user_preferences", "max_stops"): "Number must be greater than or equal to 0",
                ("user_preferences", "airlines", 0): "Expected a non-empty string",
            },
        ),
        (
            {"flights": [NONSTOP], "calendar_context": [{"start": "tomorrow", "title": "Trip"}]},
            {
                ("calendar_context", 0, "start"): "Invalid datetime: expected RFC 3339 with an offset",
                ("calendar_context", 0, "end"): "Required",
            },
        ),
        (
            {
                "flights": [NONSTOP],
                "calendar_context": [
                    {"start": "2025-05-10T10:00:00Z", "end": "2025-05-10T09:00:00Z"},
                    {"start": "2025-05-10T10:00:00Z", "end": "2025-05-10T11:00Z"},
                ],
            },
            {
                ("calendar_context", 0, "end"): "Must not be before start",
                ("calendar_context", 1, "end"): "Invalid datetime: expected RFC 3339 with an offset",
            },
        ),
    ],
)
def test_bad_requests_are_validation_errors(
    user: Callable[..., User], body: dict[str, Any], issues: dict[tuple[Any, ...], str]
) -> None:
    response = user().rest.post("/api/tools/rank_flights", json=body)
    error = assert_error(response, "mcos", 400, "VALIDATION_ERROR")
    assert {tuple(i["path"]): i["message"] for i in error["details"]["issues"]} == issues


async def test_the_assistant_facing_tool_returns_the_rest_shape() -> None:
    """FlightTools.rank_tool (what chat runs) takes and gives the REST JSON, and calls no MCP server."""
    unreachable = McpToolClient(McpServerTarget(command=("/nonexistent/flights-server",)), timeout=1)
    result = await FlightTools(unreachable).rank_tool({"flights": [NONSTOP, ONE_STOP]})
    assert result == {
        "ranked_flights": [
            {"flight_id": "flight_b", "rank": 1, "score": 0.6, "reasoning": "1 stop, lowest price, long trip"},
            {
                "flight_id": "flight_a",
                "rank": 2,
                "score": 0.5,
                "reasoning": "Nonstop, high price, shortest trip, earliest arrival",
            },
        ]
    }
    with pytest.raises(ChorusError) as caught:
        await FlightTools(unreachable).rank_tool({"flights": [NONSTOP], "user_preferences": {"price_weight": "high"}})
    assert caught.value.reason == "VALIDATION_ERROR"
    assert [(v.field, v.description) for v in caught.value.violations] == [
        ("user_preferences.price_weight", "Expected number, received string")
    ]
