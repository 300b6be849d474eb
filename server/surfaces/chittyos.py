"""ChittyOS (spec 000): ID authority, auth, sync hub, AI gateway and MCP portal.

ChittyOS is one deployment, so every call is made for the configured
`chittyos.tenant` and every row it stores is scoped to that tenant.
"""

from __future__ import annotations

from chittyos.mcp.v1 import mcp_pb2_grpc

from server.config import TenantSeed
from server.pipeline.policies import FixedTenant
from server.services.chittyos_mcp import McpPortalService
from server.surfaces import Platform, ServiceUnit


async def build(platform: Platform) -> list[ServiceUnit]:
    settings = platform.settings.chittyos
    await platform.tenants.ensure_seeded([TenantSeed(id=settings.tenant, name="ChittyOS")])
    tenant = await platform.tenants.get(settings.tenant)
    assert tenant is not None, "seeded above"
    in_tenant = FixedTenant(tenant)
    return [
        ServiceUnit(
            "chittyos.mcp.v1.McpService",
            mcp_pb2_grpc.add_McpServiceServicer_to_server,
            McpPortalService(),
            (in_tenant,),
        ),
    ]
