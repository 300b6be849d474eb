"""The surface contract through the real server: a surface added in a test is served over
gRPC and REST in its own dialect, its errors' ErrorInfo.domain names it, and its mount
owning `/api/v1/` wins over MCoS's `/api/` (the longest owned prefix).

The test surface is tests/support/echo_surface/ with the contract
tests/protos/chorus_testing/v1/echo_surface.proto; the one line that adds it is `SERVED`.
"""

from __future__ import annotations

import dataclasses
import importlib
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
import pytest_asyncio
from chorus_contracts.crispy.v1 import chat_pb2, chat_pb2_grpc
from chorus_contracts.mcos.v1 import tasks_pb2, tasks_pb2_grpc

from server.app import SURFACES, Chorus, rest_mounts
from server.config import compose_settings, load_settings
from tests.support import backends
from tests.support.contracts import compile_test_contract
from tests.support.echo_surface import SURFACE as ECHO
from tests.support.grpc_status import error_info
from tests.support.inprocess_chorus import running_chorus

# The echo surface takes `/api/v1/`, Agent Chassis's mount, so that one is left out here.
SERVED = (*(s for s in SURFACES if s.name != "agentchassis"), ECHO)


@pytest.fixture(scope="module")
def echo_contract(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The echo contract compiled (Python, gRPC, route table) and importable."""
    out = tmp_path_factory.mktemp("echo_surface_gen")
    compile_test_contract("chorus_testing/v1/echo_surface.proto", out, tmp_path_factory.mktemp("echo_scratch"))
    sys.path.insert(0, str(out))
    importlib.invalidate_caches()
    try:
        yield importlib.import_module("chorus_testing.v1.echo_surface_pb2_grpc")
    finally:
        sys.path.remove(str(out))


@pytest_asyncio.fixture(scope="module")
async def chorus(tmp_path_factory: pytest.TempPathFactory, echo_contract: Any) -> AsyncIterator[Chorus]:
    data_dir: Path = tmp_path_factory.mktemp("surface_contract")
    settings = compose_settings(SERVED)(
        data_dir=data_dir,
        grpc={"host": "127.0.0.1", "port": 0},
        rest={"host": "127.0.0.1", "port": 0},
        echo={"greeting": "hey"},
        **backends.settings_overrides(data_dir),
    )
    async with running_chorus(settings, surfaces=SERVED) as app:
        yield app


@pytest_asyncio.fixture
async def channel(chorus: Chorus) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(chorus.endpoints.grpc) as opened:
        yield opened


@pytest_asyncio.fixture
async def rest(chorus: Chorus) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=chorus.endpoints.rest, timeout=10) as client:
        yield client


async def test_the_added_surface_answers_over_grpc_with_its_request_id_header(
    channel: grpc.aio.Channel, echo_contract: Any
) -> None:
    from chorus_testing.v1 import echo_surface_pb2

    call = echo_contract.EchoSurfaceServiceStub(channel).Shout(
        echo_surface_pb2.ShoutRequest(text="hi"), metadata=(("x-echo-id", "echo-1"),)
    )
    assert (await call).text == "hey: HI"  # the greeting from its settings section
    assert ("x-echo-id", "echo-1") in tuple(await call.trailing_metadata())


async def test_its_errors_name_it_as_their_domain(channel: grpc.aio.Channel, echo_contract: Any) -> None:
    from chorus_testing.v1 import echo_surface_pb2

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await echo_contract.EchoSurfaceServiceStub(channel).Shout(echo_surface_pb2.ShoutRequest(text=""))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    info = error_info(caught.value)
    assert (info.domain, info.reason) == ("echo", "VALIDATION_ERROR")


async def test_the_added_surface_answers_over_rest_in_its_dialect(rest: httpx.AsyncClient) -> None:
    answer = await rest.post("/api/v1/shout", json={"text": "hi"}, headers={"x-echo-id": "echo-2"})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"text": "hey: HI"}
    assert answer.headers["x-echo-id"] == "echo-2"
    refused = await rest.post("/api/v1/shout", json={"text": ""}, headers={"x-echo-id": "echo-3"})
    assert refused.status_code == 400
    assert refused.json() == {"problem": "Nothing to shout", "reason": "VALIDATION_ERROR", "echoId": "echo-3"}


async def test_the_longest_owned_prefix_wins(rest: httpx.AsyncClient) -> None:
    """Both mounts serve every host: `/api/v1/` is the echo surface's, the rest of `/api/` MCoS's."""
    inner = await rest.get("/api/v1/nowhere")
    assert inner.status_code == 404
    assert set(inner.json()) == {"problem", "reason", "echoId"}
    assert "x-echo-id" in inner.headers
    outer = await rest.get("/api/nowhere")
    assert outer.status_code == 404
    assert outer.json()["error"]["code"] == "NOT_FOUND"
    assert "x-correlation-id" in outer.headers
    mcos_route = await rest.get("/api/tasks")
    assert mcos_route.status_code == 401
    assert mcos_route.json()["error"]["code"] == "UNAUTHORIZED"


@pytest.mark.parametrize(
    ("surface", "call"),
    [
        (
            "crispy",
            lambda ch: chat_pb2_grpc.ChatServiceStub(ch).GetSessionHistory(
                chat_pb2.GetSessionHistoryRequest(session_id="00000000-0000-4000-8000-000000000000")
            ),
        ),
        ("mcos", lambda ch: tasks_pb2_grpc.TaskServiceStub(ch).ListTasks(tasks_pb2.ListTasksRequest())),
    ],
)
async def test_each_documented_surface_names_itself_as_the_error_domain(
    channel: grpc.aio.Channel, surface: str, call: Any
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call(channel)
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert error_info(caught.value).domain == surface


def test_the_chittyos_services_share_one_deployment_core(chorus: Chorus) -> None:
    """Five surfaces, one ChittyOS deployment: its tenant policy and token service are built once."""
    units = {u.name: u for u in chorus.units if u.name.startswith("chittyos.")}
    assert len(units) == 5
    assert len({id(u.policies[0]) for u in units.values()}) == 1  # the deployment's FixedTenant
    auth_tokens = units["chittyos.auth.v1.AuthService"].servicer._tokens
    assert units["chittyos.sync.v1.SyncService"].policies[1]._tokens is auth_tokens


def test_default_mounts_and_settings_sections_come_from_the_surfaces() -> None:
    settings = compose_settings(SERVED)()
    mounts = {m.surface: m for m in rest_mounts(settings, SERVED)}
    assert set(mounts) == {s.name for s in SERVED}
    assert mounts["echo"].paths == ["/api/v1/"] and mounts["mcos"].paths == ["/api/"]
    assert mounts["mcos"].openapi.path == "/api/openapi.json" and mounts["crispy"].openapi.path == "/openapi.json"
    assert mounts["chittyos-sync"].hosts == ["sync.*", "api.chitty.cc", "api.localhost"]
    assert settings.echo.greeting == "echo"  # type: ignore[attr-defined]


async def test_a_service_its_contract_gives_to_another_surface_stops_start_up(
    tmp_path: Path, echo_contract: Any
) -> None:
    misnamed = dataclasses.replace(ECHO, name="echo-elsewhere", mounts=())
    settings = compose_settings((misnamed,))(
        data_dir=tmp_path, grpc={"host": "127.0.0.1", "port": 0}, **backends.settings_overrides(tmp_path)
    )
    app = Chorus(settings, surfaces=(misnamed,))
    try:
        with pytest.raises(ValueError, match="names surface 'echo', but surface 'echo-elsewhere' builds it"):
            await app.start_grpc()
    finally:
        await app.stop()


def test_chorus_refuses_settings_without_a_served_surfaces_section() -> None:
    with pytest.raises(ValueError, match="echo"):
        Chorus(load_settings(), surfaces=SERVED)
