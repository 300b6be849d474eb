"""Surface wiring: which servicers serve each documented API, and with which policies.

Each module builds one surface's services from the shared `Platform` (storage,
tenancy, models, limiter). The composition root (`server/app.py`) registers
whatever they return; nothing here handles a request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from server.config import Settings
from server.platform.admission.idempotency import IdempotencyKeys
from server.platform.admission.key_failures import KeyFailures
from server.platform.admission.policies import Policy
from server.platform.admission.rate_limit import RateLimiter
from server.platform.clock import Clock
from server.platform.models.registry import ModelRegistry
from server.platform.storage.database import Database
from server.platform.tenancy import TenantService


@dataclass(frozen=True)
class ServiceUnit:
    """One gRPC service: its servicer, how to add it to a server, and its admission policies."""

    name: str  # full service name, e.g. "crispy.v1.ChatService"
    register: Callable[[Any, Any], None]  # the generated add_XServicer_to_server
    servicer: Any
    policies: tuple[Policy, ...] = ()
    # The metadata key of the request's id (read, or generated, and echoed).
    request_id_key: str = "x-request-id"
    # How long the service keeps `idempotency-key`s, if it keeps them (its rules say which methods honour them).
    idempotency: IdempotencyKeys | None = None


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

    def __post_init__(self) -> None:
        self.key_failures = KeyFailures(self.limiter, self.settings.api_key_lockout)
