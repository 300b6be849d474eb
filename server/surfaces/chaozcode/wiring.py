"""ChaozCode's services (spec 001): one deployment tenant, its users' typed keys and plans.

Every service admits a call through `ChaozCodeAdmission` (key, key type,
plan limit) and records it in the persisted usage counters.
"""

from __future__ import annotations

from chorus_contracts.chaozcode.v2 import (
    agents_pb2_grpc,
    codebase_pb2_grpc,
    memory_pb2_grpc,
    projects_pb2_grpc,
    query_pb2_grpc,
    user_pb2_grpc,
    webhooks_pb2_grpc,
)

from server.platform.accounts.api_keys import AccountKeys
from server.platform.accounts.users import UserAccounts
from server.platform.admission.quotas import Quotas
from server.platform.chat.conversation_store import ConversationStore
from server.platform.surface import Platform, ServiceUnit
from server.platform.webhooks import webhook_delivery
from server.surfaces.chaozcode.accounts import ChaozCodeAccounts
from server.surfaces.chaozcode.admission import ChaozCodeAdmission
from server.surfaces.chaozcode.agents.runs import AgentRuns
from server.surfaces.chaozcode.agents.tools import ChaozCodeAgentTools
from server.surfaces.chaozcode.catalog import ModelCatalog
from server.surfaces.chaozcode.chat import ConversationChat
from server.surfaces.chaozcode.codebase.assistant import CodeAssistant
from server.surfaces.chaozcode.events import ChaozCodeEvents
from server.surfaces.chaozcode.key_types import LABELS, chaozcode_key_types
from server.surfaces.chaozcode.memory import memory_spine
from server.surfaces.chaozcode.memory_jobs import register_purge
from server.surfaces.chaozcode.plan_limits import PlanLimiter
from server.surfaces.chaozcode.projects import ProjectService
from server.surfaces.chaozcode.query import QueryEngine
from server.surfaces.chaozcode.servicers.agents import ChaozCodeAgentService
from server.surfaces.chaozcode.servicers.codebase import ChaozCodeCodebaseService
from server.surfaces.chaozcode.servicers.memory import ChaozCodeMemoryService
from server.surfaces.chaozcode.servicers.projects import ChaozCodeProjectService
from server.surfaces.chaozcode.servicers.query import ChaozCodeModelService, ChaozCodeQueryService
from server.surfaces.chaozcode.servicers.user import ChaozCodeUserService
from server.surfaces.chaozcode.servicers.webhooks import ChaozCodeWebhookService
from server.surfaces.chaozcode.settings import SETTINGS
from server.surfaces.chaozcode.surface import SURFACE
from server.surfaces.chaozcode.usage import UsageStore
from server.surfaces.chaozcode.usage_report import UsageReports
from server.surfaces.chaozcode.usage_threshold import UsageThreshold


def account_keys(platform: Platform) -> AccountKeys:
    return AccountKeys(platform.db, platform.clock, LABELS)


async def build(platform: Platform) -> list[ServiceUnit]:
    settings = SETTINGS.of(platform.settings)
    tenant = await platform.tenants.seeded(settings.tenant_seed())
    keys = account_keys(platform)
    key_types = chaozcode_key_types(SURFACE.name)
    limits = PlanLimiter(platform.limiter, settings, f"chaozcode:{tenant.id}", SURFACE.dialect.rate_limit_headers)
    usage = UsageStore(platform.db, settings.usage_flush_seconds)
    platform.closers.append(usage.aclose)
    accounts = ChaozCodeAccounts(
        tenant.id, UserAccounts(platform.db, platform.clock), keys, key_types, limits, usage, platform.clock
    )
    policies = (ChaozCodeAdmission(keys, tenant, platform.key_failures, key_types, limits, usage, platform.clock),)
    catalog = ModelCatalog(platform.settings, settings)
    engine = QueryEngine(catalog, platform.models, usage, platform.clock)
    chat = ConversationChat(
        engine, ConversationStore(platform.db, SURFACE.name), platform.clock, settings.chat_context_messages
    )
    queries = ChaozCodeQueryService(engine, chat)
    user_service = ChaozCodeUserService(accounts, UsageReports(usage, catalog, platform.clock))
    events = ChaozCodeEvents(await webhook_delivery(platform), tenant.id)
    spine = await memory_spine(platform)
    spine.on_change = events.emit
    register_purge(platform.jobs, spine, settings.memory_purge_interval)
    memory = ChaozCodeMemoryService(spine)
    codebase = ChaozCodeCodebaseService(CodeAssistant(engine))
    usage.after_write = UsageThreshold(events, limits.daily_limit, settings.usage_threshold, platform.clock)
    project_service = ProjectService(platform.db, platform.clock, events)
    projects = ChaozCodeProjectService(project_service)
    agent_tools = ChaozCodeAgentTools(project_service, spine, platform.models, catalog.default.route)
    agent_runs = AgentRuns(
        platform.db,
        platform.clock,
        platform.jobs,
        events,
        platform.models,
        catalog,
        agent_tools,
        Quotas(platform.limiter, (), f"chaozcode-agents:{tenant.id}", "RATE_LIMITED"),
        usage,
        tenant.id,
        settings.agent_settle_seconds,
    )
    services = (
        ("chaozcode.v2.UserService", user_pb2_grpc.add_UserServiceServicer_to_server, user_service),
        ("chaozcode.v2.QueryService", query_pb2_grpc.add_QueryServiceServicer_to_server, queries),
        ("chaozcode.v2.ModelService", query_pb2_grpc.add_ModelServiceServicer_to_server, ChaozCodeModelService(engine)),
        ("chaozcode.v2.ProjectService", projects_pb2_grpc.add_ProjectServiceServicer_to_server, projects),
        ("chaozcode.v2.MemoryService", memory_pb2_grpc.add_MemoryServiceServicer_to_server, memory),
        ("chaozcode.v2.CodebaseService", codebase_pb2_grpc.add_CodebaseServiceServicer_to_server, codebase),
        (
            "chaozcode.v2.AgentService",
            agents_pb2_grpc.add_AgentServiceServicer_to_server,
            ChaozCodeAgentService(agent_runs, platform.clock),
        ),
        (
            "chaozcode.v2.WebhookService",
            webhooks_pb2_grpc.add_WebhookServiceServicer_to_server,
            ChaozCodeWebhookService(events.webhooks),
        ),
    )
    return [ServiceUnit(name, register, servicer, policies) for name, register, servicer in services]
