"""Flights MCP servers that fail: each is a TOOL_ERROR, quickly, never a hang.

Each configuration runs a real Chorus (gRPC server and REST bridge on
ephemeral ports) inside the test's event loop, with a real MCP server
process from tests/surfaces/mcos/mcp_servers/ (or none at all).
"""

from __future__ import annotations

import os
import re
import socket
import sys
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
import pytest_asyncio
from chorus_contracts.mcos.v1 import tools_pb2, tools_pb2_grpc

from server.app import Chorus
from tests.support import mcos_identity as identity
from tests.support.envelopes import assert_error
from tests.support.grpc_status import error_info
from tests.support.inprocess_chorus import running_chorus
from tests.support.mcos_identity import new_sub
from tests.surfaces.mcos.inprocess import mcos_settings

SERVERS = Path(__file__).parent / "mcp_servers"
MISBEHAVING = [sys.executable, str(SERVERS / "misbehaving.py")]
TIMEOUT = 10.0  # [mcos.flights] timeout of the misbehaving server (its start included: slow on a loaded CI box)
QUICK = 6.0  # seconds a failure that is not a hang may take (a server restart included)


def flights_chorus(data_dir: Path, idp: identity.TestIdp, **flights: Any) -> AbstractAsyncContextManager[Chorus]:
    """A Chorus (REST bridged over gRPC) with these [mcos.flights] settings."""
    return running_chorus(mcos_settings(data_dir, idp, flights=flights))


@asynccontextmanager
async def rest_client(app: Chorus, idp: identity.TestIdp) -> AsyncIterator[httpx.AsyncClient]:
    """A new principal (each has its own 10 searches a day)."""
    headers = {"cf-access-jwt-assertion": idp.token(new_sub())}
    async with httpx.AsyncClient(base_url=app.endpoints.rest, headers=headers, timeout=30) as client:
        yield client


@asynccontextmanager
async def searcher(data_dir: Path, idp: identity.TestIdp, **flights: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A REST client of a Chorus of its own, with these flights settings."""
    async with flights_chorus(data_dir, idp, **flights) as app, rest_client(app, idp) as client:
        yield client


def query(origin: str, destination: str = "LAX") -> dict[str, Any]:
    return {"origin": origin, "destination": destination, "departure_date": "2025-05-10"}


async def tool_error(client: httpx.AsyncClient, body: dict[str, Any], within: float = QUICK) -> str:
    started = time.monotonic()
    response = await client.post("/api/tools/search_flights", json=body)
    elapsed = time.monotonic() - started
    error = assert_error(response, "mcos", 500, "TOOL_ERROR")
    assert error["details"] == {"tool": "search_flights"}
    assert elapsed < within, f"took {elapsed:.1f} s"
    message: str = error["message"]
    return message


async def server_pid(client: httpx.AsyncClient, origin: str = "SFO") -> int:
    """Searches successfully; the misbehaving server names its process in the flight ids."""
    response = await client.post("/api/tools/search_flights", json=query(origin))
    assert response.status_code == 200, response.text
    pids = {re.match(r"flight_p(\d+)_", f["id"]).group(1) for f in response.json()["flights"]}  # type: ignore[union-attr]
    assert len(pids) == 1
    return int(pids.pop())


@pytest_asyncio.fixture(scope="module")
async def misbehaving(tmp_path_factory: pytest.TempPathFactory, idp: identity.TestIdp) -> AsyncIterator[Chorus]:
    async with flights_chorus(
        tmp_path_factory.mktemp("flights-misbehaving"), idp, command=MISBEHAVING, timeout=TIMEOUT
    ) as app:
        yield app


async def test_one_server_process_answers_every_search(misbehaving: Chorus, idp: identity.TestIdp) -> None:
    async with rest_client(misbehaving, idp) as client:
        first = await server_pid(client)
        assert await server_pid(client, "SEA") == first
        # Its answers came as JSON text, not structured content, and still read as flights.
        response = await client.post("/api/tools/search_flights", json=query("SFO"))
        flights = response.json()["flights"]
        assert flights and {(f["departure"]["airport"], f["arrival"]["airport"]) for f in flights} == {("SFO", "LAX")}


async def test_a_failing_tool(misbehaving: Chorus, idp: identity.TestIdp) -> None:
    async with rest_client(misbehaving, idp) as client:
        await server_pid(client)
        assert "no seats left anywhere" in await tool_error(client, query("LHR"))


async def test_an_answer_that_is_not_json(misbehaving: Chorus, idp: identity.TestIdp) -> None:
    async with rest_client(misbehaving, idp) as client:
        assert "not JSON" in await tool_error(client, query("SYD"))


async def test_an_answer_of_the_wrong_shape(misbehaving: Chorus, idp: identity.TestIdp) -> None:
    async with rest_client(misbehaving, idp) as client:
        message = await tool_error(client, query("JFK"))
        assert message.startswith("The flights server returned an invalid result: flights.0.id: Expected string")
        wrong_route = await tool_error(client, query("DXB", "LHR"))
        assert "flights.0: Outbound flights must fly DXB-LHR" in wrong_route


async def test_a_crash_and_the_next_search_on_a_new_process(misbehaving: Chorus, idp: identity.TestIdp) -> None:
    async with rest_client(misbehaving, idp) as client:
        before = await server_pid(client)
        assert "Connection closed" in await tool_error(client, query("CDG"), within=QUICK + TIMEOUT)
        after = await server_pid(client)
        assert after != before


async def test_a_hang_ends_at_the_timeout(misbehaving: Chorus, idp: identity.TestIdp) -> None:
    async with rest_client(misbehaving, idp) as client:
        before = await server_pid(client)
        started = time.monotonic()
        message = await tool_error(client, query("NRT"), within=TIMEOUT + 2)
        assert time.monotonic() - started >= TIMEOUT - 0.5
        assert f"did not answer within {TIMEOUT:g} s" in message
        # The hung server is replaced.
        assert await server_pid(client) != before


async def test_grpc_clients_get_tool_error_with_its_code(misbehaving: Chorus, idp: identity.TestIdp) -> None:
    metadata = (("cf-access-jwt-assertion", idp.token(new_sub())),)
    async with grpc.aio.insecure_channel(misbehaving.endpoints.grpc) as channel:
        stub = tools_pb2_grpc.ToolServiceStub(channel)
        for origin, code in (("LHR", grpc.StatusCode.INTERNAL), ("CDG", grpc.StatusCode.UNAVAILABLE)):
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.SearchFlights(
                    tools_pb2.SearchFlightsRequest(origin=origin, destination="LAX", departure_date="2025-05-10"),
                    metadata=metadata,
                )
            assert caught.value.code() == code
            assert error_info(caught.value).reason == "TOOL_ERROR"


async def test_a_missing_command(tmp_path: Path, idp: identity.TestIdp) -> None:
    async with searcher(tmp_path, idp, command=["/nonexistent/flights-mcp", "--stdio"]) as client:
        message = await tool_error(client, query("SFO"))
        assert "No such file or directory" in message and "/nonexistent/flights-mcp" in message


async def test_a_refused_connection(tmp_path: Path, idp: identity.TestIdp) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with searcher(tmp_path, idp, url=f"http://127.0.0.1:{port}/mcp") as client:
        assert "ConnectError" in await tool_error(client, query("SFO"))


async def test_a_server_that_never_speaks_mcp(tmp_path: Path, idp: identity.TestIdp) -> None:
    not_mcp = [sys.executable, str(SERVERS / "not_mcp.py")]
    async with searcher(tmp_path, idp, command=not_mcp, timeout=1.5) as client:
        message = await tool_error(client, query("SFO"), within=4)
        assert "did not start within 1.5 s" in message


async def test_shutdown_ends_the_server_process(tmp_path: Path, idp: identity.TestIdp) -> None:
    async with flights_chorus(tmp_path, idp, command=MISBEHAVING, timeout=TIMEOUT) as app:
        async with rest_client(app, idp) as client:
            pid = await server_pid(client)
        os.kill(pid, 0)  # alive while Chorus runs
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
