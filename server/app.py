"""Composition root: the surfaces this process serves, and the platform they run on.

`SURFACES` lists them once; the gRPC services, the pipeline's request-id keys and
error domains, the bridge's dialects and default mounts, and the settings sections
all derive from that list (or from the list given to `Chorus`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import resource
import signal
import socket
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import grpc
import uvicorn

from rest_bridge.inprocess import HandlerCollector
from rest_bridge.method_rules import MethodRule, load_method_rules, unruled
from server.config import DocsPage, MountSettings, OpenApiPage, Settings
from server.platform.admission.call import CallInfo
from server.platform.admission.client_address import ClientAddresses
from server.platform.admission.idempotency import Idempotency
from server.platform.admission.pipeline import Pipeline
from server.platform.admission.rate_limit import RateLimiter
from server.platform.admission.rules import RuleError, check_rules
from server.platform.clock import Clock, SystemClock
from server.platform.grpc.interceptor import PipelineInterceptor
from server.platform.grpc.server import build_grpc_server, mark_serving
from server.platform.models.setup import build_model_registry
from server.platform.observability.setup import Observability
from server.platform.storage.database import Database
from server.platform.storage.idempotency_store import IdempotencyStore
from server.platform.storage.migrate import upgrade_async
from server.platform.surface import Platform, ServiceUnit, Surface
from server.platform.tenancy import TenantService
from server.surfaces.agentchassis import surface as agentchassis
from server.surfaces.chaozcode import surface as chaozcode
from server.surfaces.chittyos.ai import surface as chittyos_ai
from server.surfaces.chittyos.auth import surface as chittyos_auth
from server.surfaces.chittyos.id import surface as chittyos_id
from server.surfaces.chittyos.mcp import surface as chittyos_mcp
from server.surfaces.chittyos.sync import surface as chittyos_sync
from server.surfaces.crispy import surface as crispy
from server.surfaces.mcos import surface as mcos

if TYPE_CHECKING:
    from rest_bridge.app import Mount
    from rest_bridge.dialects import Dialect

log = logging.getLogger("chorus")

# Every surface this process serves, in registration order: one per document
# (ChittyOS's five services share one deployment).
SURFACES: tuple[Surface, ...] = (
    crispy.SURFACE,
    chittyos_id.SURFACE,
    chittyos_auth.SURFACE,
    chittyos_sync.SURFACE,
    chittyos_ai.SURFACE,
    chittyos_mcp.SURFACE,
    mcos.SURFACE,
    chaozcode.SURFACE,
    agentchassis.SURFACE,
)


def dialects(surfaces: Sequence[Surface] = SURFACES) -> dict[str, Dialect]:
    """Surface name -> its dialect: the bridge's input, and codegen's (the OpenAPI error
    schemas; `scripts/gen.py` names this function to the protoc plugin)."""
    return {s.name: s.dialect for s in surfaces}


def rest_mounts(settings: Settings, surfaces: Sequence[Surface] = SURFACES) -> list[MountSettings]:
    """The configured `rest.mounts`, or else each surface's default mounts."""
    if settings.rest.mounts:
        return list(settings.rest.mounts)
    return [
        MountSettings(
            surface=s.name,
            hosts=list(m.hosts),
            prefix=m.prefix,
            paths=list(m.paths),
            openapi=OpenApiPage(path=m.openapi_path, below_prefix=m.openapi_below_prefix),
            docs=DocsPage(path=m.docs_path, below_prefix=m.docs_below_prefix),
        )
        for s in surfaces
        for m in s.mounts
    ]


@dataclass
class Endpoints:
    grpc: str = ""
    rest: str = ""
    # This process's gRPC server alone, for its own bridge: a pre-forked
    # worker's `grpc` port is shared, so a call there may land on a sibling.
    own_grpc: str = ""
    # The admin port's URL (/metrics, /livez, /readyz); "" when `[admin]` is off.
    admin: str = ""


def bind_socket(host: str, port: int, reuse_port: bool = False) -> socket.socket:
    """`reuse_port`: one of the pre-forked workers' listeners on a shared port (server/workers.py)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted sockets only
    # then, and without it every response's second write waits ~40 ms (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def _check_contract_surface(service: str, surface: str, contract_surfaces: Mapping[str, str]) -> None:
    """The service's contract names the surface that builds it (`chorus.api.v1.service`,
    which codegen writes into each method's rule, as into the bridge's route tables):
    else its routes would be mounted elsewhere. `contract_surfaces`: service -> that name;
    a service without rules is left to `check_rules`."""
    declared = contract_surfaces.get(service, surface)
    if declared != surface:
        raise ValueError(f"{service}: its contract names surface {declared!r}, but surface {surface!r} builds it")


WORKER_HEADER = "x-chorus-worker"
# After the grace period, calls still running are ended with the shutdown status;
# this long more lets them store what they must and send it, before grpc and
# uvicorn cut whatever is left.
SHUTDOWN_CUT_MARGIN = 2.0


async def _name_worker(call: CallInfo) -> None:
    """A pre-forked worker's calls carry its pid, so the spread across workers is observable."""
    call.response_headers[WORKER_HEADER] = str(os.getpid())


def _connections_within_open_file_limit() -> int:
    """Room for client sockets beside the database, gRPC channels, logs and the like.

    The soft open-file limit is first raised to the hard one (as Go's runtime does):
    a default soft limit of 1,024 would cap a server at a few hundred clients.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard and (hard == resource.RLIM_INFINITY or soft < hard):
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
    if soft == resource.RLIM_INFINITY:
        return 65_536
    return max(16, soft - 256)


def _rules_of(surfaces: Sequence[Surface]) -> dict[str, MethodRule]:
    """The generated rules table, plus those of contracts generated outside it (a test's)."""
    rules = dict(load_method_rules())
    for surface in surfaces:
        for table in surface.rule_tables:
            rules.update(load_method_rules(table))
    return rules


def _served_handlers(units: list[ServiceUnit]) -> dict[str, dict[str, grpc.RpcMethodHandler]]:
    """Service -> the handlers its servicer registers, by gRPC path."""
    served: dict[str, dict[str, grpc.RpcMethodHandler]] = {}
    for unit in units:
        collector = HandlerCollector()
        unit.register(unit.servicer, collector)
        served[unit.name] = collector.handlers
    return served


def _bridge_mount(settings: MountSettings) -> Mount:
    from rest_bridge.app import Mount
    from rest_bridge.cors import CorsPolicy

    cors = settings.cors
    policy = None
    if cors is not None:
        policy = CorsPolicy.build(
            cors.allow_origins,
            cors.allow_methods,
            cors.allow_headers,
            cors.expose_headers,
            cors.allow_credentials,
            cors.max_age,
        )
    serves_document = settings.openapi.enabled
    return Mount(
        settings.surface,
        tuple(h.lower() for h in settings.hosts),
        settings.prefix,
        tuple(settings.paths),
        openapi_path=settings.openapi.url(settings.prefix) if serves_document else "",
        # The page shows the document: no document, no page.
        docs_path=settings.docs.url(settings.prefix) if serves_document and settings.docs.enabled else "",
        cors=policy,
    )


class _EmbeddedUvicorn(uvicorn.Server):
    """uvicorn without its own signal handling: `Chorus` owns SIGTERM/SIGINT."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class Chorus:
    """One Chorus process: the gRPC server, the REST bridge, or both."""

    def __init__(
        self,
        settings: Settings,
        clock: Clock | None = None,
        *,
        worker: bool = False,
        surfaces: Sequence[Surface] = SURFACES,
        rules: Mapping[str, MethodRule] | None = None,
    ) -> None:
        """`worker`: one of `chorus serve --workers N`'s processes: the supervisor has
        migrated the database, the ports are shared, and calls name the worker.
        `surfaces`: what this process serves; `settings` must have their sections
        (`load_settings(surfaces=...)`). `rules`: the methods' rules; by default the
        generated table and the surfaces' own `rule_tables`."""
        missing = [s.settings.key for s in surfaces if s.settings is not None and not hasattr(settings, s.settings.key)]
        if missing:
            raise ValueError(f"settings lack the section(s) {missing}: load them for these surfaces")
        self.settings = settings
        self.surfaces = tuple(surfaces)
        self.rules = _rules_of(self.surfaces) if rules is None else rules
        self.worker = worker
        self.clock = clock or SystemClock()
        self.endpoints = Endpoints()
        self._grpc_server: grpc.aio.Server | None = None
        self._health = None
        self._rest_server: uvicorn.Server | None = None
        self._rest_task: asyncio.Task[None] | None = None
        self._transport: Any = None
        self._bridge: Any = None
        self._db: Database | None = None
        self._platform: Platform | None = None
        self._units: list[ServiceUnit] = []
        self._handlers: dict[str, dict[str, grpc.RpcMethodHandler]] = {}
        self._wrapped: dict[str, dict[str, grpc.RpcMethodHandler]] = {}
        # Metrics, probes, access log: the admin port (`[admin]`), started with the first server.
        self.observability = Observability(settings)

    # --- gRPC side ---

    async def start_grpc(self) -> str:
        s = self.settings
        if not self.worker:
            await upgrade_async(s.resolved_database_url)
        self._db = db = Database(s.resolved_database_url)
        self._platform = platform = Platform(
            settings=s,
            clock=self.clock,
            db=db,
            tenants=TenantService(db, self.clock),
            models=build_model_registry(s.models),
            limiter=RateLimiter(s.redis_url or "memory://", s.redis_prefix),
        )
        self.observability.attach(platform)
        contract_surfaces = {rule.service: rule.surface for rule in self.rules.values()}
        surface_of: dict[str, Surface] = {}
        for surface in self.surfaces:
            for unit in await surface.build(platform):
                _check_contract_surface(unit.name, surface.name, contract_surfaces)
                self._units.append(unit)
                surface_of[unit.name] = surface
        keeps_keys = {u.name: u.idempotency for u in self._units if u.idempotency}
        # Deny by default: no server while a served method lacks a rule or a policy to enforce it.
        self._handlers = self.observability.servicers(_served_handlers(self._units))
        check_rules(self._handlers, {u.name: u.policies for u in self._units}, self.rules, keeps_keys)
        first = (_name_worker,) if self.worker else ()
        pipeline = Pipeline(
            {u.name: (*first, *u.policies) for u in self._units},
            ClientAddresses(s.trusted_proxies, s.proxy_header),
            {name: surface.dialect.request_id_header.decode() for name, surface in surface_of.items()},
            {name: surface.name for name, surface in surface_of.items()},
            self.rules,
        )
        idempotency = Idempotency(IdempotencyStore(db), self.clock, keeps_keys, self.rules)
        platform.closers.append(idempotency.aclose)
        surface_names = {name: surface.name for name, surface in surface_of.items()}
        self._interceptor = interceptor = PipelineInterceptor(
            pipeline, idempotency, events=self.observability.call_events(surface_names)
        )
        # Each handler wrapped once, here, rather than by a server interceptor on every
        # call; the in-process bridge calls the very same wrapped handlers.
        self._wrapped = self.observability.calls(
            {
                name: {path: interceptor.wrap(path, handler) for path, handler in handlers.items()}
                for name, handlers in self._handlers.items()
            },
            interceptor,
        )
        served = self.observability.grpc_handlers(self._wrapped, surface_names)
        server, health_servicer = build_grpc_server(
            {path: handler for handlers in served.values() for path, handler in handlers.items()},
            list(served),
            [],
            reuse_port=self.worker,
            max_message_bytes=s.grpc.max_message_bytes,
            wrap_health=self.observability.grpc_meter(surface_names),
        )
        port = server.add_insecure_port(f"{s.grpc.host}:{s.grpc.port}")
        if port == 0:
            raise OSError(f"cannot listen for gRPC on {s.grpc.host}:{s.grpc.port}")
        self.endpoints.own_grpc = f"{s.grpc.host}:{port}"
        if self.worker:
            loopback = "[::1]" if ":" in s.grpc.host else "127.0.0.1"
            own = server.add_insecure_port(f"{loopback}:0")
            if own == 0:
                raise OSError(f"cannot listen for gRPC on {loopback}:0")
            self.endpoints.own_grpc = f"{loopback}:{own}"
        await server.start()
        if s.jobs.enabled:
            platform.jobs.start()
        await mark_serving(health_servicer, self._service_names, True)
        self._grpc_server, self._health = server, health_servicer
        self.endpoints.grpc = f"{s.grpc.host}:{port}"
        self.endpoints.admin = await self._start_admin()
        return self.endpoints.grpc

    @property
    def units(self) -> tuple[ServiceUnit, ...]:
        """The gRPC services this process serves (once `start_grpc` has built them)."""
        return tuple(self._units)

    @property
    def _route_tables(self) -> list[str]:
        return [table for surface in self.surfaces for table in surface.route_tables]

    @property
    def _service_names(self) -> list[str]:
        return [u.name for u in self._units]

    # --- REST side ---

    def _inprocess_transport(self) -> Any:
        from rest_bridge.inprocess import InProcessTransport

        return InProcessTransport(
            {path: handler for handlers in self._wrapped.values() for path, handler in handlers.items()},
            max_message_bytes=self.settings.grpc.max_message_bytes,
        )

    async def start_rest(self, upstream: str) -> str:
        """Serves the bridge; `upstream` is a gRPC address, or "" for this process in-process."""
        # Imported here so a gRPC-only process never loads the bridge.
        from rest_bridge.app import BridgeApp, BridgeLimits, load_method_specs, load_route_table
        from rest_bridge.http_protocol import guarded_protocol
        from rest_bridge.transport import GrpcTransport

        s = self.settings
        specs = [*load_method_specs(), *(spec for t in self._route_tables for spec in load_route_table(t))]
        without_rule = unruled([spec.grpc_path for spec in specs], self.rules)
        if without_rule:  # a bridge alone, in front of another server, refuses to expose them too
            raise RuleError("routes of methods without a rule: " + ", ".join(without_rule))
        self._transport = GrpcTransport(upstream, s.grpc.max_message_bytes) if upstream else self._inprocess_transport()
        app = BridgeApp(
            specs,
            self._transport,
            [_bridge_mount(m) for m in rest_mounts(s, self.surfaces)],
            dialects(self.surfaces),
            BridgeLimits(s.rest.max_body_bytes, s.rest.sse_heartbeat, s.rest.body_timeout),
            observer=self.observability.bridge_observer(),
        )
        sock = bind_socket(s.rest.host, s.rest.port, reuse_port=self.worker)
        config = uvicorn.Config(
            app,
            http=guarded_protocol(
                header_timeout=s.rest.header_timeout,
                max_connections=s.rest.max_connections or _connections_within_open_file_limit(),
            ),
            timeout_keep_alive=s.rest.keep_alive_timeout,
            log_level="warning",
            access_log=False,
            lifespan="off",
            # The bridge appends its peer to X-Forwarded-For; believing the
            # chain is the gRPC server's decision (`trusted_proxies`), not uvicorn's.
            proxy_headers=False,
            timeout_graceful_shutdown=math.ceil(s.grpc.shutdown_grace + SHUTDOWN_CUT_MARGIN),
            server_header=False,
            date_header=False,
        )
        self._rest_server = _EmbeddedUvicorn(config)
        self._bridge = app
        self._rest_task = asyncio.create_task(self._rest_server.serve(sockets=[sock]))
        while not self._rest_server.started:
            if self._rest_task.done():
                self._rest_task.result()
            await asyncio.sleep(0.01)
        host, port = sock.getsockname()[:2]
        self.endpoints.rest = f"http://{host}:{port}"
        self.endpoints.admin = await self._start_admin()
        return self.endpoints.rest

    async def _start_admin(self) -> str:
        def bind(host: str, port: int) -> socket.socket:
            return bind_socket(host, port, reuse_port=self.worker)

        return await self.observability.start_admin(bind, _EmbeddedUvicorn)

    # --- lifecycle ---

    async def stop(self) -> None:
        """Stops accepting, lets open calls finish within the grace period, then cancels."""
        grace = self.settings.grpc.shutdown_grace
        # First: /readyz answers 503 from now on, while open calls and streams finish.
        self.observability.readiness.draining = True
        if self._health is not None:
            await mark_serving(self._health, self._service_names, False)
        if self._rest_server is not None:
            self._rest_server.should_exit = True
        waits = []
        cut: asyncio.TimerHandle | None = None
        if self._grpc_server is not None:
            cut = asyncio.get_running_loop().call_later(grace, self._cut_open_calls)
            waits.append(self._grpc_server.stop(grace + SHUTDOWN_CUT_MARGIN))
        elif self._bridge is not None:
            # A bridge alone: its own streams (a bridge in front of this process's
            # server relays the server's shutdown status instead).
            cut = asyncio.get_running_loop().call_later(grace, self._bridge.cut_streams)
        if self._rest_task is not None:
            waits.append(self._rest_task)
        if self._platform is not None:
            # Background jobs drain alongside the open calls (see server/platform/jobs/runner.py).
            waits.append(self._platform.jobs.drain(grace))
        try:
            await asyncio.gather(*waits, return_exceptions=True)
        finally:
            if cut is not None:
                cut.cancel()
        if self._transport is not None:
            await self._transport.close()
        if self._platform is not None:
            await self._platform.models.aclose()
            for close in self._platform.closers:
                result = close()
                if asyncio.iscoroutine(result):
                    await result
        if self._db is not None:
            await self._db.close()
        await self.observability.stop()

    def _cut_open_calls(self) -> None:
        count = self._interceptor.open_calls.cut()
        if count:
            log.info("grace period over: ended %d open call(s) with SHUTTING_DOWN", count)

    async def run_until_signal(self) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        log.info("shutting down (grace %.1fs)", self.settings.grpc.shutdown_grace)
        await self.stop()
