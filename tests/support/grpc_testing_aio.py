"""grpc_testing for our grpc.aio servicers: servicer unit tests with no network.

grpc_testing calls a servicer's methods synchronously; ours are coroutines, so
each call runs to completion on a loop of its own. A ChorusError ends the RPC
with its status code and message, as the server's interceptor does (its rich
details are left to the end-to-end tests).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import grpc
import grpc_testing
from google.protobuf.descriptor import ServiceDescriptor

from server.platform.errors import ChorusError


class _Blocking:
    def __init__(self, servicer: object) -> None:
        self._servicer = servicer

    def __getattr__(self, name: str) -> Callable[[Any, grpc.ServicerContext], Any]:
        method = getattr(self._servicer, name)

        def call(request: Any, context: grpc.ServicerContext) -> Any:
            try:
                return asyncio.run(method(request, context))
            except ChorusError as exc:
                context.abort(exc.code, exc.message)

        return call


def server(service: ServiceDescriptor, servicer: object) -> grpc_testing.Server:
    return grpc_testing.server_from_dictionary({service: _Blocking(servicer)}, grpc_testing.strict_real_time())


def unary(
    test_server: grpc_testing.Server, service: ServiceDescriptor, method: str, request: Any
) -> tuple[Any, grpc.StatusCode, str]:
    """Calls one unary method: (response, code, details)."""
    rpc = test_server.invoke_unary_unary(service.methods_by_name[method], (), request, None)
    response, _trailing, code, details = rpc.termination()
    return response, code, details
