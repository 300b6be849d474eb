"""The bundled flights MCP server, as any MCP client sees it (the official SDK over
stdio), and the deterministic sample schedule behind it."""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta

from mcp import Client, StdioServerParameters

from server.surfaces.mcos.flights.airlines import AIRLINES
from server.surfaces.mcos.flights.sample_schedule import search
from tests.support.chorus_process import ROOT

BUNDLED = StdioServerParameters(
    command=sys.executable, args=["-m", "server.surfaces.mcos.flights.sample_server"], cwd=str(ROOT)
)


async def test_any_mcp_client_can_search() -> None:
    async with Client(BUNDLED) as client:
        tools = (await client.list_tools()).tools
        assert [tool.name for tool in tools] == ["search_flights"]
        schema = tools[0].input_schema
        assert schema["required"] == ["origin", "destination", "departure_date"]
        assert set(schema["properties"]) == {
            "origin",
            "destination",
            "departure_date",
            "return_date",
            "passengers",
            "cabin_class",
        }
        description = tools[0].description or ""
        assert "Sample data" in description and "price: {amount, currency}" in description

        arguments = {"origin": "SFO", "destination": "CDG", "departure_date": "2025-05-10", "return_date": "2025-05-15"}
        result = await client.call_tool("search_flights", arguments)
        assert not result.is_error and result.structured_content is not None
        expected = search("SFO", "CDG", date(2025, 5, 10), date(2025, 5, 15))
        assert result.structured_content == {"flights": expected}

        for bad, message in (
            ({**arguments, "origin": "QQQ"}, "Unknown airport 'QQQ'"),
            ({**arguments, "departure_date": "2025-13-01"}, "departure_date is not a calendar date"),
            ({**arguments, "return_date": "2025-05-01"}, "The return date is before the departure date"),
            ({**arguments, "cabin_class": "deluxe"}, "Cabin class must be one of"),
            ({**arguments, "passengers": 10}, "less than or equal to 9"),
        ):
            refused = await client.call_tool("search_flights", bad)
            assert refused.is_error
            assert message in refused.content[0].text  # type: ignore[union-attr]


def test_local_times_follow_each_airports_offset_and_daylight_saving() -> None:
    winter = search("LHR", "JFK", date(2025, 1, 20))
    summer = search("LHR", "JFK", date(2025, 7, 20))
    assert all(f["departure"]["time"].endswith("Z") and f["arrival"]["time"].endswith("-05:00") for f in winter)
    assert all(f["departure"]["time"].endswith("+01:00") and f["arrival"]["time"].endswith("-04:00") for f in summer)
    for flight in winter + summer:
        departs = datetime.fromisoformat(flight["departure"]["time"])
        arrives = datetime.fromisoformat(flight["arrival"]["time"])
        assert arrives - departs == timedelta(minutes=flight["duration_minutes"])
        assert 6 <= departs.hour < 23


def test_the_schedule_is_plausible() -> None:
    flights = search("SFO", "CDG", date(2025, 5, 10))
    nonstop = [f for f in flights if f["stops"] == 0]
    connecting = [f for f in flights if f["stops"] == 1]
    assert nonstop and connecting and len(flights) <= 12
    # About eleven hours nonstop; a connection takes longer.
    assert all(600 <= f["duration_minutes"] <= 720 for f in nonstop)
    assert min(f["duration_minutes"] for f in connecting) > max(f["duration_minutes"] for f in nonstop)
    assert {f["airline"] for f in flights} <= {a.name for a in AIRLINES}
    # Eastbound is faster than westbound (jet streams).
    back = search("CDG", "SFO", date(2025, 5, 10))
    assert max(f["duration_minutes"] for f in nonstop) < min(f["duration_minutes"] for f in back if f["stops"] == 0)
    # Low-cost airlines sell economy only; first class costs most.
    short = search("DUB", "LGW", date(2025, 5, 10))
    assert "Ryanair" in {f["airline"] for f in short}
    assert "Ryanair" not in {f["airline"] for f in search("DUB", "LGW", date(2025, 5, 10), cabin_class="first")}
    first = search("SFO", "CDG", date(2025, 5, 10), cabin_class="first")
    assert min(f["price"]["amount"] for f in first) > max(f["price"]["amount"] for f in flights)
