"""Builds the grpc.aio server: servicers, reflection, health, interceptors."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from grpc_reflection.v1alpha import reflection

from rest_bridge.transport import DEFAULT_MAX_MESSAGE_BYTES, message_size_options

SERVER_OPTIONS = (
    # Calls waiting for the event loop to pick them up; past the default limit
    # grpc cancels new calls outright (measured: ~10% of a 2,000-stream burst).
    ("grpc.server.max_pending_requests", 10_000),
    ("grpc.server.max_pending_requests_hard_limit", 20_000),
    # The REST bridge forwards up to 8 KiB of headers (rest_bridge/request_head.py);
    # gRPC adds its own and refuses at random between its soft and hard limits,
    # by default 8 and 16 KiB: keep both well above what the bridge sends.
    ("grpc.max_metadata_size", 16 * 1024),
    ("grpc.absolute_max_metadata_size", 32 * 1024),
    ("grpc.so_reuseport", 0),
)


def build_grpc_server(
    handlers: Mapping[str, grpc.RpcMethodHandler],
    service_names: Sequence[str],
    interceptors: Sequence[grpc.aio.ServerInterceptor],
    *,
    reuse_port: bool = False,
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
    wrap_health: Callable[[str, grpc.RpcMethodHandler], grpc.RpcMethodHandler] | None = None,
) -> tuple[grpc.aio.Server, HealthServicer]:
    """`handlers`: every method's handler by gRPC path ("/pkg.Service/Method"), served
    through one `MethodTable`; `service_names`: their services, for reflection.
    `reuse_port`: share the port with the other pre-forked workers (server/workers.py).
    `max_message_bytes`: the largest message received or sent.
    `wrap_health(path, handler)`: each health method's handler as served (metrics; never
    admission: health checks need no credentials)."""
    options = tuple(o for o in SERVER_OPTIONS if o[0] != "grpc.so_reuseport")
    options += (("grpc.so_reuseport", int(reuse_port)), *message_size_options(max_message_bytes))
    server = grpc.aio.server(interceptors=list(interceptors), options=options)
    health_servicer = HealthServicer()
    health = _handlers_of(health_pb2_grpc.add_HealthServicer_to_server, health_servicer)
    if wrap_health is not None:
        health = {path: wrap_health(path, handler) for path, handler in health.items()}
    server.add_generic_rpc_handlers((MethodTable({**handlers, **health}),))
    names = [*service_names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME]
    reflection.enable_server_reflection(names, server)
    return server, health_servicer


class MethodTable(grpc.GenericRpcHandler):
    """Every Chorus method's handler, found by its gRPC path in one dict lookup.

    Registered only as a generic handler, on purpose: grpc.aio's accept loop keeps
    one pending request future per *registered* method and runs `asyncio.wait` over
    all of them for every call it accepts. With ~110 methods registered, that wait
    cost more than the rest of a unary call (`make bench --only unary`: gRPC against
    the bare echo, which registers none)."""

    def __init__(self, handlers: Mapping[str, grpc.RpcMethodHandler]) -> None:
        self._handlers = dict(handlers)

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
        return self._handlers.get(handler_call_details.method)


class _HandlerRecorder:
    """Stands in for a server to a generated `add_*Servicer_to_server`: keeps the
    handlers it registers, by gRPC path."""

    def __init__(self) -> None:
        self.handlers: dict[str, grpc.RpcMethodHandler] = {}

    def add_generic_rpc_handlers(self, _: Any) -> None:
        """Ignored: the same handlers come again, by name, through add_registered_method_handlers."""

    def add_registered_method_handlers(self, service: str, methods: Mapping[str, grpc.RpcMethodHandler]) -> None:
        self.handlers.update({f"/{service}/{name}": handler for name, handler in methods.items()})


def _handlers_of(add: Callable[[Any, Any], None], servicer: Any) -> dict[str, grpc.RpcMethodHandler]:
    recorder = _HandlerRecorder()
    add(servicer, recorder)
    return recorder.handlers


async def mark_serving(health_servicer: HealthServicer, names: Sequence[str], serving: bool) -> None:
    status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
    for name in ("", *names):
        await health_servicer.set(name, status)
