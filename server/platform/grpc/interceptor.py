"""Runs the admission pipeline around every RPC and turns errors into rich status.

Policies run before the handler, then the idempotency check of the methods
that honour `Idempotency-Key` (a replay answers without the handler). The
call's response headers (request id, rate limits, replay) go out as initial
metadata on a streaming call, before its first message (so a streaming bridge
can write HTTP headers before the first event), and as trailing metadata, with
the status, on a unary call and on any failure: grpcio sends a unary call's
initial metadata empty in its final batch, so headers of their own would cost
one more batch per call (~15% of a unary call's CPU, `make bench`).

`wrap()` builds the wrapped handler once per method; Chorus registers the
wrapped handlers directly (server/app.py), so no server interceptor runs per
call. `PipelineInterceptor` is also a grpc.aio interceptor, for servers
assembled around it (tests).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol

import grpc
from grpc_status import rpc_status

from server.platform.admission.call import CallInfo, bind_call, give_back
from server.platform.admission.idempotency import IDEMPOTENCY_KEY, Claim, Idempotency, Replay, held
from server.platform.admission.pipeline import Pipeline
from server.platform.errors import ERROR_DOMAIN, ChorusError, from_storage_failure, internal
from server.platform.grpc.open_calls import OpenCalls

log = logging.getLogger("chorus.rpc")

_UNWRAPPED_PREFIXES = ("/grpc.reflection.", "/grpc.health.")
_SERVER_FAULTS = frozenset({grpc.StatusCode.INTERNAL, grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED})


def _metadata(context: grpc.aio.ServicerContext) -> dict[str, str]:
    return {key: value for key, value in (context.invocation_metadata() or ()) if isinstance(value, str)}


async def abort_with(
    context: grpc.aio.ServicerContext, error: ChorusError, request_id: str, domain: str = ERROR_DOMAIN
) -> None:
    # The rich status in grpc-status-details-bin; its ErrorInfo names `domain`, the failing surface.
    status = rpc_status.to_status(error.to_status(request_id, domain))
    trailing = (*error.headers.items(), *status.trailing_metadata)
    await context.abort(status.code, status.details, trailing_metadata=trailing)


class CallEvents(Protocol):
    """What the wrapper reports (metrics): calls refused with an error, idempotent replays."""

    def refused(self, service: str, exc: ChorusError) -> None: ...

    def replayed(self, method: str) -> None: ...


class PipelineInterceptor(grpc.aio.ServerInterceptor):
    def __init__(
        self,
        pipeline: Pipeline,
        idempotency: Idempotency | None = None,
        open_calls: OpenCalls | None = None,
        events: CallEvents | None = None,
    ) -> None:
        self._pipeline = pipeline
        self._events = events
        # Set when tracing is on: a context manager factory for the admission's span.
        self.admission_span: Callable[[], contextlib.AbstractContextManager[Any]] | None = None
        self._idempotency = idempotency
        self.open_calls = open_calls or OpenCalls()
        self._wrapped: dict[str, grpc.RpcMethodHandler] = {}

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        method: str = handler_call_details.method
        handler = await continuation(handler_call_details)
        if handler is None or method.startswith(_UNWRAPPED_PREFIXES):
            return handler
        wrapped = self._wrapped.get(method)
        if wrapped is None:
            wrapped = self.wrap(method, handler)
            self._wrapped[method] = wrapped
        return wrapped

    async def _admit(
        self, method: str, context: grpc.aio.ServicerContext, request: Any, meter: bool = True
    ) -> CallInfo:
        try:
            if self.admission_span is None:
                call = await self._pipeline.admit(
                    method, _metadata(context), context.peer(), meter=meter, request=request
                )
            else:
                with self.admission_span():
                    call = await self._pipeline.admit(
                        method, _metadata(context), context.peer(), meter=meter, request=request
                    )
        except ChorusError as exc:
            service = method[1:].split("/", 1)[0]
            if self._events is not None:
                self._events.refused(service, exc)
            id_key = self._pipeline.request_id_key(service)
            await abort_with(context, exc, exc.headers.get(id_key, ""), self._pipeline.error_domain(service))
            raise AssertionError("unreachable") from exc
        bind_call(call)
        return call

    async def _enter_stream(self, method: str, context: grpc.aio.ServicerContext, request: Any) -> CallInfo:
        call = await self._admit(method, context, request)
        await context.send_initial_metadata(tuple(call.response_headers.items()))
        return call

    async def _enter_keyed(
        self, method: str, context: grpc.aio.ServicerContext, request: Any, guard: Idempotency, *, stream: bool
    ) -> tuple[CallInfo, Claim | Replay | None]:
        """Admission, then the idempotency key's claim (None without a key) or its stored
        response; the metered policies (quotas) run only when the call will do work.
        A stream's headers are sent here; a unary call's go with its status."""
        call = await self._admit(method, context, request, meter=False)
        claim: Claim | Replay | None = None
        async with self._errors_as_status(context, call):
            if IDEMPOTENCY_KEY in call.metadata:
                claim = await guard.begin(call, request)  # its errors carry the call's headers (`_failed`)
            if not isinstance(claim, Replay):
                async with held(claim):
                    await self._pipeline.meter(call)
            elif self._events is not None:
                self._events.replayed(method)
        if stream:
            await context.send_initial_metadata(tuple(call.response_headers.items()))
        return call, claim

    def wrap(self, method: str, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
        """The handler with admission and error mapping around it (also used in-process)."""
        guard = self._idempotency
        if guard is not None and guard.covers(method):
            return self._wrap_keyed(method, handler, guard)
        if handler.unary_unary is not None:
            inner_unary = handler.unary_unary

            async def unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
                call = await self._admit(method, context, request)
                return await self._guarded_unary(call, inner_unary, request, context)

            return _rebuilt(handler, unary)
        if handler.unary_stream is not None:
            inner_stream = handler.unary_stream

            async def stream(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
                call = await self._enter_stream(method, context, request)
                async with self._errors_as_status(context, call), self.open_calls.tracked():
                    async for item in inner_stream(request, context):
                        yield item

            return _rebuilt(handler, stream)
        return handler  # client streaming is not used by any surface

    def _wrap_keyed(self, method: str, handler: grpc.RpcMethodHandler, guard: Idempotency) -> grpc.RpcMethodHandler:
        """`wrap` for a method that honours `idempotency-key`: a replay answers without the
        handler; a run that ends well stores its response, any other end releases the key."""
        if handler.unary_unary is not None:
            inner_unary = handler.unary_unary

            async def unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
                call, claim = await self._enter_keyed(method, context, request, guard, stream=False)
                if isinstance(claim, Replay):
                    _headers_with_status(context, call)
                    return claim.messages[0]
                if claim is None:  # no key sent
                    return await self._guarded_unary(call, inner_unary, request, context)
                async with self._errors_as_status(context, call), self.open_calls.tracked(), held(claim):
                    response = await inner_unary(request, context)
                    await claim.finish([response])
                _headers_with_status(context, call)
                return response

            return _rebuilt(handler, unary)
        if handler.unary_stream is not None:
            inner_stream = handler.unary_stream

            async def stream(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
                call, claim = await self._enter_keyed(method, context, request, guard, stream=True)
                if isinstance(claim, Replay):
                    for item in claim.messages:
                        yield item
                    return
                sent: list[Any] = []
                async with self._errors_as_status(context, call), self.open_calls.tracked(), held(claim):
                    async for item in inner_stream(request, context):
                        if claim is not None:
                            sent.append(item)
                        yield item
                    if claim is not None:
                        await claim.finish(sent)

            return _rebuilt(handler, stream)
        return handler

    async def _guarded_unary(
        self, call: CallInfo, handler: Callable[..., Awaitable[Any]], request: Any, context: grpc.aio.ServicerContext
    ) -> Any:
        """`handler` inside `_errors_as_status` and `open_calls.tracked()`, spelled out: two
        async context managers cost more per call than the admission itself (bench_pipeline)."""
        calls = self.open_calls
        task = calls.open()
        try:
            response = await handler(request, context)
            _headers_with_status(context, call)
            return response
        except BaseException as exc:
            failure = calls.failure(task, exc)
            calls.close(task)  # as `tracked()` ends before the error is mapped
            if failure is None:
                raise
            await self._failed(context, call, failure)
            raise AssertionError("unreachable: the call was aborted") from exc
        finally:
            calls.close(task)

    @contextlib.asynccontextmanager
    async def _errors_as_status(self, context: grpc.aio.ServicerContext, call: CallInfo) -> AsyncIterator[None]:
        """Domain errors become their rich status; anything unexpected is logged
        and becomes INTERNAL, never a stack trace on the wire. A call that fails
        gives back what its policies took in advance (quotas): it did no work."""
        try:
            yield
        except Exception as exc:
            await self._failed(context, call, exc)

    async def _failed(self, context: grpc.aio.ServicerContext, call: CallInfo, exc: Exception) -> None:
        """Gives back what the call took and aborts it with the status `exc` maps to."""
        await give_back(call)
        if isinstance(exc, grpc.aio.AbortError):
            raise exc
        if self._events is not None and isinstance(exc, ChorusError):
            self._events.refused(call.service, exc)
        domain = self._pipeline.error_domain(call.service)
        error = _as_status(call, exc)
        for key, value in call.response_headers.items():  # a unary call has sent none yet
            error.headers.setdefault(key, value)
        await abort_with(context, error, call.request_id, domain)


def _headers_with_status(context: grpc.aio.ServicerContext, call: CallInfo) -> None:
    """A unary call's response headers, in the trailing metadata its status goes out
    with, before any the handler set itself."""
    context.set_trailing_metadata((*call.response_headers.items(), *context.trailing_metadata()))


def _rebuilt(handler: grpc.RpcMethodHandler, behaviour: Any) -> grpc.RpcMethodHandler:
    """A handler of the same kind and (de)serializers as `handler` that runs `behaviour`."""
    make = (
        grpc.unary_unary_rpc_method_handler if handler.unary_unary is not None else grpc.unary_stream_rpc_method_handler
    )
    return make(
        behaviour,
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )


def _as_status(call: CallInfo, exc: Exception) -> ChorusError:
    """The error a failed call ends with, logged when the server is at fault."""
    if isinstance(exc, ChorusError):
        if exc.code in _SERVER_FAULTS:
            # A dependency failed (model, tool, storage): worth a line, tagged with the request id.
            log.warning("%s failed: %s: %s", call.method, exc.reason, exc.message)
        return exc
    known = from_storage_failure(exc)
    if known is not None:
        log.error("%s failed: %s: %s", call.method, known.reason, exc)
        return known
    log.exception("unhandled error in %s (request %s)", call.method, call.request_id)
    return internal()
