"""Runs the admission pipeline around every RPC and turns errors into rich status.

Policies run before the handler. On success the call's response headers go
out as initial metadata (so a streaming bridge can write HTTP headers before
the first event); on failure they go out as trailing metadata with the status.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc

from server.errors import STATUS_DETAILS_KEY, ChorusError, internal
from server.pipeline.admission import Pipeline
from server.pipeline.call import CallInfo, bind_call

log = logging.getLogger("chorus.rpc")

_UNWRAPPED_PREFIXES = ("/grpc.reflection.", "/grpc.health.")


def _metadata(context: grpc.aio.ServicerContext) -> dict[str, str]:
    return {key: value for key, value in (context.invocation_metadata() or ()) if isinstance(value, str)}


async def abort_with(context: grpc.aio.ServicerContext, error: ChorusError, request_id: str) -> None:
    status = error.to_status(request_id)
    trailing = (*error.headers.items(), (STATUS_DETAILS_KEY, status.SerializeToString()))
    await context.abort(error.code, error.message, trailing_metadata=trailing)


class PipelineInterceptor(grpc.aio.ServerInterceptor):
    def __init__(self, pipeline: Pipeline) -> None:
        self._pipeline = pipeline
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

    async def _enter(self, method: str, context: grpc.aio.ServicerContext) -> CallInfo:
        try:
            call = await self._pipeline.admit(method, _metadata(context), context.peer())
        except ChorusError as exc:
            await abort_with(context, exc, exc.headers.get("x-request-id", ""))
            raise AssertionError("unreachable") from exc
        bind_call(call)
        await context.send_initial_metadata(tuple(call.response_headers.items()))
        return call

    def wrap(self, method: str, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
        """The handler with admission and error mapping around it (also used in-process)."""
        if handler.unary_unary is not None:
            inner_unary = handler.unary_unary

            async def unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
                call = await self._enter(method, context)
                async with _errors_as_status(context, call):
                    return await inner_unary(request, context)

            return grpc.unary_unary_rpc_method_handler(
                unary,
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream is not None:
            inner_stream = handler.unary_stream

            async def stream(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
                call = await self._enter(method, context)
                async with _errors_as_status(context, call):
                    async for item in inner_stream(request, context):
                        yield item

            return grpc.unary_stream_rpc_method_handler(
                stream,
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler  # client streaming is not used by any surface


@contextlib.asynccontextmanager
async def _errors_as_status(context: grpc.aio.ServicerContext, call: CallInfo) -> AsyncIterator[None]:
    """Domain errors become their rich status; anything unexpected is logged
    and becomes INTERNAL, never a stack trace on the wire."""
    try:
        yield
    except ChorusError as exc:
        await abort_with(context, exc, call.request_id)
    except grpc.aio.AbortError:
        raise
    except Exception:
        log.exception("unhandled error in %s (request %s)", call.method, call.request_id)
        await abort_with(context, internal(), call.request_id)
