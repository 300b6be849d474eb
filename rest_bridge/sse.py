"""Server-Sent Events rendering for a server-streaming method's messages."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson
from google.protobuf.message import Message

from rest_bridge.asgi import Send
from rest_bridge.jsoncodec import MessageCodec
from rest_bridge.metadata import response_headers
from rest_bridge.route_spec import SseSpec

HEARTBEAT = b": keep-alive\n\n"
HEADERS = [
    (b"content-type", b"text/event-stream"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]


def _frame(event: str | None, data: bytes) -> bytes:
    if event is None:
        return b"data: " + data + b"\n\n"
    return b"event: " + event.encode() + b"\ndata: " + data + b"\n\n"


class SseEncoder:
    """Turns stream messages into SSE frames in the style the method declares."""

    def __init__(self, spec: SseSpec | None, codec: MessageCodec) -> None:
        self._spec = spec
        self._codec = codec
        self._named = spec is not None and spec.style == "named"
        self._oneof = spec.event_oneof if spec is not None else ""
        self._type_key = spec.type_key if spec is not None else ""

    def event(self, message: Message) -> bytes:
        if not self._oneof:
            return _frame(None, self._codec.to_json(message))
        name = message.WhichOneof(self._oneof) or ""
        payload = self._codec.field_value_to_dict(message, name) if name else {}
        if self._named:
            return _frame(name, orjson.dumps(payload))
        if self._type_key and isinstance(payload, dict):
            payload = {self._type_key: name, **payload}
        return _frame(None, orjson.dumps(payload))

    def error(self, data: dict[str, Any]) -> bytes:
        event = self._spec.error_event if self._spec is not None else "error"
        if self._named:
            return _frame(event or "error", orjson.dumps(data))
        if self._type_key:
            data = {self._type_key: event or "error", **data}
        return _frame(None, orjson.dumps(data))

    def done(self) -> bytes:
        if self._spec is not None and self._spec.done_data:
            return _frame(None, self._spec.done_data.encode())
        return b""


class SseWriter:
    """Writes one SSE response: headers on first write, frames, idle heartbeats.

    The event loop and the keep-alive task both write, so writes are
    serialised; an uncontended asyncio.Lock costs no suspension.
    """

    def __init__(self, send: Send, call: Any, status: int) -> None:
        self._send = send
        self._call = call
        self._status = status
        self._lock = asyncio.Lock()
        self._last_write = time.monotonic()
        self.started = False

    async def write(self, body: bytes, *, more: bool = True) -> None:
        async with self._lock:
            if not self.started:
                initial = await self._call.initial_metadata()
                start = {
                    "type": "http.response.start",
                    "status": self._status,
                    "headers": [*HEADERS, *response_headers(initial)],
                }
                await self._send(start)
                self.started = True
            await self._send({"type": "http.response.body", "body": body, "more_body": more})
            self._last_write = time.monotonic()

    async def keep_alive(self, interval: float) -> None:
        """Sends a comment whenever nothing was written for `interval` seconds.

        Before the first event this commits the response (200 and headers), so
        a slow first token cannot make clients or proxies time out."""
        while True:
            idle = time.monotonic() - self._last_write
            if idle < interval:
                await asyncio.sleep(interval - idle)
                continue
            await self.write(HEARTBEAT)
