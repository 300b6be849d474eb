"""The echo surface's one service: shouts the text back, after the configured greeting."""

from __future__ import annotations

from typing import Any

from chorus_testing.v1 import echo_surface_pb2, echo_surface_pb2_grpc

from server.platform.errors import FieldViolation, invalid_argument
from server.platform.surface import Platform, ServiceUnit
from tests.support.echo_surface import SETTINGS

SERVICE = "chorus_testing.v1.EchoSurfaceService"


class EchoSurfaceServicer(echo_surface_pb2_grpc.EchoSurfaceServiceServicer):
    def __init__(self, greeting: str) -> None:
        self._greeting = greeting

    async def Shout(self, request: Any, context: Any) -> Any:
        if not request.text:
            raise invalid_argument("Nothing to shout", [FieldViolation("text", "Required")])
        return echo_surface_pb2.ShoutResponse(text=f"{self._greeting}: {request.text.upper()}")


async def build(platform: Platform) -> list[ServiceUnit]:
    greeting = SETTINGS.of(platform.settings).greeting
    return [
        ServiceUnit(
            SERVICE, echo_surface_pb2_grpc.add_EchoSurfaceServiceServicer_to_server, EchoSurfaceServicer(greeting)
        )
    ]
