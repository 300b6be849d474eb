"""The per-call context that policies fill in and servicers read."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol

from rest_bridge.method_rules import MethodRule
from server.platform.tenancy import Caller


class VerifiedToken(Protocol):
    """A bearer token a surface's policy verified (e.g. ChittyOS auth's access claims)."""

    @property
    def subject(self) -> str: ...

    @property
    def permissions(self) -> tuple[str, ...]: ...


@dataclass(slots=True)
class CallInfo:
    method: str  # full gRPC method, e.g. "/crispy.v1.ChatService/Chat"
    metadata: dict[str, str]  # lower-case keys; binary entries dropped
    client_ip: str
    request_id: str
    # The method's rule from the contracts (access, quotas, rate limit): policies decide by it.
    rule: MethodRule
    # The verb of the HTTP route the bridge took ("GET" also for HEAD); None for a direct gRPC call.
    http_method: str | None = None
    # The request message (None where admission runs without it), for a rate limit keyed by a field.
    request: Any = None
    caller: Caller | None = None
    # Set by a bearer-token policy: the verified token's claims.
    token: VerifiedToken | None = None
    # Sent as response metadata (HTTP headers through the bridge).
    response_headers: dict[str, str] = field(default_factory=dict)
    # What policies took in advance (quotas), given back if the call fails.
    refunds: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # The full service name, e.g. "crispy.v1.ChatService" (worked out from `method` if not given).
    service: str = ""

    def __post_init__(self) -> None:
        if not self.service:
            self.service = self.method[1:].split("/", 1)[0]


log = logging.getLogger("chorus.rpc")


async def give_back(call: CallInfo) -> None:
    """Runs the call's refunds, once. Shielded: a cancellation landing now must
    not leave a refund half done; a refund that fails is logged, never raised."""
    refunds, call.refunds = call.refunds, []
    if not refunds:
        return
    results = await asyncio.shield(asyncio.gather(*(refund() for refund in refunds), return_exceptions=True))
    for result in results:
        if isinstance(result, Exception):
            log.error("could not give back what %s took", call.method, exc_info=result)


_current: ContextVar[CallInfo] = ContextVar("chorus_call")


def current_call() -> CallInfo:
    return _current.get()


def current_tenant_id() -> str:
    """The tenant the current call was admitted for (its tenant policy has run)."""
    caller = _current.get().caller
    assert caller is not None, "a tenant policy runs first"
    return caller.tenant.id


def current_call_or_none() -> CallInfo | None:
    return _current.get(None)


def bind_call(call: CallInfo) -> None:
    _current.set(call)
