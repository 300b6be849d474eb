"""A deployment without the `flights` extra (mcp, airportsdata): MCoS runs, and flight
search answers a TOOL_ERROR that names the extra to install, on REST and gRPC."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import httpx
import pytest
from chorus_contracts.mcos.v1 import tools_pb2, tools_pb2_grpc

from tests.support.chorus_process import ChorusProcess
from tests.support.envelopes import assert_error
from tests.support.grpc_status import error_info
from tests.support.mcos_identity import TestIdp, new_sub
from tests.surfaces.mcos.conftest import mcos_config

SEARCH = {"origin": "SFO", "destination": "CDG", "departure_date": "2025-05-10"}
INSTALL_HINT = "chorus[flights]"
FLIGHT = {
    "id": "flight_a",
    "airline": "United Airlines",
    "departure": {"airport": "SFO", "time": "2025-05-10T10:00:00Z"},
    "arrival": {"airport": "JFK", "time": "2025-05-10T16:00:00Z"},
    "stops": 0,
    "price": {"amount": 500.0, "currency": "USD"},
    "flight_number": "UA1",
    "duration_minutes": 360,
    "cabin_class": "economy",
    "direction": "outbound",
}


@pytest.fixture(scope="module")
def lean(tmp_path_factory: pytest.TempPathFactory, idp: TestIdp) -> Iterator[ChorusProcess]:
    data_dir: Path = tmp_path_factory.mktemp("mcos-lean")
    jwks = idp.write_jwks(data_dir / "jwks.json")
    launcher = (sys.executable, "-m", "tests.support.without_modules", "mcp,airportsdata", "--")
    with ChorusProcess(data_dir, config_toml=mcos_config(jwks), launcher=launcher) as proc:
        yield proc


def test_search_names_the_missing_extra(lean: ChorusProcess, idp: TestIdp) -> None:
    token = idp.token(new_sub())
    with httpx.Client(base_url=lean.rest_url, headers={"cf-access-jwt-assertion": token}, timeout=30) as client:
        error = assert_error(client.post("/api/tools/search_flights", json=SEARCH), "mcos", 500, "TOOL_ERROR")
        assert INSTALL_HINT in error["message"] and "mcp" in error["message"], error
        assert error["details"] == {"tool": "search_flights"}
        # The rest of the surface does not need the extra.
        assert client.get("/api/health").status_code == 200
        ranked = client.post("/api/tools/rank_flights", json={"flights": [FLIGHT], "user_preferences": {}})
        assert ranked.status_code == 200, ranked.text
        assert [r["flight_id"] for r in ranked.json()["ranked_flights"]] == ["flight_a"]


def test_search_over_grpc_names_the_missing_extra(lean: ChorusProcess, idp: TestIdp) -> None:
    metadata = (("cf-access-jwt-assertion", idp.token(new_sub())),)
    with grpc.insecure_channel(lean.grpc_addr) as channel:
        stub = tools_pb2_grpc.ToolServiceStub(channel)
        request = tools_pb2.SearchFlightsRequest(origin="SFO", destination="CDG", departure_date="2025-05-10")
        with pytest.raises(grpc.RpcError) as caught:
            stub.SearchFlights(request, metadata=metadata, timeout=30)
    assert caught.value.code() == grpc.StatusCode.INTERNAL
    assert error_info(caught.value).reason == "TOOL_ERROR"
    assert INSTALL_HINT in (caught.value.details() or "")


def test_start_up_warns_that_flight_search_is_off(lean: ChorusProcess) -> None:
    assert any(INSTALL_HINT in line for line in lean.output), "".join(lean.output)
