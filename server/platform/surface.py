"""The surface contract: what one documented API declares, and what it builds on.

A `Surface` declares, in one place, everything the rest of Chorus derives from:
its name (the `chorus.api.v1.service` option of its services), its dialect
(error envelope, request-id header, rate-limit header names, unknown-field
policy, OpenAPI error schema), its settings section, its default mounts on the
REST listener and its wiring module, whose `build(platform)` returns its gRPC
services. The
composition root (`server/app.py`) lists the surfaces once.

A declaration loads without the generated code: codegen reads the dialects from
the same list before the generated modules exist, so the wiring module (and
with it the surface's servicers) is imported only when the surface is built.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from rest_bridge.dialects.base import Dialect
from server.platform.admission.key_failures import KeyFailures

if TYPE_CHECKING:
    from server.config import Settings, SurfaceSettings
    from server.platform.admission.idempotency import IdempotencyKeys
    from server.platform.admission.policies import Policy
    from server.platform.admission.rate_limit import RateLimiter
    from server.platform.clock import Clock
    from server.platform.jobs.runner import Jobs
    from server.platform.models.registry import ModelRegistry
    from server.platform.storage.database import Database
    from server.platform.tenancy import TenantService

M = TypeVar("M", bound="SurfaceSettings")
T = TypeVar("T")


@dataclass(frozen=True)
class ServiceUnit:
    """One gRPC service: its servicer, how to add it to a server, and its admission policies."""

    name: str  # full service name, e.g. "crispy.v1.ChatService"
    register: Callable[[Any, Any], None]  # the generated add_XServicer_to_server
    servicer: Any
    policies: tuple[Policy, ...] = ()
    # How long the service keeps `idempotency-key`s, if it keeps them (its rules say which methods honour them).
    idempotency: IdempotencyKeys | None = None


@dataclass(frozen=True)
class SettingsSection(Generic[M]):
    """A surface's part of the configuration: the `[key]` table of chorus.toml and
    the `CHORUS_<KEY>__*` variables. Surfaces of one deployment share one section."""

    key: str
    model: type[M]

    def of(self, settings: Settings) -> M:
        """This section of `settings` (a class composed with it, `server.config.compose_settings`)."""
        return cast(M, getattr(settings, self.key))


@dataclass(frozen=True)
class DefaultMount:
    """Where a surface is served unless `rest.mounts` says otherwise (see `MountSettings`)."""

    hosts: tuple[str, ...] = ()
    prefix: str = ""
    # Path prefixes the surface owns: unknown routes under them get its envelope;
    # the longest owned prefix wins where mounts overlap.
    paths: tuple[str, ...] = ()
    # Its OpenAPI document and Swagger UI page, below `prefix` unless `*_below_prefix` is
    # False (distinct where surfaces share a host).
    openapi_path: str = "/openapi.json"
    docs_path: str = "/docs"
    openapi_below_prefix: bool = True
    docs_below_prefix: bool = True


@dataclass(frozen=True)
class Surface:
    """One documented API, declared once."""

    name: str  # e.g. "crispy", "chittyos-sync": the services' `chorus.api.v1.service` surface
    dialect: Dialect
    # The module whose `async build(platform) -> list[ServiceUnit]` builds its services.
    # Imported only when the surface is built: declarations load without the generated
    # code, which codegen needs (it reads the dialects from them).
    wiring: str
    settings: SettingsSection[Any] | None = None
    mounts: tuple[DefaultMount, ...] = (DefaultMount(),)
    # Route tables (`*_http` modules) generated outside chorus_contracts, as a test's
    # contract is; chorus_contracts.bridge_index lists those of our own contracts.
    route_tables: tuple[str, ...] = ()
    # Their method rules tables (modules with RULES), likewise.
    rule_tables: tuple[str, ...] = ()

    async def build(self, platform: Platform) -> list[ServiceUnit]:
        build: Callable[[Platform], Awaitable[list[ServiceUnit]]] = importlib.import_module(self.wiring).build
        return await build(platform)

    @property
    def package(self) -> str:
        """The surface's package (its tables, stores and servicers live below it)."""
        return self.wiring.rpartition(".")[0]


@dataclass
class Platform:
    """What every surface builds on. One per process."""

    settings: Settings
    clock: Clock
    db: Database
    tenants: TenantService
    models: ModelRegistry
    limiter: RateLimiter
    # Things to close at shutdown (providers' HTTP clients and the like).
    closers: list[Callable[[], Any]] = field(default_factory=list)
    # The one lockout of client addresses that keep sending wrong API keys, whichever surface they call.
    key_failures: KeyFailures = field(init=False)
    # The background job runner: surfaces register job types and schedules on it.
    jobs: Jobs = field(init=False)
    _shared: dict[Hashable, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.key_failures = KeyFailures(self.limiter, self.settings.api_key_lockout)
        from server.platform.jobs.runner import Jobs  # loads storage: not for declarations alone

        s = self.settings.jobs
        self.jobs = Jobs(
            self.db,
            self.clock,
            concurrency=s.concurrency,
            poll_interval=s.poll_interval,
            lease=s.lease,
            keep_finished_days=s.keep_finished_days,
        )

    async def shared(self, key: Hashable, build: Callable[[], Awaitable[T]]) -> T:
        """What `build` returns, built once per process under `key` (say, a deployment's
        core that several surfaces use); surfaces are built one after another."""
        if key not in self._shared:
            self._shared[key] = await build()
        return cast(T, self._shared[key])
