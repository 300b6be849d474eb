"""The real bridge served by uvicorn on this event loop, for tests that assemble it themselves.

`serve_asgi` serves any ASGI app on an ephemeral loopback port. `bridged_pipeline` runs a
grpc.aio server with the admission interceptor in front of test servicers, and the bridge in
front of that twice: over a loopback gRPC channel ("grpc") and in-process ("inprocess"), as
`Chorus` does with `rest.transport`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import grpc
import uvicorn

from rest_bridge.app import BridgeApp, BridgeLimits, Mount
from rest_bridge.dialects import Dialect
from rest_bridge.inprocess import HandlerCollector, InProcessTransport
from rest_bridge.route_spec import MethodSpec
from rest_bridge.transport import GrpcTransport
from server.app import bind_socket
from server.platform.grpc.interceptor import PipelineInterceptor

# A generated `add_<Service>Servicer_to_server` and the servicer it registers.
Registration = tuple[Callable[[Any, Any], None], Any]


class QuietUvicorn(uvicorn.Server):
    """uvicorn without its own signal handlers: the test process keeps pytest's."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def serve_asgi(app: Any, **config: Any) -> AsyncIterator[str]:
    """Serves `app` on 127.0.0.1 (an ephemeral port) until the block ends; yields its base URL.
    `config`: uvicorn.Config options over quiet logs and no lifespan."""
    sock = bind_socket("127.0.0.1", 0)
    options = {"log_level": "warning", "access_log": False, "lifespan": "off", **config}
    server = QuietUvicorn(uvicorn.Config(app, **options))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    host, port = sock.getsockname()[:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        await task


@contextlib.asynccontextmanager
async def bridged_pipeline(
    interceptor: PipelineInterceptor,
    servicers: Iterable[Registration],
    specs: Sequence[MethodSpec],
    mounts: Sequence[Mount],
    dialects: Mapping[str, Dialect],
) -> AsyncIterator[tuple[str, dict[str, str]]]:
    """`servicers` behind `interceptor` on a real gRPC server, and the bridge in front of it
    over each transport. Yields (the gRPC target, {"grpc" | "inprocess": the bridge's base URL})."""
    server = grpc.aio.server(interceptors=[interceptor])
    collector = HandlerCollector()
    for register, servicer in servicers:
        register(servicer, server)
        register(servicer, collector)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    target = f"127.0.0.1:{port}"
    transports: dict[str, Any] = {
        "grpc": GrpcTransport(target),
        "inprocess": InProcessTransport({p: interceptor.wrap(p, h) for p, h in collector.handlers.items()}),
    }
    try:
        async with contextlib.AsyncExitStack() as bridges:
            urls = {
                name: await bridges.enter_async_context(
                    serve_asgi(BridgeApp(specs, transport, mounts, dialects, BridgeLimits()))
                )
                for name, transport in transports.items()
            }
            yield target, urls
    finally:
        for transport in transports.values():
            await transport.close()
        await server.stop(0)
