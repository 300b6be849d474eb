"""Agent Chassis's services (spec 002): one deployment tenant, its users, sessions and tools."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from chorus_contracts.agentchassis.v1 import agent_pb2_grpc, auth_pb2_grpc
from limits import RateLimitItemPerMinute

from server.platform.accounts.access_tokens import AccessTokens
from server.platform.accounts.codes import AccountCodes
from server.platform.accounts.google_identity import GoogleIdTokens
from server.platform.accounts.refresh_tokens import RefreshTokens
from server.platform.accounts.users import UserAccounts
from server.platform.admission.method_limits import MethodRateLimits
from server.platform.admission.quotas import Quotas
from server.platform.chat.conversation_store import ConversationStore
from server.platform.mail import mailer_for
from server.platform.mcp.client import McpServerTarget, McpToolClient
from server.platform.storage.secret_files import read_or_create_secret
from server.platform.surface import Platform, ServiceUnit
from server.surfaces.agentchassis.admission import ChassisIdentity
from server.surfaces.agentchassis.agent import ChassisAgent
from server.surfaces.agentchassis.auth import ChassisAuth
from server.surfaces.agentchassis.mcp_tools import McpTools
from server.surfaces.agentchassis.servicers.agent import AgentChassisAgentService, AgentChassisHealthService
from server.surfaces.agentchassis.servicers.auth import AgentChassisAuthService
from server.surfaces.agentchassis.sessions import AgentSessions
from server.surfaces.agentchassis.settings import SETTINGS
from server.surfaces.agentchassis.surface import SURFACE
from server.surfaces.agentchassis.tools import agent_tools

AUTH = "/agentchassis.v1.AuthService/"
SECRET_FILE = "agentchassis_jwt.secret"


def _derived(secret: str, purpose: str) -> bytes:
    """A key of its own per use, from the one configured secret."""
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()


async def build(platform: Platform) -> list[ServiceUnit]:
    settings = SETTINGS.of(platform.settings)
    tenant = await platform.tenants.seeded(settings.tenant_seed())
    secret = settings.jwt_secret or read_or_create_secret(
        platform.settings.data_dir / SECRET_FILE, lambda: secrets.token_urlsafe(48)
    )
    access = AccessTokens(secret, f"chorus-agentchassis:{tenant.id}", platform.clock, settings.access_token_seconds)
    google = None
    if settings.google.client_id:
        google = GoogleIdTokens(settings.google.client_id, settings.google.jwks_url, settings.google.issuers)
    auth = ChassisAuth(
        tenant.id,
        UserAccounts(platform.db, platform.clock),
        AccountCodes(
            platform.db,
            platform.clock,
            _derived(secret, "account-codes"),
            round(settings.code_minutes * 60_000),
            settings.code_attempts,
        ),
        RefreshTokens(platform.db, platform.clock, round(settings.refresh_token_days * 86_400_000)),
        access,
        mailer_for(settings.smtp, platform.db, platform.clock),
        google,
        settings.code_minutes,
    )
    platform.closers.append(auth.aclose)
    headers = SURFACE.dialect.rate_limit_headers
    mails = (RateLimitItemPerMinute(settings.mails_per_minute),)
    limits = MethodRateLimits(
        platform.limiter,
        f"agentchassis:{tenant.id}",
        {
            AUTH + "Login": (RateLimitItemPerMinute(settings.login_attempts, settings.login_window_minutes),),
            AUTH + "ResendVerification": mails,
            AUTH + "PasswordReset": mails,
        },
        headers,
    )
    policies = (ChassisIdentity(tenant, settings.effective_api_key(), access, platform.key_failures), limits)
    store = ConversationStore(platform.db, SURFACE.name)
    sessions = AgentSessions(platform.db, platform.clock, tenant.id)
    default_route = settings.model or platform.settings.models.default
    tools = await agent_tools(platform, settings, default_route)
    mcp = None
    if settings.mcp_url:
        mcp = McpTools(
            McpToolClient(McpServerTarget(url=settings.mcp_url), settings.mcp_timeout),
            frozenset(t.spec.name for t in tools),
        )
        platform.closers.append(mcp.aclose)
    agent = ChassisAgent(
        platform.models,
        tools,
        Quotas(platform.limiter, [], f"agentchassis:{tenant.id}", "QUOTA_EXCEEDED", headers),
        store,
        sessions,
        platform.clock,
        tenant_id=tenant.id,
        context_messages=settings.context_messages,
        max_tool_rounds=settings.max_tool_rounds,
        mcp=mcp,
    )
    agent_service = AgentChassisAgentService(
        agent, sessions, store, tenant.id, lambda model: settings.route_of(model, platform.settings)
    )
    services = (
        ("agentchassis.v1.AgentService", agent_pb2_grpc.add_AgentServiceServicer_to_server, agent_service),
        (
            "agentchassis.v1.HealthService",
            agent_pb2_grpc.add_HealthServiceServicer_to_server,
            AgentChassisHealthService(),
        ),
        ("agentchassis.v1.AuthService", auth_pb2_grpc.add_AuthServiceServicer_to_server, AgentChassisAuthService(auth)),
    )
    return [ServiceUnit(name, register, servicer, policies) for name, register, servicer in services]
