"""Admission policies see the verb of the bridge's route (`CallInfo.http_method`),
through both bridge transports; a direct gRPC call has none, and cannot claim one
its method has no route for.

A real gRPC server with the admission interceptor serves Crispy's ChatService
(a servicer that answers at once); a policy writes the verb it saw into a
response header. Bridges over gRPC and in-process stand in front of it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import httpx
import pytest
from chorus_contracts.crispy.v1 import chat_pb2, chat_pb2_grpc

from rest_bridge.app import Mount, load_method_specs
from rest_bridge.metadata import HTTP_METHOD_KEY
from server.platform.admission.call import CallInfo
from server.platform.admission.client_address import ClientAddresses
from server.platform.admission.pipeline import Pipeline
from server.platform.grpc.interceptor import PipelineInterceptor
from server.surfaces.crispy.dialect import CrispyDialect
from tests.support.bridge_servers import bridged_pipeline

SERVICE = "crispy.v1.ChatService"
SEEN = "x-seen-verb"


async def show_verb(call: CallInfo) -> None:
    call.response_headers[SEEN] = call.http_method or "none"


class ChatServicer(chat_pb2_grpc.ChatServiceServicer):
    async def GetHealth(self, request: Any, context: Any) -> chat_pb2.GetHealthResponse:
        return chat_pb2.GetHealthResponse(status="ok")

    async def DeleteSession(self, request: Any, context: Any) -> chat_pb2.DeleteSessionResponse:
        return chat_pb2.DeleteSessionResponse(success=True, session_id=request.session_id)


@pytest.fixture(scope="module")
async def servers() -> AsyncIterator[dict[str, str]]:
    """"grpc": the gRPC target; "bridge-grpc" and "bridge-inprocess": the bridges' base URLs."""
    interceptor = PipelineInterceptor(Pipeline({SERVICE: [show_verb]}, ClientAddresses()))
    specs = [s for s in load_method_specs() if s.service == SERVICE]
    servicers = [(chat_pb2_grpc.add_ChatServiceServicer_to_server, ChatServicer())]
    dialects = {"crispy": CrispyDialect()}
    async with bridged_pipeline(interceptor, servicers, specs, [Mount("crispy")], dialects) as (target, bridges):
        yield {"grpc": target, **{f"bridge-{name}": url for name, url in bridges.items()}}


@pytest.mark.parametrize("bridge", ["bridge-grpc", "bridge-inprocess"])
async def test_policies_see_the_routes_verb_through_the_bridge(servers: dict[str, str], bridge: str) -> None:
    async with httpx.AsyncClient(base_url=servers[bridge]) as client:
        assert (await client.get("/health")).headers[SEEN] == "GET"
        assert (await client.head("/health")).headers[SEEN] == "GET"  # HEAD is served by the GET route
        assert (await client.delete("/chat/s-1")).headers[SEEN] == "DELETE"
        # A client's own header of that name is dropped: the bridge's route decides.
        forged = await client.get("/health", headers={HTTP_METHOD_KEY: "DELETE"})
        assert forged.status_code == 200 and forged.headers[SEEN] == "GET"


async def test_a_direct_grpc_call_has_no_verb_and_cannot_claim_a_foreign_one(servers: dict[str, str]) -> None:
    async with grpc.aio.insecure_channel(servers["grpc"]) as channel:
        stub = chat_pb2_grpc.ChatServiceStub(channel)
        call = stub.GetHealth(chat_pb2.GetHealthRequest())
        await call
        assert dict(await call.trailing_metadata())[SEEN] == "none"
        # GetHealth has only a GET route: claiming DELETE is refused before any policy runs.
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.GetHealth(chat_pb2.GetHealthRequest(), metadata=((HTTP_METHOD_KEY, "DELETE"),))
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert HTTP_METHOD_KEY in (refused.value.details() or "")
        # A verb the method has a route for is one the bridge would set anyway.
        allowed = stub.GetHealth(chat_pb2.GetHealthRequest(), metadata=((HTTP_METHOD_KEY, "GET"),))
        await allowed
        assert dict(await allowed.trailing_metadata())[SEEN] == "GET"
