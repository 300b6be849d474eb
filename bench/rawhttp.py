"""A minimal HTTP/1.1 client on asyncio protocols, cheap enough to load a server from one core.

Only what the bench needs: keep-alive requests whose responses have a
`Content-Length` or a chunked body (`KeepAliveConnection`; a chunked body is
read to its end, so it times a streamed answer to its last byte), and one SSE
response read with chunked transfer encoding (`SseStream`). No TLS, no
redirects, no header folding, no trailers.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import cast
from urllib.parse import urlsplit

CRLF2 = b"\r\n\r\n"


def host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.hostname is None or parts.port is None:
        raise ValueError(f"need http://host:port, got {url!r}")
    return parts.hostname, parts.port


def build_request(
    method: str,
    host: str,
    port: int,
    path: str,
    headers: dict[str, str],
    body: bytes = b"",
    close: bool = False,
    host_header: str = "",
) -> bytes:
    """One HTTP/1.1 request; `host_header` replaces the `Host` (default host:port), e.g. to pick a virtual host."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host_header or f'{host}:{port}'}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _header(head: bytes, name: bytes) -> bytes | None:
    """The value of header `name` (lower case, with the colon) in a response head, or None."""
    lower = head.lower()
    at = lower.find(b"\r\n" + name)
    if at < 0:
        return None
    start = at + 2 + len(name)
    end = lower.find(b"\r\n", start)
    return head[start : end if end >= 0 else len(head)].strip()


def _status(head: bytes) -> int:
    # "HTTP/1.1 200 OK"
    return int(head[9:12])


class KeepAliveConnection(asyncio.Protocol):
    """One keep-alive connection; `request` sends a request and awaits (status, body)."""

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self._buf = bytearray()
        self._waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self._closed: BaseException | None = None
        # A chunked response being read: its status, the body so far, and the
        # size of the chunk being read (-1: a chunk-size line comes next).
        self._chunked_status = 0
        self._chunked_body: bytearray | None = None
        self._chunk_left = -1

    @classmethod
    async def open(cls, host: str, port: int) -> KeepAliveConnection:
        loop = asyncio.get_running_loop()
        _, protocol = await loop.create_connection(cls, host, port)
        return protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's transports are not subclasses

    def data_received(self, data: bytes) -> None:
        self._buf += data
        if self._waiter is None:
            return
        if self._chunked_body is not None:
            self._read_chunks()
            return
        end = self._buf.find(CRLF2)
        if end < 0:
            return
        head = bytes(self._buf[:end])
        length_value = _header(head, b"content-length:")
        if length_value is None:
            if (_header(head, b"transfer-encoding:") or b"").lower() != b"chunked":
                self._fail(ConnectionError("response without Content-Length or chunked body"))
                return
            del self._buf[: end + 4]
            self._chunked_status, self._chunked_body, self._chunk_left = _status(head), bytearray(), -1
            self._read_chunks()
            return
        total = end + 4 + int(length_value)
        if len(self._buf) < total:
            return
        body = bytes(self._buf[end + 4 : total])
        del self._buf[:total]
        self._resolve(_status(head), body)

    def _read_chunks(self) -> None:
        buf, body = self._buf, self._chunked_body
        assert body is not None
        while True:
            if self._chunk_left < 0:
                eol = buf.find(b"\r\n")
                if eol < 0:
                    return
                size = int(bytes(buf[:eol]).split(b";", 1)[0], 16)
                if size == 0:
                    if len(buf) < eol + 4:  # the last chunk's line and the empty line after it
                        return
                    del buf[: eol + 4]
                    self._chunked_body = None
                    self._resolve(self._chunked_status, bytes(body))
                    return
                del buf[: eol + 2]
                self._chunk_left = size
            if len(buf) < self._chunk_left + 2:
                return
            body += buf[: self._chunk_left]
            del buf[: self._chunk_left + 2]
            self._chunk_left = -1

    def _resolve(self, status: int, body: bytes) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result((status, body))

    def _fail(self, exc: BaseException) -> None:
        self._closed = exc
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(exc)
        self._waiter = None
        if self._transport is not None:
            self._transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(exc or ConnectionError("connection closed by server"))

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        if self._closed is not None or self._transport is None:
            raise ConnectionError("connection is closed")
        waiter: asyncio.Future[tuple[int, bytes]] = asyncio.get_running_loop().create_future()
        self._waiter = waiter
        self._transport.write(raw)
        return await waiter

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


@dataclass
class SseResult:
    ok: bool = False
    status: int = 0
    error: str = ""
    tokens: int = 0
    # When the stream started, in seconds since the run started.
    started_at: float = 0.0
    # Seconds from starting to connect to: response headers, first `token` event, end of stream.
    headers_at: float = 0.0
    first_token_at: float = 0.0
    finished_at: float = 0.0
    events: dict[str, int] = field(default_factory=dict)


class SseStream(asyncio.Protocol):
    """One `POST` answered by `text/event-stream` (chunked); tallies named events until the stream ends."""

    def __init__(
        self, raw_request: bytes, started: float, started_at: float = 0.0, first_token_only: bool = False
    ) -> None:
        self._request = raw_request
        # Hang up after the first token (a TTFT sample), which then counts as ok.
        self._first_token_only = first_token_only
        self._started = started
        self._transport: asyncio.Transport | None = None
        self._buf = bytearray()
        self._head_done = False
        self._chunk_left = -1  # -1: expecting a chunk-size line
        self._events = bytearray()
        self.result = SseResult(started_at=started_at)
        loop = asyncio.get_running_loop()
        self.finished: asyncio.Future[SseResult] = loop.create_future()
        # Resolved when the response headers arrive (or the stream fails first).
        self.opened: asyncio.Future[None] = loop.create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's transports are not subclasses
        self._transport.write(self._request)

    def data_received(self, data: bytes) -> None:
        if self.finished.done():
            return
        self._buf += data
        if not self._head_done:
            end = self._buf.find(CRLF2)
            if end < 0:
                return
            head = bytes(self._buf[:end])
            del self._buf[: end + 4]
            self._head_done = True
            r = self.result
            r.status = _status(head)
            r.headers_at = time.perf_counter() - self._started
            if not self.opened.done():
                self.opened.set_result(None)
            chunked = (_header(head, b"transfer-encoding:") or b"").lower() == b"chunked"
            if r.status != 200 or not chunked:
                self._finish(f"http {r.status}" if r.status != 200 else "not a chunked event stream")
                return
        self._dechunk()

    def _dechunk(self) -> None:
        buf = self._buf
        while True:
            if self._chunk_left < 0:
                eol = buf.find(b"\r\n")
                if eol < 0:
                    return
                size = int(bytes(buf[:eol]).split(b";", 1)[0], 16)
                del buf[: eol + 2]
                if size == 0:
                    self._finish("")
                    return
                self._chunk_left = size
            if len(buf) < self._chunk_left + 2:
                return
            self._on_sse(bytes(buf[: self._chunk_left]))
            del buf[: self._chunk_left + 2]
            self._chunk_left = -1

    def _on_sse(self, data: bytes) -> None:
        events = self._events
        events += data
        while True:
            end = events.find(b"\n\n")
            if end < 0:
                return
            block = bytes(events[:end])
            del events[: end + 2]
            name = b""
            for line in block.split(b"\n"):
                if line.startswith(b"event:"):
                    name = line[6:].strip()
                    break
            if not name:
                continue  # comment (heartbeat) or unnamed data
            r = self.result
            key = name.decode()
            r.events[key] = r.events.get(key, 0) + 1
            if name == b"token":
                r.tokens += 1
                if r.tokens == 1:
                    r.first_token_at = time.perf_counter() - self._started
                    if self._first_token_only:
                        self._finish("")
                        return
            elif name == b"error" and not r.error:
                data = b" ".join(line[5:].strip() for line in block.split(b"\n") if line.startswith(b"data:"))
                r.error = "error event: " + data.decode(errors="replace")[:200]

    def _finish(self, error: str) -> None:
        r = self.result
        if self.finished.done():
            return
        r.finished_at = time.perf_counter() - self._started
        if error and not r.error:
            r.error = error
        if not r.error and not r.events.get("done") and not (self._first_token_only and r.tokens):
            r.error = "stream ended without a done event"
        r.ok = not r.error
        if not self.opened.done():
            self.opened.set_result(None)
        self.finished.set_result(r)
        if self._transport is not None:
            self._transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._finish(f"connection lost: {exc or 'closed by server'}")

    def abort(self, reason: str) -> None:
        self._finish(reason)
