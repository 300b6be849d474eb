"""How the bridge reaches servicers: a real gRPC channel (loopback or sidecar)."""

from __future__ import annotations

from typing import Any

import grpc

from rest_bridge.route_spec import MethodSpec

# Generous flow control and stream limits: the bridge multiplexes every HTTP
# client over one HTTP/2 connection.
CHANNEL_OPTIONS = (
    ("grpc.http2.lookahead_bytes", 1024 * 1024),
    ("grpc.enable_retries", 0),
)
# The largest message either way; the server's limit should be the same
# (Chorus passes `grpc.max_message_bytes` to both). gRPC's default is 4 MiB.
DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024


def message_size_options(max_message_bytes: int) -> tuple[tuple[str, int], ...]:
    """Both ways, for the channel and the server alike, so a response the bridge's
    channel may take is one the server may send."""
    return (
        ("grpc.max_receive_message_length", max_message_bytes),
        ("grpc.max_send_message_length", max_message_bytes),
    )


class GrpcTransport:
    def __init__(self, target: str, max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> None:
        self.target = target
        options = (*CHANNEL_OPTIONS, *message_size_options(max_message_bytes))
        self._channel = grpc.aio.insecure_channel(target, options=options)
        self._callables: dict[str, Any] = {}

    def callable_for(self, spec: MethodSpec) -> Any:
        found = self._callables.get(spec.grpc_path)
        if found is not None:
            return found
        factory = self._channel.unary_stream if spec.server_streaming else self._channel.unary_unary
        made = factory(
            spec.grpc_path,
            request_serializer=spec.request_type.SerializeToString,
            response_deserializer=spec.response_type.FromString,
        )
        self._callables[spec.grpc_path] = made
        return made

    async def close(self) -> None:
        await self._channel.close()
