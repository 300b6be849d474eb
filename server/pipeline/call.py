"""The per-call context that policies fill in and servicers read."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field

from server.domain.access_tokens import AccessClaims
from server.domain.tenancy import Caller


@dataclass(slots=True)
class CallInfo:
    method: str  # full gRPC method, e.g. "/crispy.v1.ChatService/Chat"
    metadata: dict[str, str]  # lower-case keys; binary entries dropped
    client_ip: str
    request_id: str
    caller: Caller | None = None
    # Set by the bearer-token policy: the verified access token's claims.
    token: AccessClaims | None = None
    # Sent as response metadata (HTTP headers through the bridge).
    response_headers: dict[str, str] = field(default_factory=dict)

    @property
    def service(self) -> str:
        return self.method[1:].split("/", 1)[0]


_current: ContextVar[CallInfo] = ContextVar("chorus_call")


def current_call() -> CallInfo:
    return _current.get()


def current_call_or_none() -> CallInfo | None:
    return _current.get(None)


def bind_call(call: CallInfo) -> None:
    _current.set(call)
