"""What the plugin reads out of descriptors: one entry per HTTP-bound method."""

from __future__ import annotations

from dataclasses import dataclass, field

from rest_bridge.method_rules import MethodRule


@dataclass(frozen=True)
class Binding:
    verb: str  # GET, POST, ... (custom rules keep their own verb)
    template: str
    body: str  # "", "*" or a field name
    response_body: str


@dataclass(frozen=True)
class SseSpecModel:
    style: str  # "named" | "data"
    event_oneof: str
    type_key: str
    done_data: str
    stream_flag_field: str
    stream_flag_default: bool
    unary_field: str
    error_event: str


@dataclass(frozen=True)
class MethodModel:
    proto_file: str
    package: str
    service: str  # full name, e.g. crispy.v1.ChatService
    method: str
    surface: str
    request_type: str  # full name
    response_type: str
    server_streaming: bool
    client_streaming: bool
    bindings: tuple[Binding, ...]
    success_status: int
    sse: SseSpecModel | None
    comment: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)
    rule: MethodRule | None = None  # its admission rule; None: it has none
    # The surface's security schemes that prove a caller of its service; (): any of them.
    security_schemes: tuple[str, ...] = ()
