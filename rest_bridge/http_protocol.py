"""uvicorn's httptools protocol with the read timeouts and connection cap it lacks.

uvicorn times out only idle keep-alive connections: a client that connects and
sends nothing, or sends its headers or body a byte at a time, holds its
connection (and a file descriptor) forever, and enough of them starve the
process of descriptors. uvicorn has no option for this, and its parser
callbacks are the only place that sees a request's headers begin and end, so
this subclass adds, per connection:

- a header timeout: from the connection (or a request's first byte) to the
  end of its headers; on expiry the connection is closed (no request was read,
  so there is no surface to answer in, as nginx's `client_header_timeout`);
- (a late body is the bridge's to answer, 408 in its surface's envelope:
  `BridgeLimits.body_timeout`; uvicorn closes a connection whose request body
  was left unread once the response is sent);
- a connection cap: a request arriving while more than `max_connections`
  connections are open is marked, and the bridge answers it 503 in its
  surface's envelope with `Retry-After` and closes the connection (uvicorn's
  own `limit_concurrency` answers in plain text). With the header timeout,
  connections that never send a request cannot hold the cap for long.

uvicorn's own 400 for an unparsable request is plain text; here it is JSON.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# ASGI scope extension the bridge reads: this request arrived over the cap.
OVER_CAPACITY = "chorus.over_capacity"

_BAD_REQUEST = orjson.dumps({"error": "Bad request", "message": "The request is not valid HTTP/1.1"})


def guarded_protocol(*, header_timeout: float, max_connections: int) -> type[HttpToolsProtocol]:
    """The protocol class to give uvicorn (`uvicorn.Config(http=...)`)."""

    class GuardedHttpProtocol(_GuardedHttpProtocol):
        pass

    GuardedHttpProtocol.header_timeout = header_timeout
    GuardedHttpProtocol.max_connections = max_connections
    return GuardedHttpProtocol


class _GuardedHttpProtocol(HttpToolsProtocol):
    header_timeout = 10.0
    max_connections = 1000

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None

    def _arm(self, delay: float) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(delay, self._headers_late)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_late(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm(self.header_timeout)

    def on_headers_complete(self) -> None:
        self._disarm()
        if len(self.connections) > self.max_connections:
            self.scope["extensions"] = {**self.scope.get("extensions", {}), OVER_CAPACITY: {}}
        super().on_headers_complete()

    def send_400_response(self, msg: str) -> None:
        head = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\nconnection: close\r\n"
        self.transport.write(head + b"content-length: %d\r\n\r\n" % len(_BAD_REQUEST) + _BAD_REQUEST)
        self.transport.close()
