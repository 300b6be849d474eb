"""ChittyOS (spec 000): ID authority, auth, sync hub, AI gateway and MCP portal.

ChittyOS is one deployment, so every call is made for the configured
`chittyos.tenant` and every row it stores is scoped to that tenant.
"""

from __future__ import annotations

from chittyos.auth.v1 import auth_pb2_grpc
from chittyos.mcp.v1 import mcp_pb2_grpc

from server.config import ChittyAuthSettings, ConfigError, TenantSeed
from server.domain.access_tokens import AccessTokenService, TokenPolicy
from server.domain.token_keys import TokenKeyError, load_token_keys
from server.pipeline.bearer import AdminKey, RequireAdmin
from server.pipeline.policies import FixedTenant
from server.services.chittyos_auth import ChittyAuthService
from server.services.chittyos_mcp import McpPortalService
from server.storage.auth_session_store import AuthSessionStore
from server.surfaces import Platform, ServiceUnit


def _access_tokens(platform: Platform, auth: ChittyAuthSettings) -> AccessTokenService:
    try:
        keys = load_token_keys(
            auth.algorithm, auth.jwt_secret, auth.private_key_file, auth.public_key_file, platform.settings.data_dir
        )
    except TokenKeyError as exc:
        raise ConfigError(f"invalid configuration: {exc}") from None
    policy = TokenPolicy(auth.issuer, auth.audience, auth.default_expires_in, auth.max_expires_in)
    return AccessTokenService(keys, policy, AuthSessionStore(platform.db), platform.clock)


async def build(platform: Platform) -> list[ServiceUnit]:
    settings = platform.settings.chittyos
    await platform.tenants.ensure_seeded([TenantSeed(id=settings.tenant, name="ChittyOS")])
    tenant = await platform.tenants.get(settings.tenant)
    assert tenant is not None, "seeded above"
    in_tenant = FixedTenant(tenant)
    tokens = _access_tokens(platform, settings.auth)
    admin = AdminKey(settings.auth.admin_key)
    return [
        ServiceUnit(
            "chittyos.auth.v1.AuthService",
            auth_pb2_grpc.add_AuthServiceServicer_to_server,
            ChittyAuthService(tokens, admin),
            (in_tenant, RequireAdmin(admin, {"CreateToken"})),
        ),
        ServiceUnit(
            "chittyos.mcp.v1.McpService",
            mcp_pb2_grpc.add_McpServiceServicer_to_server,
            McpPortalService(),
            (in_tenant,),
        ),
    ]
