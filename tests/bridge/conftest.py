"""The real bridge in front of a real grpc.aio test service, both in this process.

`bridge_test.proto` is compiled at session start (Python, gRPC and our own
protoc-gen-chorus route table) into a temp dir on sys.path. The gRPC server and
uvicorn serving `BridgeApp` then run on an asyncio loop in a background thread,
so tests are plain synchronous httpx calls against 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import sys
import threading
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any, TypeVar

import grpc
import httpx
import pytest

from tests.support.bridge_servers import serve_asgi
from tests.support.contracts import compile_test_contract

PROTO = "chorus_testing/v1/bridge_test.proto"
SURFACE = "testing"
MAX_BODY = 4096
HEARTBEAT = 0.2

T = TypeVar("T")


@dataclass(frozen=True)
class Generated:
    pb2: ModuleType
    pb2_grpc: ModuleType
    http: ModuleType


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    out = tmp_path_factory.mktemp("bridge_test_gen")
    compile_test_contract(PROTO, out, tmp_path_factory.mktemp("bridge_test_scratch"))
    sys.path.insert(0, str(out))
    importlib.invalidate_caches()
    return Generated(
        pb2=importlib.import_module("chorus_testing.v1.bridge_test_pb2"),
        pb2_grpc=importlib.import_module("chorus_testing.v1.bridge_test_pb2_grpc"),
        http=importlib.import_module("chorus_testing.v1.bridge_test_http"),
    )


@dataclass
class BridgeHarness:
    base_url: str
    grpc_target: str
    recorder: Any  # tests.bridge.servicer.Recorder
    loop: asyncio.AbstractEventLoop

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 10) -> T:
        """Run a coroutine on the servers' loop (e.g. a raw gRPC call) and wait for it."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)


class _Servers:
    def __init__(self, generated: Generated, recorder: Any, servicer: Any) -> None:
        self.generated = generated
        self.recorder = recorder
        self.servicer = servicer
        self.grpc_server: grpc.aio.Server | None = None
        self.transport: Any = None
        self.rest = contextlib.AsyncExitStack()

    async def start(self) -> tuple[str, str]:
        from rest_bridge.app import BridgeApp, BridgeLimits, Mount
        from rest_bridge.dialects import Dialect
        from rest_bridge.transport import GrpcTransport

        self.grpc_server = grpc.aio.server()
        self.generated.pb2_grpc.add_BridgeTestServiceServicer_to_server(self.servicer, self.grpc_server)
        port = self.grpc_server.add_insecure_port("127.0.0.1:0")
        await self.grpc_server.start()
        target = f"127.0.0.1:{port}"

        self.transport = GrpcTransport(target)
        app = BridgeApp(
            self.generated.http.METHODS,
            self.transport,
            [Mount(SURFACE)],
            # The test surface uses the default dialect (google.rpc.Status-shaped errors).
            {SURFACE: Dialect()},
            BridgeLimits(max_body_bytes=MAX_BODY, sse_heartbeat=HEARTBEAT),
        )
        # proxy_headers off: uvicorn would otherwise replace the ASGI client address with a
        # loopback peer's own X-Forwarded-For, and the tests check the bridge's mapping of it.
        base_url = await self.rest.enter_async_context(
            serve_asgi(app, server_header=False, date_header=False, proxy_headers=False)
        )
        return base_url, target

    async def stop(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.rest.aclose(), 5)
        if self.transport is not None:
            await self.transport.close()
        if self.grpc_server is not None:
            await self.grpc_server.stop(0)


@pytest.fixture(scope="session")
def bridge(generated: Generated) -> Iterator[BridgeHarness]:
    from tests.bridge.servicer import BridgeTestServicer, Recorder

    recorder = Recorder()
    servers = _Servers(generated, recorder, BridgeTestServicer(recorder))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="bridge-test-loop", daemon=True)
    thread.start()
    try:
        base_url, target = asyncio.run_coroutine_threadsafe(servers.start(), loop).result(30)
        yield BridgeHarness(base_url, target, recorder, loop)
    finally:
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(servers.stop(), loop).result(15)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


@pytest.fixture(scope="session")
def client(bridge: BridgeHarness) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=bridge.base_url, timeout=10) as http:
        yield http


@pytest.fixture
def fresh_client(bridge: BridgeHarness) -> Iterator[httpx.Client]:
    """A client with its own connections, for tests that may leave one unusable."""
    with httpx.Client(base_url=bridge.base_url, timeout=10) as http:
        yield http
