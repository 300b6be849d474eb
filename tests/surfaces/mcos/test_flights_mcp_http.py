"""The flights MCP server over streamable HTTP: the bundled server started with
`--http 127.0.0.1:0`, and a Chorus process configured with its URL."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import mcos_identity as identity
from tests.support.chorus_process import ROOT, ChorusProcess
from tests.support.envelopes import assert_error
from tests.support.mcos_identity import new_sub
from tests.support.mcos_rest import ROUND_TRIP, search_flights
from tests.surfaces.mcos.conftest import User, mcos_config


@pytest.fixture(scope="module")
def http_flights_server() -> Iterator[tuple[str, subprocess.Popen[str]]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "server.surfaces.mcos.flights.sample_server", "--http", "127.0.0.1:0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    try:
        assert url.startswith("http://127.0.0.1:") and url.endswith("/mcp"), url
        yield url, proc
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def chorus_over_http(
    tmp_path_factory: pytest.TempPathFactory,
    idp: identity.TestIdp,
    http_flights_server: tuple[str, subprocess.Popen[str]],
) -> Iterator[ChorusProcess]:
    data: Path = tmp_path_factory.mktemp("flights-http")
    extra = f'[mcos.flights]\nurl = "{http_flights_server[0]}"\ntimeout = 15\n'
    with ChorusProcess(data, config_toml=mcos_config(idp.write_jwks(data / "jwks.json"), extra)) as proc:
        yield proc


def test_searches_over_http_match_stdio(
    chorus_over_http: ChorusProcess, idp: identity.TestIdp, user: Callable[..., User]
) -> None:
    headers = {"cf-access-jwt-assertion": idp.token(new_sub())}
    with httpx.Client(base_url=chorus_over_http.rest_url, headers=headers, timeout=30) as client:
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            response = client.post("/api/tools/search_flights", json=ROUND_TRIP)
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text
        # The same sample data as the shared server's stdio one.
        assert response.json()["flights"] == search_flights(user(), ROUND_TRIP)["flights"]
        assert max(timings[1:]) < 1.0


def test_a_server_that_went_away_is_a_tool_error(
    chorus_over_http: ChorusProcess,
    idp: identity.TestIdp,
    http_flights_server: tuple[str, subprocess.Popen[str]],
) -> None:
    headers = {"cf-access-jwt-assertion": idp.token(new_sub())}
    with httpx.Client(base_url=chorus_over_http.rest_url, headers=headers, timeout=30) as client:
        assert client.post("/api/tools/search_flights", json=ROUND_TRIP).status_code == 200
        http_flights_server[1].terminate()
        http_flights_server[1].wait(10)
        started = time.monotonic()
        error = assert_error(client.post("/api/tools/search_flights", json=ROUND_TRIP), "mcos", 500, "TOOL_ERROR")
        assert time.monotonic() - started < 3
        assert http_flights_server[0] in error["message"]
