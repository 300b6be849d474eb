"""The shapes of generated route tables (see `rest_bridge/codegen`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class HttpBinding:
    verb: str
    template: str
    body: str = ""
    response_body: str = ""


@dataclass(frozen=True, slots=True)
class SseSpec:
    style: str  # "named" (event: + data:) or "data" (data: only)
    event_oneof: str
    type_key: str
    done_data: str
    stream_flag_field: str
    stream_flag_default: bool
    unary_field: str
    error_event: str


@dataclass(frozen=True, slots=True)
class MethodSpec:
    service: str
    method: str
    surface: str
    request_type: Any  # a generated message class
    response_type: Any
    server_streaming: bool
    bindings: tuple[HttpBinding, ...]
    success_status: int
    sse: SseSpec | None

    @property
    def grpc_path(self) -> str:
        return f"/{self.service}/{self.method}"
