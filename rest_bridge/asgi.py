"""Minimal ASGI plumbing: body reading with a limit, and plain responses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

JSON_TYPE = (b"content-type", b"application/json")
# Scope keys where the bridge leaves the matched route and the declared body size,
# for its RequestObserver (rest_bridge/app.py).
ROUTE_KEY = "chorus.route"
BODY_SIZE_KEY = "chorus.body_size"


class BodyTooLarge(Exception):
    pass


class ClientGone(Exception):
    pass


class BodyTimeout(Exception):
    """The body did not arrive in time."""


async def read_body(receive: Receive, declared_length: int | None, limit: int) -> bytes:
    if declared_length is not None and declared_length > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def send_json(send: Send, status: int, payload: bytes, headers: Headers, *, head_only: bool = False) -> None:
    all_headers = [JSON_TYPE, (b"content-length", str(len(payload)).encode()), *headers]
    await send({"type": "http.response.start", "status": status, "headers": all_headers})
    await send({"type": "http.response.body", "body": b"" if head_only else payload})


async def send_bytes(send: Send, status: int, payload: bytes, headers: Headers, *, head_only: bool = False) -> None:
    """`headers` carry the content type."""
    all_headers = [(b"content-length", str(len(payload)).encode()), *headers]
    await send({"type": "http.response.start", "status": status, "headers": all_headers})
    await send({"type": "http.response.body", "body": b"" if head_only else payload})


async def send_empty(send: Send, status: int, headers: Headers) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


def dumps(value: Any) -> bytes:
    return orjson.dumps(value)
