"""Streamed HTTP/1.1 requests to one upstream origin over kept-alive connections.

The AI gateway's hot path is one POST per chat completion whose answer
streams back. Through httpx that cost about 1 ms of CPU per request here
(httpcore's pool bookkeeping, anyio, h11 in Python, a Response object per
call); this keeps only what the path needs: a LIFO pool of idle connections,
one socket write per request, httptools (the C parser uvicorn already uses)
for the response, and a timer only when a read has to wait. Redirects,
cookies and compression are not needed here (`Accept-Encoding: identity` is
sent); TLS uses httpx's context, so certificates are checked the same way.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping
from typing import Literal, cast
from urllib.parse import urlsplit

import httptools
import httpx

from server.platform import trace_context

UpstreamErrorKind = Literal["unavailable", "timeout", "bad_response"]

# Bytes buffered for a reader that is not keeping up before the socket stops being read.
_HIGH_WATER = 256 * 1024


class UpstreamError(Exception):
    def __init__(self, message: str, kind: UpstreamErrorKind) -> None:
        super().__init__(message)
        self.message = message
        self.kind: UpstreamErrorKind = kind


class _Gone(Exception):
    """The connection ended before any byte of the response: a reused one may just have idled out."""


class StreamedResponse:
    """One response: its status and headers once `open` returns, then its body in pieces."""

    def __init__(self, connection: _Connection, read_timeout: float) -> None:
        self._connection = connection
        self._timeout = read_timeout
        self._loop = asyncio.get_running_loop()
        self._pending: list[bytes] = []
        self._buffered = 0
        self._waiter: asyncio.Future[None] | None = None
        self._error: BaseException | None = None
        self._any_bytes = False
        self.status = 0
        self.headers: dict[bytes, bytes] = {}  # lower-case names; a repeated header keeps the last value
        self.headers_done = False
        self.complete = False
        self.keep_alive = False
        self.length_delimited = False  # content-length or chunked: the end is known without EOF

    # --- fed by the connection ---

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _on_bytes(self) -> None:
        self._any_bytes = True

    def _on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.lower()] = value

    def _on_headers_complete(self, status: int, keep_alive: bool) -> None:
        self.status = status
        self.keep_alive = keep_alive
        self.length_delimited = b"content-length" in self.headers or b"chunked" in self.headers.get(
            b"transfer-encoding", b""
        )
        self.headers_done = True
        self._wake()

    def _on_body(self, data: bytes) -> None:
        self._pending.append(data)
        self._buffered += len(data)
        if self._buffered > _HIGH_WATER:
            self._connection.pause()
        self._wake()

    def _on_complete(self) -> None:
        self.complete = True
        self._wake()

    def _on_lost(self, exc: BaseException | None) -> None:
        if self.complete or self._error is not None:
            return
        if self.headers_done and not self.length_delimited:
            self.complete = True  # the body was delimited by the connection's end
            self.keep_alive = False
        elif not self._any_bytes:
            self._error = _Gone()
        else:
            detail = f": {exc}" if exc else ""
            self._error = UpstreamError(f"upstream closed the connection mid-response{detail}", "unavailable")
        self._wake()

    def _on_error(self, error: UpstreamError) -> None:
        self._error = error
        self._wake()

    # --- read by the caller ---

    async def _wait(self) -> None:
        waiter = self._waiter = self._loop.create_future()
        timer = self._loop.call_later(self._timeout, _expire, waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            self._waiter = None

    async def wait_headers(self) -> None:
        while not self.headers_done:
            if self._error is not None:
                raise self._error
            await self._wait()

    async def next_chunk(self) -> bytes | None:
        """The body bytes received since the last call (waiting for some), or None at its end."""
        while True:
            pending = self._pending
            if pending:
                data = pending[0] if len(pending) == 1 else b"".join(pending)
                pending.clear()
                if self._buffered > _HIGH_WATER:
                    self._connection.resume()
                self._buffered = 0
                return data
            if self._error is not None:
                raise self._error
            if self.complete:
                return None
            await self._wait()

    async def read(self) -> bytes:
        parts = []
        while (chunk := await self.next_chunk()) is not None:
            parts.append(chunk)
        return b"".join(parts)


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_exception(UpstreamError("upstream timed out waiting for data", "timeout"))


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._response: StreamedResponse | None = None
        self._parser: httptools.HttpResponseParser | None = None

    def begin(self, read_timeout: float) -> StreamedResponse:
        response = self._response = StreamedResponse(self, read_timeout)
        self._parser = httptools.HttpResponseParser(self)
        return response

    def finish(self) -> None:
        self._response = None
        self._parser = None

    def pause(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.pause_reading()

    def resume(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.resume_reading()

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    # --- asyncio.Protocol ---

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        response, parser = self._response, self._parser
        if response is None or parser is None:
            self.close()  # bytes while idle: nothing can be trusted on this connection any more
            return
        response._on_bytes()
        try:
            parser.feed_data(data)
        except httptools.HttpParserError as exc:
            response._on_error(UpstreamError(f"upstream response could not be parsed: {exc}", "bad_response"))
            self.close()

    def eof_received(self) -> bool | None:
        return None  # close the transport; connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._response is not None:
            self._response._on_lost(exc)

    # --- httptools callbacks ---

    def on_header(self, name: bytes, value: bytes) -> None:
        assert self._response is not None
        self._response._on_header(name, value)

    def on_headers_complete(self) -> None:
        assert self._response is not None and self._parser is not None
        self._response._on_headers_complete(self._parser.get_status_code(), self._parser.should_keep_alive())

    def on_body(self, body: bytes) -> None:
        assert self._response is not None
        self._response._on_body(body)

    def on_message_complete(self) -> None:
        assert self._response is not None
        self._response._on_complete()


class HttpStreamPool:
    """Requests to `base_url`'s origin; connections are kept for reuse while idle."""

    def __init__(
        self,
        base_url: str,
        *,
        connect_timeout: float,
        read_timeout: float,
        max_idle: int = 256,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self._host = parts.hostname
        self._port = parts.port or (443 if parts.scheme == "https" else 80)
        default_port = self._port == (443 if parts.scheme == "https" else 80)
        host = f"[{self._host}]" if ":" in self._host else self._host
        self._host_header = (host if default_port else f"{host}:{self._port}").encode("idna")
        self._ssl = (ssl_context or httpx.create_ssl_context()) if parts.scheme == "https" else None
        self.base_path = parts.path.rstrip("/")
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._max_idle = max_idle
        self._idle: list[_Connection] = []
        self._closed = False

    def request_head(self, method: str, path: str, headers: Mapping[str, str]) -> bytes:
        """The fixed part of a request's head (all but Content-Length), built once per route."""
        lines = [f"{method} {self.base_path}/{path} HTTP/1.1".encode(), b"Host: " + self._host_header]
        for name, value in headers.items():
            if any(c in name or c in value for c in "\r\n\0"):
                raise ValueError(f"header {name!r} has a line break or NUL")
            lines.append(f"{name}: {value}".encode("latin-1"))
        lines.append(b"Accept-Encoding: identity")
        return b"\r\n".join(lines) + b"\r\n"

    def open(self, head: bytes, body: bytes) -> _Exchange:
        """`async with pool.open(head, body) as response:` sends the request and waits for the
        response's headers. Leaving the block early closes the connection, so the upstream sees
        the client leave; a response read to its end returns it to the pool."""
        return _Exchange(self, head + trace_context.header_lines() + b"Content-Length: %d\r\n\r\n" % len(body) + body)

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self._connect_timeout):
                _, connection = await loop.create_connection(
                    _Connection,
                    self._host,
                    self._port,
                    ssl=self._ssl,
                    server_hostname=self._host if self._ssl else None,
                )
        except TimeoutError:
            raise UpstreamError(f"upstream timed out connecting to {self._host}:{self._port}", "timeout") from None
        except (OSError, ssl.SSLError) as exc:
            raise UpstreamError(f"upstream unreachable: {exc}", "unavailable") from None
        return connection

    def _take_idle(self) -> _Connection | None:
        idle = self._idle
        while idle:
            connection = idle.pop()
            if not connection.closed:
                return connection
        return None

    def _release(self, connection: _Connection, response: StreamedResponse) -> None:
        connection.finish()
        if (
            self._closed
            or connection.closed
            or not (response.complete and response.keep_alive)
            or len(self._idle) >= self._max_idle
        ):
            connection.close()
        else:
            self._idle.append(connection)

    async def aclose(self) -> None:
        self._closed = True
        while self._idle:
            self._idle.pop().close()


class _Exchange:
    def __init__(self, pool: HttpStreamPool, request: bytes) -> None:
        self._pool = pool
        self._request = request
        self._connection: _Connection | None = None
        self._response: StreamedResponse | None = None

    async def __aenter__(self) -> StreamedResponse:
        pool = self._pool
        connection = pool._take_idle()
        reused = connection is not None
        while True:
            if connection is None:
                connection = await pool._connect()
            response = connection.begin(pool._read_timeout)
            self._connection, self._response = connection, response
            assert connection.transport is not None
            connection.transport.write(self._request)
            try:
                await response.wait_headers()
            except _Gone:
                connection.close()
                if reused:  # it had idled out: one more try on a new connection
                    reused, connection = False, None
                    continue
                raise UpstreamError("upstream closed the connection before answering", "unavailable") from None
            except BaseException:
                connection.close()
                raise
            return response

    async def __aexit__(self, *exc_info: object) -> None:
        if self._connection is not None and self._response is not None:
            self._pool._release(self._connection, self._response)
