"""Composition of the ChittyOS MCP portal."""

from __future__ import annotations

from chorus_contracts.chittyos.mcp.v1 import mcp_pb2_grpc

from server.platform.surface import Platform, ServiceUnit
from server.surfaces.chittyos.deployment import chittyos
from server.surfaces.chittyos.mcp.servicer import McpPortalService


async def build(platform: Platform) -> list[ServiceUnit]:
    core = await chittyos(platform)
    # Open (their rules are public), as the document shows no credentials on these routes.
    return [
        ServiceUnit(
            "chittyos.mcp.v1.McpService",
            mcp_pb2_grpc.add_McpServiceServicer_to_server,
            McpPortalService(),
            (core.in_tenant,),
        )
    ]
