"""ChittyOS (spec 000): ID authority, auth, sync hub, AI gateway and MCP portal.

ChittyOS is one deployment, so every call is made for the configured
`chittyos.tenant` and every row it stores is scoped to that tenant.
"""

from __future__ import annotations

from chorus_contracts.chittyos.ai.v1 import ai_pb2_grpc
from chorus_contracts.chittyos.auth.v1 import auth_pb2_grpc
from chorus_contracts.chittyos.id.v1 import id_pb2_grpc
from chorus_contracts.chittyos.mcp.v1 import mcp_pb2_grpc
from chorus_contracts.chittyos.sync.v1 import sync_pb2_grpc

from server.config import ConfigError, Settings
from server.platform.admission.policies import FixedTenant
from server.platform.admission.tenant_api_key import RequireTenantApiKey
from server.platform.clock import Clock
from server.platform.storage.database import Database
from server.platform.surface import Platform, ServiceUnit
from server.surfaces.chittyos.ai.wiring import ai_gateway_servicer
from server.surfaces.chittyos.auth.access_tokens import AccessTokenService, TokenPolicy
from server.surfaces.chittyos.auth.policies import AdminKey, RequireAdmin, RequirePermission
from server.surfaces.chittyos.auth.servicer import ChittyAuthService
from server.surfaces.chittyos.auth.session_store import AuthSessionStore
from server.surfaces.chittyos.auth.token_keys import TokenKeyError, load_token_keys
from server.surfaces.chittyos.id.chitty_ids import ChittyIdService, Issuer, LocalAuthority, UpstreamPipeline
from server.surfaces.chittyos.id.servicer import ChittyIdServicer
from server.surfaces.chittyos.id.store import ChittyIdStore
from server.surfaces.chittyos.id.upstream import ChittyIdUpstream
from server.surfaces.chittyos.mcp.servicer import McpPortalService
from server.surfaces.chittyos.sync.wiring import sync_servicer


def access_tokens(settings: Settings, db: Database, clock: Clock) -> AccessTokenService:
    """The token service as configured; shared by the servers and `chorus auth token`."""
    auth = settings.chittyos.auth
    try:
        keys = load_token_keys(
            auth.algorithm, auth.jwt_secret, auth.private_key_file, auth.public_key_file, settings.data_dir
        )
    except TokenKeyError as exc:
        raise ConfigError(f"invalid configuration: {exc}") from None
    policy = TokenPolicy(auth.issuer, auth.audience, auth.default_expires_in, auth.max_expires_in)
    return AccessTokenService(keys, policy, AuthSessionStore(db), clock)


def chitty_ids(platform: Platform) -> ChittyIdService:
    """The ID service in its configured mode; a pipeline's HTTP client closes at shutdown."""
    ids = platform.settings.chittyos.id
    store = ChittyIdStore(platform.db)
    issuer: Issuer
    if ids.mode == "pipeline":
        upstream = ChittyIdUpstream(ids.upstream_url, ids.upstream_api_key, ids.upstream_timeout)
        platform.closers.append(upstream.aclose)
        issuer = UpstreamPipeline(store, platform.clock, upstream, ids.service_host)
    else:
        issuer = LocalAuthority(store, platform.clock, ids.service_host)
    return ChittyIdService(store, issuer)


async def build(platform: Platform) -> list[ServiceUnit]:
    settings = platform.settings.chittyos
    await platform.tenants.ensure_seeded([settings.tenant_seed()])
    tenant = await platform.tenants.get(settings.tenant)
    assert tenant is not None, "seeded above"
    in_tenant = FixedTenant(tenant)
    tokens = access_tokens(platform.settings, platform.db, platform.clock)
    admin = AdminKey(settings.auth.admin_key)
    key_failures = platform.key_failures
    return [
        ServiceUnit(
            "chittyos.id.v1.IdService",
            id_pb2_grpc.add_IdServiceServicer_to_server,
            ChittyIdServicer(chitty_ids(platform)),
            (in_tenant, RequireTenantApiKey(platform.tenants, tenant.id, key_failures)),
        ),
        ServiceUnit(
            "chittyos.auth.v1.AuthService",
            auth_pb2_grpc.add_AuthServiceServicer_to_server,
            ChittyAuthService(tokens, admin),
            (in_tenant, RequireAdmin(admin)),
        ),
        ServiceUnit(
            "chittyos.sync.v1.SyncService",
            sync_pb2_grpc.add_SyncServiceServicer_to_server,
            sync_servicer(platform),
            (in_tenant, RequirePermission(tokens)),
        ),
        # Open (their rules are public), as the document shows no credentials on these routes.
        ServiceUnit(
            "chittyos.ai.v1.AiGatewayService",
            ai_pb2_grpc.add_AiGatewayServiceServicer_to_server,
            ai_gateway_servicer(platform),
            (in_tenant,),
        ),
        ServiceUnit(
            "chittyos.mcp.v1.McpService",
            mcp_pb2_grpc.add_McpServiceServicer_to_server,
            McpPortalService(),
            (in_tenant,),
        ),
    ]
