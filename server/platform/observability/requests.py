"""Per-request metrics and the access log, for both ways in: the REST bridge and gRPC.

Each route (REST) or method (gRPC) gets its label children bound once, on its first
request, so a request costs a dict lookup, a counter and three histogram observations
(bench/bench_observability.py measures it). Calls the bridge makes in-process are
counted by the bridge alone (as REST); the gRPC server counts direct gRPC clients.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from time import perf_counter
from typing import Any

import grpc

from rest_bridge.asgi import BODY_SIZE_KEY, ROUTE_KEY
from server.platform.errors import ChorusError
from server.platform.observability.metrics import Metrics

UNMATCHED = "unmatched"

access_log = logging.getLogger("chorus.access")


class _Series:
    """One route's (or method's) bound label children."""

    __slots__ = (
        "_labels",
        "_requests",
        "by_status",
        "duration",
        "method",
        "request_size",
        "response_size",
        "route",
        "surface",
        "transport",
    )

    def __init__(self, metrics: Metrics | None, surface: str, method: str, route: str, transport: str) -> None:
        self.surface, self.method, self.route, self.transport = surface, method, route, transport
        self._labels = (surface, method, route, transport)
        self.by_status: dict[Any, Any] = {}
        self._requests = metrics.requests if metrics is not None else None
        if metrics is not None:
            self.duration = metrics.duration.labels(surface, method, route, transport)
            self.request_size = metrics.request_size.labels(surface, route, transport)
            self.response_size = metrics.response_size.labels(surface, route, transport)

    def observe(self, status: Any, elapsed: float, received: int, sent: int) -> None:
        requests = self._requests
        if requests is None:
            return
        counter = self.by_status.get(status)
        if counter is None:
            counter = self.by_status[status] = requests.labels(*self._labels, str(status))
        counter.inc()
        self.duration.observe(elapsed)
        self.request_size.observe(received)
        self.response_size.observe(sent)


# Response headers that carry a request's id (the dialects' names for it).
_REQUEST_ID_HEADERS = (b"x-request-id", b"x-correlation-id")


def _log_access(
    series: _Series, status: Any, elapsed: float, received: int, sent: int, path: str, request_id: str | None = None
) -> None:
    extra: dict[str, Any] = {} if request_id is None else {"request_id": request_id}
    access_log.info(
        "%s %s %s %.1fms",
        series.transport,
        path or series.method,
        status,
        elapsed * 1000,
        extra={
            "surface": series.surface,
            "method": series.method,
            "route": series.route,
            "transport": series.transport,
            "status": status,
            "duration_ms": round(elapsed * 1000, 3),
            "request_bytes": received,
            "response_bytes": sent,
            "path": path,
            **extra,
        },
    )


class _Exchange:
    """One HTTP request under way: its start, and what its response sent."""

    __slots__ = ("_meter", "_send", "headers", "sent", "start", "status")

    def __init__(self, meter: BridgeMeter, send: Callable[[Any], Awaitable[None]]) -> None:
        self._meter = meter
        self._send = send
        self.start = perf_counter()
        self.status = 0
        self.sent = 0
        self.headers: Any = ()

    async def send(self, message: Any) -> None:
        if message["type"] == "http.response.body":
            self.sent += len(message.get("body", b""))
        else:
            self.status = message.get("status", 0)
            self.headers = message.get("headers", ())
        await self._send(message)

    def request_id(self) -> str:
        for key, value in self.headers:
            if key in _REQUEST_ID_HEADERS:
                return bytes(value).decode("latin-1")
        return "-"

    def end(self, scope: Mapping[str, Any]) -> None:
        self._meter.finished(self, scope)


class _Stream:
    __slots__ = ("first_event", "series", "started")

    def __init__(self, series: Any, started: float) -> None:
        self.series = series
        self.started = started
        self.first_event = False


class BridgeMeter:
    """The bridge's request observer (rest_bridge.app.RequestObserver)."""

    def __init__(self, metrics: Metrics | None, access: bool) -> None:
        self._metrics = metrics
        self._access = access
        self._series: dict[int, _Series] = {}
        self._streams: dict[int, tuple[Any, Any, Any, Any]] = {}
        self._unmatched = _Series(metrics, "", "", UNMATCHED, "rest")

    def begin(self, scope: Any, send: Callable[[Any], Awaitable[None]]) -> _Exchange:
        return _Exchange(self, send)

    def metadata(self, metadata: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        return metadata

    def _series_for(self, route: Any) -> _Series:
        if route is None:
            return self._unmatched
        series = self._series.get(id(route))
        if series is None:
            series = self._series[id(route)] = self._bind(route)
        return series

    def _bind(self, route: Any) -> _Series:
        spec = getattr(route, "spec", None)
        if spec is None:  # a page the bridge serves itself (OpenAPI document, docs)
            return _Series(self._metrics, "", "", "page", "rest")
        binding = route.binding
        return _Series(self._metrics, spec.surface, spec.grpc_path[1:], f"{binding.verb} {binding.template}", "rest")

    def finished(self, exchange: _Exchange, scope: Mapping[str, Any]) -> None:
        series = self._series_for(scope.get(ROUTE_KEY))
        elapsed = perf_counter() - exchange.start
        received = scope.get(BODY_SIZE_KEY) or 0
        series.observe(exchange.status, elapsed, received, exchange.sent)
        if self._access:
            path = scope.get("path", "")
            _log_access(series, exchange.status, elapsed, received, exchange.sent, path, exchange.request_id())

    # --- server-sent event streams ---

    def stream_opened(self, route: Any) -> _Stream | None:
        """A stream about to relay events; it counts as open from its first event
        (one refused before any, say by a rate limit, is a plain error response)."""
        metrics = self._metrics
        if metrics is None:
            return None
        children = self._streams.get(id(route))
        if children is None:
            labels = (route.spec.surface, f"{route.binding.verb} {route.binding.template}")
            children = self._streams[id(route)] = (
                metrics.open_streams.labels(*labels),
                metrics.stream_duration.labels(*labels),
                metrics.first_event.labels(*labels),
                labels,
            )
        return _Stream(children, perf_counter())

    def stream_event(self, stream: _Stream | None) -> None:
        """The stream sent an event: the first one opens it and its delay is observed."""
        if stream is None or stream.first_event:
            return
        stream.first_event = True
        stream.series[0].inc()
        stream.series[2].observe(perf_counter() - stream.started)

    def stream_closed(self, stream: _Stream | None) -> None:
        if stream is None or not stream.first_event:
            return
        stream.series[0].dec()
        stream.series[1].observe(perf_counter() - stream.started)


def _code_of(context: Any) -> str:
    try:
        code = context.code()
    except Exception:  # a context without code(): the abort carried it
        return "UNKNOWN"
    if isinstance(code, grpc.StatusCode):
        return code.name
    return "UNKNOWN" if code is None else str(code)


class GrpcMeter:
    """Wraps the gRPC server's handlers (not the ones the in-process bridge calls)."""

    def __init__(self, metrics: Metrics | None, access: bool, surfaces: Mapping[str, str]) -> None:
        """`surfaces`: service -> the surface serving it."""
        self._metrics = metrics
        self._access = access
        self._surfaces = surfaces

    def wrap(self, path: str, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
        service = path[1:].split("/", 1)[0]
        series = _Series(self._metrics, self._surfaces.get(service, ""), path[1:], path[1:], "grpc")
        access = self._access

        def observe(request: Any, status: str, start: float, sent: int) -> None:
            elapsed = perf_counter() - start
            received = request.ByteSize()
            series.observe(status, elapsed, received, sent)
            if access:
                _log_access(series, status, elapsed, received, sent, "")

        if handler.unary_unary is not None:
            inner_unary = handler.unary_unary

            async def unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
                start = perf_counter()
                status, sent = "OK", 0
                try:
                    response = await inner_unary(request, context)
                    sent = response.ByteSize()
                    return response
                except BaseException as exc:
                    status = _status_of(exc, context)
                    raise
                finally:
                    observe(request, status, start, sent)

            return grpc.unary_unary_rpc_method_handler(
                unary,
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream is not None:
            inner_stream = handler.unary_stream

            async def stream(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
                start = perf_counter()
                status, sent = "OK", 0
                try:
                    async for item in inner_stream(request, context):
                        sent += item.ByteSize()
                        yield item
                except BaseException as exc:
                    status = _status_of(exc, context)
                    raise
                finally:
                    observe(request, status, start, sent)

            return grpc.unary_stream_rpc_method_handler(
                stream,
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler


def _status_of(exc: BaseException, context: Any) -> str:
    """The gRPC status a handler that raised `exc` ends with, as the metrics label it."""
    if isinstance(exc, grpc.aio.AbortError):
        return _code_of(context)
    if isinstance(exc, asyncio.CancelledError | GeneratorExit):
        return "CANCELLED"
    return "UNKNOWN"


class CallEvents:
    """What the admission wrapper reports: refusals by a rate limit or quota, idempotent replays."""

    def __init__(self, metrics: Metrics, surfaces: Mapping[str, str]) -> None:
        self._metrics = metrics
        self._surfaces = surfaces

    def refused(self, service: str, exc: ChorusError) -> None:
        if exc.code != grpc.StatusCode.RESOURCE_EXHAUSTED or exc.retry_after is None:
            return
        quota = exc.info.get("quota") or exc.reason.lower()
        self._metrics.refusals.labels(self._surfaces.get(service, ""), quota).inc()

    def replayed(self, method: str) -> None:
        service = method[1:].split("/", 1)[0]
        self._metrics.replays.labels(self._surfaces.get(service, ""), method[1:]).inc()
