"""POST /api/tools/search_flights and ToolService.SearchFlights, answered by the bundled
flights MCP server (sample data) over stdio, through the shared Chorus process."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import grpc
import pytest
from chorus_contracts.mcos.v1 import tools_pb2, tools_pb2_grpc

from tests.support.envelopes import assert_error
from tests.support.grpc_status import error_info
from tests.support.mcos_rest import ROUND_TRIP, search_flights
from tests.surfaces.mcos.conftest import User

FLIGHT_KEYS = {
    "id",
    "airline",
    "departure",
    "arrival",
    "stops",
    "price",
    "flight_number",
    "duration_minutes",
    "cabin_class",
    "direction",
}
LOCAL_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)")


def test_round_trip_has_the_documented_shape(user: Callable[..., User]) -> None:
    body = search_flights(user(), ROUND_TRIP)
    assert set(body) == {"tool_invocation_id", "flights"}
    assert re.fullmatch(r"tool_[0-9a-f]{24}", body["tool_invocation_id"])
    flights = body["flights"]
    assert flights and len({f["id"] for f in flights}) == len(flights)
    for flight in flights:
        assert set(flight) == FLIGHT_KEYS
        assert set(flight["departure"]) == set(flight["arrival"]) == {"airport", "time"}
        assert set(flight["price"]) == {"amount", "currency"}
        assert flight["id"].startswith("flight_")
        assert isinstance(flight["stops"], int) and flight["stops"] in (0, 1)
        assert isinstance(flight["price"]["amount"], float) and flight["price"]["amount"] > 0
        assert flight["price"]["currency"] == "USD" and flight["cabin_class"] == "economy"
        assert re.fullmatch(r"[A-Z0-9]{2}\d{1,4}", flight["flight_number"])
        departs = datetime.fromisoformat(flight["departure"]["time"])
        arrives = datetime.fromisoformat(flight["arrival"]["time"])
        assert LOCAL_TIME.fullmatch(flight["departure"]["time"]) and LOCAL_TIME.fullmatch(flight["arrival"]["time"])
        assert arrives - departs == timedelta(minutes=flight["duration_minutes"])
    outbound = [f for f in flights if f["direction"] == "outbound"]
    back = [f for f in flights if f["direction"] == "return"]
    assert outbound and back and len(outbound) + len(back) == len(flights)
    # Local times with each airport's offset: San Francisco and Paris in May are on summer time.
    for flight in outbound:
        assert (flight["departure"]["airport"], flight["arrival"]["airport"]) == ("SFO", "CDG")
        assert flight["departure"]["time"].startswith("2025-05-10T") and flight["departure"]["time"].endswith("-07:00")
        assert flight["arrival"]["time"].endswith("+02:00")
    for flight in back:
        assert (flight["departure"]["airport"], flight["arrival"]["airport"]) == ("CDG", "SFO")
        assert flight["departure"]["time"].startswith("2025-05-15T") and flight["departure"]["time"].endswith("+02:00")
    # Real airline names; nonstops and connections both offered.
    assert {"Air France", "United Airlines"} <= {f["airline"] for f in flights}
    assert {f["stops"] for f in outbound} == {0, 1}


def test_the_same_query_gives_the_same_flights(user: Callable[..., User]) -> None:
    person = user()
    first, second = search_flights(person, ROUND_TRIP), search_flights(user(), ROUND_TRIP)
    assert first["flights"] == second["flights"]
    assert first["tool_invocation_id"] != second["tool_invocation_id"]
    later = search_flights(person, {**ROUND_TRIP, "departure_date": "2025-05-11"})
    assert later["flights"] != first["flights"]


def test_defaults_one_way_and_the_other_options(user: Callable[..., User]) -> None:
    person = user()
    one_way = search_flights(person, {"origin": "lhr", "destination": "JFK", "departure_date": "2025-01-20"})["flights"]
    assert one_way and {f["direction"] for f in one_way} == {"outbound"}
    assert {f["cabin_class"] for f in one_way} == {"economy"}
    # London in January is on UTC: its offset prints as "Z".
    assert all(f["departure"]["airport"] == "LHR" and f["departure"]["time"].endswith("Z") for f in one_way)
    group = search_flights(
        person, {"origin": "LHR", "destination": "JFK", "departure_date": "2025-01-20", "passengers": 3}
    )
    assert [f["id"] for f in group["flights"]] == [f["id"] for f in one_way]
    assert [f["price"]["amount"] for f in group["flights"]] == [3 * f["price"]["amount"] for f in one_way]
    business = search_flights(
        person, {"origin": "LHR", "destination": "JFK", "departure_date": "2025-01-20", "cabin_class": "business"}
    )["flights"]
    assert {f["cabin_class"] for f in business} == {"business"}
    assert min(f["price"]["amount"] for f in business) > max(f["price"]["amount"] for f in one_way)
    # Neighbouring airports have no flights between them: an empty answer, not an error.
    neighbours = {"origin": "JFK", "destination": "EWR", "departure_date": "2025-01-20"}
    assert search_flights(person, neighbours)["flights"] == []


@pytest.mark.parametrize(
    ("body", "issues"),
    [
        ({}, {("origin",): "Required", ("destination",): "Required", ("departure_date",): "Required"}),
        (
            {"origin": "ZZZ", "destination": "SFO", "departure_date": "2025-05-10"},
            {("origin",): "Unknown airport: expected an IATA code such as SFO"},
        ),
        (
            {"origin": "SFO", "destination": "sfo", "departure_date": "2025-05-10"},
            {("destination",): "Must differ from origin"},
        ),
        (
            {"origin": "SFO", "destination": "CDG", "departure_date": "10/05/2025", "return_date": "2025-02-30"},
            {
                ("departure_date",): "Invalid date: expected YYYY-MM-DD",
                ("return_date",): "Invalid date: expected YYYY-MM-DD",
            },
        ),
        (
            {"origin": "SFO", "destination": "CDG", "departure_date": "2025-05-10", "return_date": "2025-05-09"},
            {("return_date",): "Must not be before departure_date"},
        ),
        (
            {"origin": "SFO", "destination": "CDG", "departure_date": "2025-05-10", "passengers": 0},
            {("passengers",): "Must be between 1 and 9"},
        ),
        (
            {"origin": "SFO", "destination": "CDG", "departure_date": "2025-05-10", "passengers": 10},
            {("passengers",): "Must be between 1 and 9"},
        ),
        (
            {"origin": "SFO", "destination": "CDG", "departure_date": "2025-05-10", "cabin_class": "coach"},
            {("cabin_class",): "Must be one of economy, premium_economy, business, first"},
        ),
    ],
)
def test_bad_requests_are_validation_errors(
    user: Callable[..., User], body: dict[str, Any], issues: dict[tuple[str, ...], str]
) -> None:
    response = user().rest.post("/api/tools/search_flights", json=body)
    error = assert_error(response, "mcos", 400, "VALIDATION_ERROR")
    assert {tuple(i["path"]): i["message"] for i in error["details"]["issues"]} == issues


def test_wrong_types_are_validation_errors_and_unknown_keys_are_ignored(user: Callable[..., User]) -> None:
    person = user()
    response = person.rest.post(
        "/api/tools/search_flights",
        json={"origin": 7, "destination": "CDG", "departure_date": "2025-05-10", "passengers": "two", "pets": 1},
    )
    error = assert_error(response, "mcos", 400, "VALIDATION_ERROR")
    # MCoS validates like Zod's z.object(): unknown keys ("pets") are stripped, not refused.
    assert {tuple(i["path"]) for i in error["details"]["issues"]} == {("origin",), ("passengers",)}
    malformed = person.rest.post(
        "/api/tools/search_flights", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert_error(malformed, "mcos", 400, "VALIDATION_ERROR")


def test_grpc_search_matches_rest(user: Callable[..., User], mcos_channel: grpc.Channel) -> None:
    person = user()
    stub = tools_pb2_grpc.ToolServiceStub(mcos_channel)
    request = tools_pb2.SearchFlightsRequest(
        origin="SFO", destination="CDG", departure_date="2025-05-10", return_date="2025-05-15"
    )
    reply = stub.SearchFlights(request, metadata=person.grpc_metadata)
    assert re.fullmatch(r"tool_[0-9a-f]{24}", reply.tool_invocation_id)
    rest = search_flights(person, ROUND_TRIP)["flights"]
    assert [(f.id, f.price.amount, f.departure.time, f.arrival.time, f.stops, f.direction) for f in reply.flights] == [
        (f["id"], f["price"]["amount"], f["departure"]["time"], f["arrival"]["time"], f["stops"], f["direction"])
        for f in rest
    ]
    assert {f.flight_number for f in reply.flights} == {f["flight_number"] for f in rest}

    bad = tools_pb2.SearchFlightsRequest(origin="SFO", destination="CDG", departure_date="2025-05-10", passengers=0)
    with pytest.raises(grpc.RpcError) as caught:
        stub.SearchFlights(bad, metadata=person.grpc_metadata)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_info(caught.value).reason == "VALIDATION_ERROR"


def test_warm_searches_are_fast(user: Callable[..., User]) -> None:
    person = user()
    search_flights(person, ROUND_TRIP)  # the session may be new: it starts the server process
    started = time.perf_counter()
    for day in ("2025-06-01", "2025-06-02", "2025-06-03"):
        search_flights(person, {**ROUND_TRIP, "departure_date": day, "return_date": "2025-06-20"})
    # One persistent MCP session, not a process per search (which takes over a second each).
    assert (time.perf_counter() - started) / 3 < 0.5


def test_the_eleventh_search_of_the_day_is_refused(user: Callable[..., User]) -> None:
    person = user()
    for n in range(10):
        response = person.rest.post("/api/tools/search_flights", json=ROUND_TRIP)
        assert response.status_code == 200, response.text
        assert response.headers["x-ratelimit-remaining"] == str(9 - n)
    refused = person.rest.post("/api/tools/search_flights", json=ROUND_TRIP)
    error = assert_error(refused, "mcos", 429, "RATE_LIMIT_EXCEEDED")
    assert refused.headers["x-ratelimit-limit"] == "10" and error["details"]["quota"] == "flight_searches"
    # Ranking is not a search: it is not counted.
    flights = search_flights(user(), ROUND_TRIP)["flights"]
    assert person.rest.post("/api/tools/rank_flights", json={"flights": flights}).status_code == 200
