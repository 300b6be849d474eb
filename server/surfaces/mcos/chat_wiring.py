"""MCoS chat wiring: conversations, the assistant and its tools, the retention job."""

from __future__ import annotations

from chorus_contracts.mcos.v1 import chat_pb2_grpc

from server.platform.agent.tool_box import ToolBox
from server.platform.surface import ServiceUnit
from server.surfaces.mcos.assistant import Assistant
from server.surfaces.mcos.assistant_tools import (
    create_task_tool,
    list_tasks_tool,
    pin_memory_tool,
    rank_flights_tool,
    search_flights_tool,
)
from server.surfaces.mcos.chat_retention import ChatRetention, stop
from server.surfaces.mcos.conversations import ConversationService
from server.surfaces.mcos.core import McosCore
from server.surfaces.mcos.flights.service import FlightTools
from server.surfaces.mcos.records_wiring import McosRecords
from server.surfaces.mcos.servicers.chat import McosChatService
from server.surfaces.mcos.stores.conversation_store import ConversationStore


def conversation_store(core: McosCore) -> ConversationStore:
    """The one store of the user's conversations: the chat, its retention job and
    the state snapshot (which reads its recent messages) share it."""
    return ConversationStore(core.platform.db)


def conversations(core: McosCore, store: ConversationStore) -> ConversationService:
    return ConversationService(store, core.platform.clock, active_messages=core.settings.retention.active_messages)


def units(
    core: McosCore,
    store: ConversationStore,
    conversations: ConversationService,
    records: McosRecords,
    flights: FlightTools,
) -> list[ServiceUnit]:
    platform, settings = core.platform, core.settings
    tools = [
        list_tasks_tool(records.tasks),
        create_task_tool(records.tasks),
        pin_memory_tool(records.memories),
        search_flights_tool(flights),
        rank_flights_tool(flights),
    ]
    assistant = Assistant(
        conversations,
        platform.models,
        ToolBox(tools, core.quotas),
        core.quotas,
        platform.clock,
        model=settings.chat.model,
        context_messages=settings.chat.context_messages,
        max_tool_rounds=settings.chat.max_tool_rounds,
    )
    if settings.retention.interval > 0:
        retention = ChatRetention(store, platform.clock, archive_days=settings.retention.archive_days)
        task = retention.start(settings.retention.interval)
        platform.closers.append(lambda: stop(task))
    return [
        ServiceUnit(
            "mcos.v1.ChatService",
            chat_pb2_grpc.add_ChatServiceServicer_to_server,
            McosChatService(assistant, conversations),
            core.policies,
        )
    ]
