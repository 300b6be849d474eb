"""Builds the operator's view of one process from its settings and wires it into the
platform's parts: the bridge, the gRPC handlers, storage, Redis, models, admission."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import grpc

from server.config import Settings
from server.platform.observability.admin import AdminApp, Readiness, now_ms
from server.platform.observability.meters import (
    CallTimer,
    ModelMeter,
    Observers,
    refresh_job_gauges,
    watch_loop_lag,
)
from server.platform.observability.metrics import Metrics
from server.platform.observability.requests import BridgeMeter, CallEvents, GrpcMeter

if TYPE_CHECKING:
    import uvicorn

    from server.platform.surface import Platform

log = logging.getLogger("chorus.admin")


class Observability:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        admin = settings.admin
        self.metrics = Metrics() if admin.enabled and admin.metrics else None
        access = settings.logs.access_log
        watched = self.metrics is not None or access
        self.bridge_meter = BridgeMeter(self.metrics, access) if watched else None
        self._access = access
        self.readiness = Readiness({})
        self.tracing = _tracing(settings)
        self._platform: Platform | None = None
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._lag: asyncio.Task[None] | None = None
        self.url = ""

    # --- wiring ---

    def attach(self, platform: Platform) -> None:
        """Watches the platform's storage, Redis and model calls; readiness checks them."""
        self._platform = platform
        metrics, tracing = self.metrics, self.tracing
        if metrics is not None and platform.settings.redis_url:
            platform.limiter.observer = CallTimer(metrics.redis_duration)
        storage = [o for o in (metrics and CallTimer(metrics.db_duration), tracing and tracing.storage()) if o]
        platform.db.observer = _one(storage)
        models = [o for o in (metrics and ModelMeter(metrics), tracing and tracing.models()) if o]
        platform.models.observer = _one(models)
        checks = self.readiness.checks
        checks["storage"] = platform.db.ping
        checks["migrations"] = _at_head(platform.db)
        if platform.settings.redis_url:
            checks["redis"] = _redis_answers(platform.settings.redis_url, platform)

    def call_events(self, surfaces: Mapping[str, str]) -> CallEvents | None:
        return CallEvents(self.metrics, surfaces) if self.metrics is not None else None

    def bridge_observer(self) -> Any:
        """The bridge's request observer: metrics and access log, inside a span when tracing."""
        if self.tracing is None:
            return self.bridge_meter
        return self.tracing.bridge(self.bridge_meter)

    def servicers(
        self, handlers: Mapping[str, Mapping[str, grpc.RpcMethodHandler]]
    ) -> dict[str, dict[str, grpc.RpcMethodHandler]]:
        """The surfaces' own handlers, each in a span when tracing (before admission wraps them)."""
        tracing = self.tracing
        if tracing is None:
            return {name: dict(methods) for name, methods in handlers.items()}
        return {
            name: {p: tracing.wrap_servicer(p, h) for p, h in methods.items()} for name, methods in handlers.items()
        }

    def calls(
        self, handlers: Mapping[str, Mapping[str, grpc.RpcMethodHandler]], interceptor: Any
    ) -> dict[str, dict[str, grpc.RpcMethodHandler]]:
        """The admitted handlers (what the in-process bridge calls), in a span when tracing."""
        tracing = self.tracing
        if tracing is None:
            return {name: dict(methods) for name, methods in handlers.items()}
        interceptor.admission_span = lambda: tracing.span("admission")
        return {name: {p: tracing.wrap_rpc(p, h) for p, h in methods.items()} for name, methods in handlers.items()}

    def grpc_handlers(
        self, handlers: Mapping[str, Mapping[str, grpc.RpcMethodHandler]], surfaces: Mapping[str, str]
    ) -> dict[str, dict[str, grpc.RpcMethodHandler]]:
        """The gRPC server's handlers, metered (the in-process bridge keeps the plain ones)."""
        wrap = self.grpc_meter(surfaces)
        if wrap is None:
            return {name: dict(methods) for name, methods in handlers.items()}
        return {name: {p: wrap(p, h) for p, h in methods.items()} for name, methods in handlers.items()}

    def grpc_meter(
        self, surfaces: Mapping[str, str]
    ) -> Callable[[str, grpc.RpcMethodHandler], grpc.RpcMethodHandler] | None:
        """Wraps a gRPC server handler in the request metrics and access log; None when both are off."""
        if self.metrics is None and not self._access:
            return None
        return GrpcMeter(self.metrics, self._access, surfaces).wrap

    # --- the admin port ---

    async def start_admin(
        self,
        bind: Callable[[str, int], socket.socket],
        server_class: Callable[[uvicorn.Config], uvicorn.Server],
    ) -> str:
        """Serves /metrics, /livez, /readyz when `[admin]` is enabled; returns its URL ("" if not).
        `bind(host, port)`: the listening socket; `server_class`: uvicorn's server, as the REST
        bridge's (the process owns the signals)."""
        admin = self.settings.admin
        if not admin.enabled or self._task is not None:
            return self.url
        import uvicorn

        app = AdminApp(self.readiness, self.metrics, self._refresh if self.metrics is not None else None)
        sock = bind(admin.host, admin.port)
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", server_header=False)
        server = server_class(config)
        self._server = server
        self._task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.01)
        if self.metrics is not None:
            self._lag = asyncio.create_task(watch_loop_lag(self.metrics))
        host, port = sock.getsockname()[:2]
        self.url = f"http://{host}:{port}"
        return self.url

    async def _refresh(self) -> None:
        if self.metrics is not None and self._platform is not None:
            await refresh_job_gauges(self.metrics, self._platform.db, now_ms())

    async def stop(self) -> None:
        """Last of all at shutdown: /readyz keeps answering 503 while the rest drains."""
        if self._lag is not None:
            self._lag.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._lag
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await asyncio.gather(self._task, return_exceptions=True)
        self._server = self._task = None
        if self.tracing is not None:
            await self.tracing.shutdown()
            from server.platform import logs, trace_context

            trace_context.current_headers = None
            trace_context.continued_span = None
            logs.trace_id_of_current_span = logs.no_trace_id


def _one(observers: list[Any]) -> Any:
    """None, the one observer, or all of them behind one."""
    if not observers:
        return None
    return observers[0] if len(observers) == 1 else Observers(*observers)


def _tracing(settings: Settings) -> Any:
    """Tracing when an OTLP endpoint is configured; off, OpenTelemetry is not even imported."""
    if not settings.tracing.otlp_endpoint:
        return None
    from server.config import ConfigError
    from server.platform import logs, trace_context

    try:
        from server.platform.observability import tracing
    except ImportError as exc:
        raise ConfigError(
            f"tracing.otlp_endpoint is set, but OpenTelemetry is not installed ({exc.name}): install chorus[tracing]"
        ) from None

    traces = tracing.Tracing(settings.tracing)
    trace_context.current_headers = tracing.current_trace_headers
    trace_context.continued_span = traces.continued
    logs.trace_id_of_current_span = tracing.current_trace_id
    return traces


def _at_head(db: Any) -> Any:
    """A check that the schema is at the newest migration the code knows."""
    head: list[str] = []

    async def check() -> None:
        from sqlalchemy import text

        if not head:
            head.append(await asyncio.to_thread(_script_head))
        current = await db.fetch_value(text("SELECT version_num FROM alembic_version"))
        if current != head[0]:
            raise RuntimeError(f"schema at {current!r}, code expects {head[0]!r} (run `chorus migrate`)")

    return check


def _script_head() -> str:
    from alembic.script import ScriptDirectory

    from server.platform.storage.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    return head or ""


def _redis_answers(url: str, platform: Platform) -> Any:
    from redis.asyncio import Redis

    client = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    platform.closers.append(client.aclose)

    async def check() -> None:
        await client.ping()

    return check
