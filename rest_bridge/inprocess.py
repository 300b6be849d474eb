"""In-process transport: the bridge calls gRPC method handlers directly.

It skips HTTP/2 framing and protobuf (de)serialization but runs the very
same handlers, interceptor wrappers included, so every policy (request ids,
credentials, tenancy, rate limits) behaves as over a channel. Calls look like
`grpc.aio` calls to the bridge: awaitable unary calls, streaming calls with
`read()`/`cancel()`, metadata accessors, and `AioRpcError` on failure. Each
streaming handler runs in its own task, as it would in a gRPC server. Messages
over `grpc.max_message_bytes` fail as they would on a channel. It is the
default transport of `chorus serve` (`rest.transport`), being the fastest.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Generator, Mapping, Sequence
from typing import Any

import grpc
from grpc.aio import Metadata

from rest_bridge.route_spec import MethodSpec
from rest_bridge.transport import DEFAULT_MAX_MESSAGE_BYTES

MetadataPairs = Sequence[tuple[str, str | bytes]]
log = logging.getLogger(__name__)
_END = object()
_MAX_QUEUED = 64  # a streaming handler's unread messages before it waits


async def _nothing() -> AsyncIterator[Any]:
    """The messages of a call refused before its handler ran."""
    return
    yield


class _LocalContext:
    """The subset of grpc.aio.ServicerContext that handlers and interceptors use."""

    def __init__(self, metadata: MetadataPairs, peer: str) -> None:
        self._metadata = tuple(metadata)
        self._peer = peer
        self.initial: MetadataPairs = ()
        self.trailing: MetadataPairs = ()
        self.code = grpc.StatusCode.OK
        self.details = ""
        # Set by a streaming call, whose reader waits for the initial metadata (a unary reader
        # reads it after the handler has returned).
        self.initial_sent: asyncio.Event | None = None
        self._cancelled = False

    def invocation_metadata(self) -> MetadataPairs:
        return self._metadata

    def peer(self) -> str:
        return self._peer

    async def send_initial_metadata(self, metadata: MetadataPairs) -> None:
        self.initial = tuple(metadata)
        self.mark_initial_sent()

    def mark_initial_sent(self) -> None:
        if self.initial_sent is not None:
            self.initial_sent.set()

    def set_trailing_metadata(self, metadata: MetadataPairs) -> None:
        self.trailing = tuple(metadata)

    def trailing_metadata(self) -> MetadataPairs:
        return self.trailing

    async def abort(self, code: grpc.StatusCode, details: str = "", trailing_metadata: MetadataPairs = ()) -> None:
        self.code, self.details = code, details
        self.trailing = tuple(trailing_metadata)
        raise grpc.aio.AbortError()

    def set_code(self, code: grpc.StatusCode) -> None:
        self.code = code

    def set_details(self, details: str) -> None:
        self.details = details

    def cancelled(self) -> bool:
        return self._cancelled

    def done(self) -> bool:
        return self._cancelled

    def time_remaining(self) -> float | None:
        return None

    def error(self) -> grpc.aio.AioRpcError:
        code = self.code if self.code != grpc.StatusCode.OK else grpc.StatusCode.UNKNOWN
        return grpc.aio.AioRpcError(code, Metadata(*self.initial), Metadata(*self.trailing), self.details)


def _too_large(context: _LocalContext, message: Any, limit: int, sent: bool = True) -> grpc.aio.AioRpcError | None:
    """The failure gRPC answers a message over its size limit with (`grpc.max_message_bytes`,
    the same limit and wording as the loopback channel's), or None when it fits."""
    size = message.ByteSize()
    if size <= limit:
        return None
    side = "Sent" if sent else "Received"
    return grpc.aio.AioRpcError(
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        Metadata(*context.initial),
        Metadata(),
        f"{side} message larger than max ({size} vs. {limit})",
    )


class _UnaryCall:
    def __init__(self, handler: grpc.RpcMethodHandler, request: Any, context: _LocalContext, limit: int) -> None:
        self._handler = handler
        self._request = request
        self._context = context
        self._limit = limit

    async def _run(self) -> Any:
        context = self._context
        too_large = _too_large(context, self._request, self._limit, sent=False)
        if too_large is not None:
            raise too_large
        try:
            response = await self._handler.unary_unary(self._request, context)
        except grpc.aio.AbortError:
            raise context.error() from None
        too_large = _too_large(context, response, self._limit)
        if too_large is not None:
            raise too_large
        return response

    def __await__(self) -> Generator[Any, None, Any]:
        return self._run().__await__()

    # The metadata as the (key, value) pairs a grpc.aio.Metadata iterates as, without
    # building one: the bridge only iterates, and a Metadata costs more than the pairs.
    async def initial_metadata(self) -> MetadataPairs:
        return self._context.initial

    async def trailing_metadata(self) -> MetadataPairs:
        return self._context.trailing


class _StreamCall:
    """The handler's messages pass through a bounded deque: the handler waits while
    `_MAX_QUEUED` are unread (backpressure from a slow client), and `ready()` lets the
    bridge take every message already there at once, to send them in one write."""

    def __init__(self, handler: grpc.RpcMethodHandler, request: Any, context: _LocalContext, limit: int) -> None:
        self._context = context
        self._limit = limit
        context.initial_sent = asyncio.Event()
        self._items: collections.deque[Any] = collections.deque()
        self._loop = asyncio.get_running_loop()
        self._reader: asyncio.Future[None] | None = None  # read() waiting for an item
        self._writer: asyncio.Future[None] | None = None  # the pump waiting for room
        self._failure: grpc.aio.AioRpcError | None = _too_large(context, request, limit, sent=False)
        messages = handler.unary_stream(request, context) if self._failure is None else _nothing()
        self._task = asyncio.ensure_future(self._pump(messages))
        self._finished = False

    def _put(self, item: Any) -> None:
        self._items.append(item)
        reader = self._reader
        if reader is not None and not reader.done():
            reader.set_result(None)

    async def _pump(self, messages: AsyncIterator[Any]) -> None:
        try:
            # Closed here even when cancelled between items (outside the generator),
            # so the handler's cleanup runs now rather than at garbage collection.
            async with contextlib.aclosing(messages):  # type: ignore[type-var]
                async for message in messages:
                    too_large = _too_large(self._context, message, self._limit)
                    if too_large is not None:
                        self._failure = too_large
                        return
                    self._put(message)
                    while len(self._items) >= _MAX_QUEUED:
                        self._writer = self._loop.create_future()
                        await self._writer
        except grpc.aio.AbortError:
            self._failure = self._context.error()
        except asyncio.CancelledError:
            self._failure = grpc.aio.AioRpcError(grpc.StatusCode.CANCELLED, Metadata(), Metadata(), "Cancelled")
        except Exception as exc:
            # What a gRPC server does with a handler's unexpected exception: log it, end the
            # call UNKNOWN. Ending it cleanly would pass a cut reply off as a whole one.
            log.exception("in-process stream handler failed")
            self._failure = grpc.aio.AioRpcError(
                grpc.StatusCode.UNKNOWN, Metadata(), Metadata(), f"Unexpected {type(exc).__name__}"
            )
        finally:
            self._context.mark_initial_sent()
            self._put(_END)

    def _take(self) -> Any:
        item = self._items.popleft()
        writer = self._writer
        if writer is not None and not writer.done() and len(self._items) < _MAX_QUEUED:
            writer.set_result(None)
        return item

    async def read(self) -> Any:
        if self._finished:
            return grpc.aio.EOF
        while not self._items:
            self._reader = self._loop.create_future()
            try:
                await self._reader
            finally:
                self._reader = None
        item = self._take()
        if item is _END:
            self._finished = True
            if self._failure is not None:
                raise self._failure
            return grpc.aio.EOF
        return item

    def ready(self) -> list[Any]:
        """The messages already queued, without waiting (the end stays for `read`)."""
        taken = []
        items = self._items
        while items and items[0] is not _END:
            taken.append(self._take())
        return taken

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Any]:
        while (item := await self.read()) is not grpc.aio.EOF:
            yield item

    def cancel(self) -> bool:
        self._context._cancelled = True
        return self._task.cancel()

    def done(self) -> bool:
        return self._task.done()

    async def initial_metadata(self) -> MetadataPairs:
        assert self._context.initial_sent is not None
        await self._context.initial_sent.wait()
        return self._context.initial

    async def trailing_metadata(self) -> MetadataPairs:
        await asyncio.shield(self._task)
        return self._context.trailing


class InProcessTransport:
    """Calls handlers keyed by full method path ("/pkg.Service/Method")."""

    def __init__(
        self,
        handlers: Mapping[str, grpc.RpcMethodHandler],
        peer: str = "ipv4:127.0.0.1:0",
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
    ) -> None:
        """`max_message_bytes`: the largest request or response message, as over a
        channel (`grpc.max_message_bytes`): a larger one fails as gRPC fails it."""
        self._handlers = dict(handlers)
        self._peer = peer
        self._limit = max_message_bytes

    def callable_for(self, spec: MethodSpec) -> Callable[..., Any]:
        handler = self._handlers.get(spec.grpc_path)
        if handler is None:
            raise LookupError(f"no in-process handler for {spec.grpc_path}")
        call_type = _StreamCall if spec.server_streaming else _UnaryCall
        peer, limit = self._peer, self._limit

        def invoke(request: Any, metadata: MetadataPairs = ()) -> Any:
            return call_type(handler, request, _LocalContext(metadata, peer), limit)

        return invoke

    async def close(self) -> None:
        return None


class HandlerCollector:
    """Stands in for a grpc server to capture what `add_*Servicer_to_server` registers."""

    def __init__(self) -> None:
        self.handlers: dict[str, grpc.RpcMethodHandler] = {}

    def add_registered_method_handlers(self, service: str, handlers: Mapping[str, grpc.RpcMethodHandler]) -> None:
        for name, handler in handlers.items():
            self.handlers[f"/{service}/{name}"] = handler

    def add_generic_rpc_handlers(self, generic_handlers: Sequence[Any]) -> None:
        # Generated code registers every method both ways; the registered
        # method handlers above already hold them.
        return None
