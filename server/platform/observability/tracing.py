"""OpenTelemetry traces, exported over OTLP/gRPC when `tracing.otlp_endpoint` is set.

Off (the default) nothing here is imported or called: every hook it would fill stays
None. On, one trace per request:

    HTTP <verb> <route>   the bridge (W3C `traceparent`/`tracestate` from the client)
      rpc <method>        the gRPC call (its parent from the metadata when it came over a channel)
        admission         the pipeline's policies
        servicer <method> the surface's handler
          db fetch | db transaction
          model <id>      the provider call; `traceparent` goes on to the upstream's HTTP request

The bridge puts its span's context in the gRPC metadata (a remote gRPC server continues
the trace), and model providers' HTTP requests carry it (server/platform/http_stream_pool.py,
server/platform/upstream_http.py), as do MCP tool calls (server/platform/mcp/client.py).
A webhook event stores the context it was emitted in; its delivery job, later, is a
`webhook <type>` span of that trace whose request carries it (server/platform/webhooks).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any

import grpc
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from rest_bridge.asgi import ROUTE_KEY
from server.config import TracingSettings
from server.platform.trace_context import TRACE_KEYS

_PROPAGATOR = TraceContextTextMapPropagator()


def current_trace_headers() -> dict[str, str]:
    """`traceparent` (and `tracestate`) of the current span; empty without one."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier


def current_trace_id() -> str:
    span_context = trace.get_current_span().get_span_context()
    return format(span_context.trace_id, "032x") if span_context.is_valid else ""


class Tracing:
    def __init__(self, settings: TracingSettings) -> None:
        endpoint = settings.otlp_endpoint
        self.provider = TracerProvider(
            resource=Resource.create({"service.name": settings.service_name}),
            sampler=ParentBased(TraceIdRatioBased(settings.sample_ratio)),
        )
        exporter = OTLPSpanExporter(endpoint=endpoint, insecure=endpoint.startswith("http://"))
        self.provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=500))
        self.tracer = self.provider.get_tracer("chorus")

    async def shutdown(self) -> None:
        """Sends what is still queued, then stops the exporter."""
        await asyncio.to_thread(self.provider.shutdown)

    @contextlib.contextmanager
    def span(self, name: str, **attributes: Any) -> Iterator[trace.Span]:
        with self.tracer.start_as_current_span(name, attributes=attributes) as span:
            yield span

    @contextlib.contextmanager
    def continued(self, name: str, stored: Mapping[str, str], attributes: Mapping[str, Any]) -> Iterator[trace.Span]:
        """A client span in the trace whose context was stored with deferred work (a
        webhook delivery job), current inside the block; set as `trace_context.continued_span`."""
        parent = _PROPAGATOR.extract({k: v for k, v in stored.items() if k in TRACE_KEYS})
        kind = SpanKind.CLIENT
        with self.tracer.start_as_current_span(name, context=parent, kind=kind, attributes=attributes) as span:
            yield span

    # --- the bridge ---

    def bridge(self, inner: Any) -> TracedBridge:
        return TracedBridge(self.tracer, inner)

    # --- gRPC handlers ---

    def wrap_servicer(self, path: str, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
        """The surface's handler inside a `servicer <method>` span."""
        return _traced(handler, lambda _context: (self.tracer, f"servicer {path[1:]}", None, SpanKind.INTERNAL))

    def wrap_rpc(self, path: str, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
        """The whole call (admission included) inside an `rpc <method>` span: a child of the
        current span in-process (the bridge's), else of the caller's `traceparent`."""
        name = f"rpc {path[1:]}"
        attributes = {"rpc.system": "grpc", "rpc.method": path[1:]}

        def parent(context: Any) -> tuple[Any, str, Any, SpanKind]:
            if trace.get_current_span().get_span_context().is_valid:
                return self.tracer, name, None, SpanKind.INTERNAL
            metadata = {k: v for k, v in (context.invocation_metadata() or ()) if k in TRACE_KEYS}
            return self.tracer, name, _PROPAGATOR.extract(metadata), SpanKind.SERVER

        return _traced(handler, parent, attributes)

    # --- storage and models ---

    def storage(self) -> SpanPerCall:
        return SpanPerCall(self.tracer)

    def models(self) -> ModelSpans:
        return ModelSpans(self.tracer)


def _traced(
    handler: grpc.RpcMethodHandler,
    start: Callable[[Any], tuple[Any, str, Any, SpanKind]],
    attributes: Mapping[str, str] | None = None,
) -> grpc.RpcMethodHandler:
    if handler.unary_unary is not None:
        inner_unary = handler.unary_unary

        async def unary(request: Any, context: Any) -> Any:
            tracer, name, parent, kind = start(context)
            with tracer.start_as_current_span(name, context=parent, kind=kind, attributes=attributes) as span:
                try:
                    return await inner_unary(request, context)
                except grpc.aio.AbortError:
                    _failed(span, context)
                    raise

        return grpc.unary_unary_rpc_method_handler(
            unary, request_deserializer=handler.request_deserializer, response_serializer=handler.response_serializer
        )
    if handler.unary_stream is not None:
        inner_stream = handler.unary_stream

        async def stream(request: Any, context: Any) -> AsyncIterator[Any]:
            tracer, name, parent, kind = start(context)
            span = tracer.start_span(name, context=parent, kind=kind, attributes=attributes)
            span_context = trace.set_span_in_context(span, parent)
            messages = inner_stream(request, context).__aiter__()
            try:
                while True:
                    # Current only while the handler runs, never across a yield.
                    token = otel_context.attach(span_context)
                    try:
                        message = await messages.__anext__()
                    except StopAsyncIteration:
                        return
                    except grpc.aio.AbortError:
                        _failed(span, context)
                        raise
                    finally:
                        otel_context.detach(token)
                    yield message
            finally:
                # Closed now (a cut chat stores its reply here), not whenever GC gets to it.
                close = getattr(messages, "aclose", None)
                if close is not None:
                    token = otel_context.attach(span_context)
                    try:
                        await close()
                    finally:
                        otel_context.detach(token)
                span.end()

        return grpc.unary_stream_rpc_method_handler(
            stream, request_deserializer=handler.request_deserializer, response_serializer=handler.response_serializer
        )
    return handler


def _failed(span: trace.Span, context: Any) -> None:
    code = getattr(context, "code", None)
    value = code() if callable(code) else code
    name = getattr(value, "name", str(value))
    span.set_attribute("rpc.grpc.status_code", name)
    span.set_status(Status(StatusCode.ERROR, name))


class _TracedExchange:
    __slots__ = ("_inner", "_send", "_span", "_token", "status")

    def __init__(self, span: trace.Span, token: Any, inner: Any, send: Any) -> None:
        self._span, self._token, self._inner, self._send = span, token, inner, send
        self.status = 0

    async def send(self, message: Any) -> None:
        if message["type"] == "http.response.start":
            self.status = message.get("status", 0)
        await self._send(message)

    def end(self, scope: Any) -> None:
        if self._inner is not None:
            self._inner.end(scope)
        span = self._span
        route = scope.get(ROUTE_KEY)
        binding = getattr(route, "binding", None)
        if binding is not None:
            template = f"{binding.verb} {binding.template}"
            span.update_name(f"HTTP {template}")
            span.set_attribute("http.route", binding.template)
            span.set_attribute("chorus.surface", route.spec.surface)
        span.set_attribute("http.response.status_code", self.status)
        if self.status >= 500:
            span.set_status(Status(StatusCode.ERROR))
        span.end()
        otel_context.detach(self._token)


class TracedBridge:
    """The bridge's RequestObserver with a span per request, around another observer's
    (metrics, access log) or none."""

    def __init__(self, tracer: trace.Tracer, inner: Any) -> None:
        self._tracer = tracer
        self._inner = inner

    def begin(self, scope: Any, send: Any) -> _TracedExchange:
        carrier = {}
        for key, value in scope["headers"]:
            if key in (b"traceparent", b"tracestate"):
                carrier[key.decode()] = value.decode("latin-1")
        parent = _PROPAGATOR.extract(carrier) if carrier else None
        span = self._tracer.start_span(
            f"HTTP {scope['method']}",
            context=parent,
            kind=SpanKind.SERVER,
            attributes={"http.request.method": scope["method"], "url.path": scope["path"]},
        )
        token = otel_context.attach(trace.set_span_in_context(span, parent))
        inner = self._inner.begin(scope, send) if self._inner is not None else None
        return _TracedExchange(span, token, inner, inner.send if inner is not None else send)

    def metadata(self, metadata: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        """The gRPC metadata with this request's span as the trace's parent."""
        kept = tuple(pair for pair in metadata if pair[0] not in TRACE_KEYS)
        return kept + tuple(current_trace_headers().items())

    def stream_opened(self, route: Any) -> Any:
        return self._inner.stream_opened(route) if self._inner is not None else None

    def stream_event(self, stream: Any) -> None:
        if self._inner is not None:
            self._inner.stream_event(stream)

    def stream_closed(self, stream: Any) -> None:
        if self._inner is not None:
            self._inner.stream_closed(stream)


class SpanPerCall:
    """A StorageObserver: one span per database call made within a traced request (the
    job runner's polls and start-up's queries would each be a trace of their own)."""

    def __init__(self, tracer: trace.Tracer) -> None:
        self._tracer = tracer

    def started(self, operation: str) -> trace.Span | None:
        if not trace.get_current_span().get_span_context().is_valid:
            return None
        return self._tracer.start_span(f"db {operation}", attributes={"db.operation.name": operation})

    def ended(self, watch: trace.Span | None) -> None:
        if watch is not None:
            watch.end()


class ModelSpans:
    """A ModelObserver: a span per model call, current while the provider runs."""

    def __init__(self, tracer: trace.Tracer) -> None:
        self._tracer = tracer

    def started(self, model: str, provider: str) -> trace.Span:
        attributes = {"gen_ai.request.model": model, "chorus.model.provider": provider}
        return self._tracer.start_span(f"model {model}", kind=SpanKind.CLIENT, attributes=attributes)

    def first_text(self, watch: trace.Span) -> None:
        watch.add_event("first token")

    def usage(self, watch: trace.Span, prompt_tokens: int, completion_tokens: int) -> None:
        watch.set_attribute("gen_ai.usage.input_tokens", prompt_tokens)
        watch.set_attribute("gen_ai.usage.output_tokens", completion_tokens)

    def ended(self, watch: trace.Span, error: str | None) -> None:
        if error is not None:
            watch.set_status(Status(StatusCode.ERROR, error))
        watch.end()

    def resume(self, watch: trace.Span) -> object:
        return otel_context.attach(trace.set_span_in_context(watch))

    def pause(self, token: object) -> None:
        otel_context.detach(token)  # type: ignore[arg-type]
