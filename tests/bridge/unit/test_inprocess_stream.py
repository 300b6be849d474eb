"""The in-process transport's streaming calls: order, batches of ready messages, backpressure, failures."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest

from rest_bridge.inprocess import InProcessTransport
from rest_bridge.route_spec import MethodSpec

PATH = "/test.Streams/Count"
SPEC = MethodSpec("test.Streams", "Count", "test", object, object, True, (), 200, None)


class Num(int):
    """A message the transport can size, as it sizes every protobuf message."""

    def ByteSize(self) -> int:
        return 4


def transport(handler: Any) -> InProcessTransport:
    return InProcessTransport({PATH: grpc.unary_stream_rpc_method_handler(handler)})


async def settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


async def test_ready_hands_over_what_is_queued_in_order() -> None:
    async def count(request: int, context: Any) -> AsyncIterator[int]:
        for i in range(request):
            yield Num(i)

    call = transport(count).callable_for(SPEC)(Num(10))
    first = await call.read()
    batch = call.ready()
    assert [first, *batch] == list(range(10))  # all were queued in one turn, none waited
    assert call.ready() == []
    assert await call.read() is grpc.aio.EOF


async def test_a_reader_that_does_not_read_holds_the_handler_back() -> None:
    produced = 0

    async def count(request: int, context: Any) -> AsyncIterator[int]:
        nonlocal produced
        for i in range(request):
            produced += 1
            yield Num(i)

    call = transport(count).callable_for(SPEC)(Num(200))
    await settle()
    assert produced == 64  # the handler waits once 64 are unread
    received = [await call.read(), *call.ready()]
    await settle()
    assert produced == 128
    while (item := await call.read()) is not grpc.aio.EOF:
        received += [item, *call.ready()]
    assert received == list(range(200))


async def test_an_abort_after_messages_is_raised_after_them() -> None:
    async def failing(request: int, context: Any) -> AsyncIterator[int]:
        yield Num(1)
        await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "no more")

    call = transport(failing).callable_for(SPEC)(Num(0))
    assert await call.read() == 1
    assert call.ready() == []  # the end is left for read()
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call.read()
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


async def test_cancel_stops_a_waiting_handler() -> None:
    stopped = asyncio.Event()

    async def endless(request: int, context: Any) -> AsyncIterator[int]:
        try:
            while True:
                yield Num(0)
        finally:
            stopped.set()

    call = transport(endless).callable_for(SPEC)(Num(0))
    await settle()
    call.cancel()
    await asyncio.wait_for(stopped.wait(), 2)
    items = call.ready()
    assert len(items) == 64
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call.read()
    assert caught.value.code() == grpc.StatusCode.CANCELLED


async def test_an_unexpected_exception_ends_the_call_unknown_not_cleanly() -> None:
    """As a gRPC server would: a reply cut by a bug must not read as a whole one."""

    async def broken(request: int, context: Any) -> AsyncIterator[int]:
        yield Num(1)
        raise RuntimeError("database pool exhausted")

    call = transport(broken).callable_for(SPEC)(Num(0))
    assert await call.read() == 1
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call.read()
    assert caught.value.code() == grpc.StatusCode.UNKNOWN
    assert "RuntimeError" in (caught.value.details() or "")
