"""Micro Chief of Staff's services (spec 003): chat with tools, tasks, state, memory, flights.

One deployment: every row belongs to the `mcos.tenant` tenant and, within
it, to the Cloudflare Access principal (`sub`). Each service admits a call
through the same policies: the access assertion, then the user's quotas.
Which methods are public, which quotas each spends or checks and which honour
`Idempotency-Key` are the methods' rules in proto/mcos/v1/*.proto.

Each domain service is built once here and shared by the parts that use it:
the record services by their servicers and the assistant's tools, the
conversation store by the chat, its retention job and the state snapshot,
the flights MCP session by the tool service and the assistant.

`[mcos.flights]` names the MCP server: a streamable-HTTP `url`, else a stdio
`command`, else Chorus's bundled sample-data server run with this Python.
Its session opens on the first search (not at start) and closes at shutdown.
"""

from __future__ import annotations

import logging
import sys

from chorus_contracts.mcos.v1 import (
    chat_pb2_grpc,
    health_pb2_grpc,
    memory_pb2_grpc,
    state_pb2_grpc,
    tasks_pb2_grpc,
    tools_pb2_grpc,
)

from server.platform.admission.idempotency import IdempotencyKeys
from server.platform.admission.quota_policy import QuotaPolicy
from server.platform.agent.tool_box import ToolBox
from server.platform.chat.conversation_store import ConversationStore
from server.platform.mcp.client import McpServerTarget, McpToolClient
from server.platform.surface import Platform, ServiceUnit
from server.surfaces.mcos.access.assertions import AccessAssertionVerifier, signing_keys
from server.surfaces.mcos.access.policy import CloudflareAccess
from server.surfaces.mcos.assistant import Assistant
from server.surfaces.mcos.assistant_tools import (
    create_task_tool,
    list_tasks_tool,
    pin_memory_tool,
    rank_flights_tool,
    search_flights_tool,
)
from server.surfaces.mcos.chat_retention import ChatRetention
from server.surfaces.mcos.component_health import ComponentHealth
from server.surfaces.mcos.conversations import ConversationService
from server.surfaces.mcos.flights.extra import FLIGHTS
from server.surfaces.mcos.flights.service import FlightTools
from server.surfaces.mcos.memories import MemoryService
from server.surfaces.mcos.preferences import PreferenceService
from server.surfaces.mcos.quotas import mcos_quotas
from server.surfaces.mcos.retention_jobs import McosRetention
from server.surfaces.mcos.servicers.chat import McosChatService
from server.surfaces.mcos.servicers.health import McosHealthService
from server.surfaces.mcos.servicers.memory import McosMemoryService
from server.surfaces.mcos.servicers.state import McosStateService
from server.surfaces.mcos.servicers.tasks import McosTaskService
from server.surfaces.mcos.servicers.tools import McosToolService
from server.surfaces.mcos.settings import SETTINGS, McosFlightsSettings
from server.surfaces.mcos.stores.task_store import TaskStore
from server.surfaces.mcos.stores.user_changes import UserChanges
from server.surfaces.mcos.stores.user_events import UserEvents, logged_tool
from server.surfaces.mcos.surface import SURFACE
from server.surfaces.mcos.tasks import TaskService
from server.surfaces.mcos.user_state import UserStateService

log = logging.getLogger("chorus.flights")

BUNDLED_SERVER = ("-m", "server.surfaces.mcos.flights.sample_server")


def server_target(settings: McosFlightsSettings) -> McpServerTarget:
    if settings.url:
        return McpServerTarget(url=settings.url)
    return McpServerTarget(command=tuple(settings.command) or (sys.executable, *BUNDLED_SERVER))


async def build(platform: Platform) -> list[ServiceUnit]:
    settings = SETTINGS.of(platform.settings)
    db, clock = platform.db, platform.clock
    tenant = await platform.tenants.seeded(settings.tenant_seed())
    keys = signing_keys(settings.access, platform.settings.data_dir)
    platform.closers.append(keys.aclose)
    verifier = AccessAssertionVerifier(keys, settings.access, clock)
    headers = SURFACE.dialect.rate_limit_headers
    quotas = mcos_quotas(platform.limiter, settings.rate_limits, f"mcos:{tenant.id}", headers)
    # Identity, then quotas.
    policies = (CloudflareAccess(verifier, tenant), QuotaPolicy(quotas))

    tasks, memories, preferences = TaskService(db, clock), MemoryService(db, clock), PreferenceService(db, clock)
    store = ConversationStore(db, SURFACE.name)
    conversations = ConversationService(store, clock, active_messages=settings.retention.active_messages)
    state = UserStateService(tasks, memories, preferences, conversations, UserChanges(db), clock)

    if FLIGHTS.missing:
        log.warning("%s; until then search_flights answers TOOL_ERROR", FLIGHTS.message)
    flights_client = McpToolClient(server_target(settings.flights), settings.flights.timeout)
    platform.closers.append(flights_client.aclose)
    flights = FlightTools(flights_client, settings.flights.tool)

    events = UserEvents(db)
    tools = [
        logged_tool(tool, events, clock)
        for tool in (
            list_tasks_tool(tasks),
            create_task_tool(tasks),
            pin_memory_tool(memories),
            search_flights_tool(flights),
            rank_flights_tool(flights),
        )
    ]
    assistant = Assistant(
        conversations,
        platform.models,
        ToolBox(tools, quotas),
        quotas,
        clock,
        model=settings.chat.model,
        context_messages=settings.chat.context_messages,
        max_tool_rounds=settings.chat.max_tool_rounds,
    )
    chat_retention = ChatRetention(store, clock, archive_days=settings.retention.archive_days)
    retention = McosRetention(chat_retention, TaskStore(db), events, clock, settings.retention)
    retention.register(platform.jobs, settings.retention.interval)

    health = ComponentHealth(db, platform.models, settings.chat.model)
    idempotency = IdempotencyKeys(round(settings.idempotency_ttl_hours * 3_600_000))
    state_service, chat_service = McosStateService(state, preferences), McosChatService(assistant, conversations)
    services = (
        ("mcos.v1.TaskService", tasks_pb2_grpc.add_TaskServiceServicer_to_server, McosTaskService(tasks)),
        ("mcos.v1.MemoryService", memory_pb2_grpc.add_MemoryServiceServicer_to_server, McosMemoryService(memories)),
        ("mcos.v1.StateService", state_pb2_grpc.add_StateServiceServicer_to_server, state_service),
        ("mcos.v1.ToolService", tools_pb2_grpc.add_ToolServiceServicer_to_server, McosToolService(flights)),
        ("mcos.v1.ChatService", chat_pb2_grpc.add_ChatServiceServicer_to_server, chat_service),
        ("mcos.v1.HealthService", health_pb2_grpc.add_HealthServiceServicer_to_server, McosHealthService(health)),
    )
    return [ServiceUnit(name, register, servicer, policies, idempotency) for name, register, servicer in services]
