"""chittyos.mcp.v1.McpService: the MCP portal's health."""

from __future__ import annotations

import grpc
from chorus_contracts.chittyos.mcp.v1 import mcp_pb2, mcp_pb2_grpc


class McpPortalService(mcp_pb2_grpc.McpServiceServicer):
    async def GetHealth(
        self, request: mcp_pb2.GetHealthRequest, context: grpc.aio.ServicerContext
    ) -> mcp_pb2.GetHealthResponse:
        return mcp_pb2.GetHealthResponse(service="mcp", status="healthy")
