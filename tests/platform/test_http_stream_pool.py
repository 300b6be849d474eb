"""HttpStreamPool against raw asyncio servers that answer (or misbehave) byte for byte."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest

from server.platform.http_stream_pool import HttpStreamPool, UpstreamError

OK = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 5\r\n\r\nhello"
# What to do with request number n (from 1) on a connection: write bytes, or None to close unanswered.
Behaviour = Callable[[int], bytes | None]


class RawServer:
    def __init__(self, behaviour: Behaviour, close_after_answer: bool) -> None:
        self.behaviour = behaviour
        self.close_after_answer = close_after_answer
        self.connections = 0
        self.requests: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        served = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                self.requests.append(head + await reader.readexactly(length))
                served += 1
                answer = self.behaviour(served)
                if answer is None:
                    break
                writer.write(answer)
                await writer.drain()
                if self.close_after_answer:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@asynccontextmanager
async def raw_server(
    behaviour: Behaviour, close_after_answer: bool = False
) -> AsyncIterator[tuple[RawServer, HttpStreamPool]]:
    state = RawServer(behaviour, close_after_answer)
    server = await asyncio.start_server(state.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    pool = HttpStreamPool(f"http://127.0.0.1:{port}/v1", connect_timeout=1, read_timeout=2)
    try:
        yield state, pool
    finally:
        await pool.aclose()
        server.close()


async def fetch(pool: HttpStreamPool, body: bytes = b"{}") -> tuple[int, bytes]:
    head = pool.request_head("POST", "chat/completions", {"Content-Type": "application/json"})
    async with pool.open(head, body) as response:
        return response.status, await response.read()


async def test_connections_are_kept_alive_and_reused() -> None:
    async with raw_server(lambda n: OK) as (server, pool):
        for _ in range(5):
            assert await fetch(pool) == (200, b"hello")
        assert server.connections == 1
        first = server.requests[0]
        assert first.startswith(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:")
        assert b"Content-Length: 2\r\n" in first and first.endswith(b"\r\n\r\n{}")


async def test_concurrent_requests_open_their_own_connections() -> None:
    async with raw_server(lambda n: OK) as (server, pool):
        results = await asyncio.gather(*(fetch(pool) for _ in range(4)))
        assert results == [(200, b"hello")] * 4
        assert server.connections == 4
        await fetch(pool)
        assert server.connections == 4  # an idle one was reused


async def test_a_reused_connection_closed_unanswered_is_replaced() -> None:
    """The upstream dropped a kept-alive connection (its idle timeout) as the request went out:
    the request goes again on a new connection, since the upstream saw nothing of it."""
    async with raw_server(lambda n: OK if n == 1 else None) as (server, pool):
        assert await fetch(pool) == (200, b"hello")
        assert await fetch(pool) == (200, b"hello")
        assert server.connections == 2


async def test_a_new_connection_closed_unanswered_fails() -> None:
    async with raw_server(lambda n: None) as (_, pool):
        with pytest.raises(UpstreamError) as caught:
            await fetch(pool)
        assert caught.value.kind == "unavailable"


async def test_a_body_ended_by_the_connection_is_read_and_not_reused() -> None:
    eof_delimited = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil the end"
    async with raw_server(lambda n: eof_delimited, close_after_answer=True) as (server, pool):
        assert await fetch(pool) == (200, b"until the end")
        assert await fetch(pool) == (200, b"until the end")
        assert server.connections == 2


async def test_cut_mid_body_fails() -> None:
    cut = b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial"
    async with raw_server(lambda n: cut, close_after_answer=True) as (_, pool):
        with pytest.raises(UpstreamError) as caught:
            await fetch(pool)
        assert caught.value.kind == "unavailable"


async def test_garbage_is_a_bad_response() -> None:
    async with raw_server(lambda n: b"SMTP ready\r\n\r\n") as (_, pool):
        with pytest.raises(UpstreamError) as caught:
            await fetch(pool)
        assert caught.value.kind == "bad_response"


async def test_a_silent_upstream_times_out() -> None:
    stalled: asyncio.Event = asyncio.Event()

    async def never(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await stalled.wait()
        writer.close()

    server = await asyncio.start_server(never, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    pool = HttpStreamPool(f"http://127.0.0.1:{port}", connect_timeout=1, read_timeout=0.2)
    try:
        with pytest.raises(UpstreamError) as caught:
            await fetch(pool)
        assert caught.value.kind == "timeout"
    finally:
        stalled.set()
        await pool.aclose()
        server.close()


def test_header_values_cannot_smuggle_lines() -> None:
    pool = HttpStreamPool("http://127.0.0.1:1", connect_timeout=1, read_timeout=1)
    with pytest.raises(ValueError):
        pool.request_head("POST", "x", {"Authorization": "Bearer a\r\nX-Evil: 1"})
