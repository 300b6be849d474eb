"""MCP tools through the platform's MCP client: the bundled sample MCP server (streamable
HTTP), a Chorus process configured with its URL, and the agent calling its tool."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.agentchassis import API_KEY, rest
from tests.support.chorus_process import ROOT, ChorusProcess

KEY = {"x-api-key": API_KEY}
SEARCH = '/tool search_flights {"origin": "SFO", "destination": "CDG", "departure_date": "2031-05-10"}'


@pytest.fixture(scope="module")
def mcp_url() -> Iterator[str]:
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
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def with_mcp(tmp_path_factory: pytest.TempPathFactory, mcp_url: str) -> Iterator[ChorusProcess]:
    data: Path = tmp_path_factory.mktemp("chassis-mcp")
    config = f'[agentchassis]\napi_key = "{API_KEY}"\nmcp_url = "{mcp_url}"\nmcp_timeout = 10\n'
    with ChorusProcess(data, config_toml=config) as proc:
        yield proc


def test_the_agent_calls_a_tool_of_the_mcp_server(with_mcp: ChorusProcess) -> None:
    with rest(with_mcp, **KEY) as client:
        answer = client.post(
            "/agent/completion",
            json={"messages": [{"role": "user", "content": SEARCH}], "allowed_tools": ["search_flights"]},
        )
    assert answer.status_code == 200, answer.text
    content = answer.json()["content"]
    assert "search_flights tool returned" in content and "flights)" in content


def test_allowed_tools_names_mcp_tools_too(with_mcp: ChorusProcess) -> None:
    with rest(with_mcp, **KEY) as client:
        unknown = client.post(
            "/agent/completion", json={"messages": [{"role": "user", "content": "x"}], "allowed_tools": ["nope"]}
        )
        not_allowed = client.post(
            "/agent/completion",
            json={"messages": [{"role": "user", "content": SEARCH}], "allowed_tools": ["calculate"]},
        )
    assert unknown.status_code == 400 and "search_flights" in unknown.json()["detail"]
    assert not_allowed.status_code == 200 and "search_flights tool returned" not in not_allowed.json()["content"]
