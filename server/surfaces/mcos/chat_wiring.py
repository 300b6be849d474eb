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
from server.surfaces.mcos.memories import MemoryService
from server.surfaces.mcos.servicers.chat import McosChatService
from server.surfaces.mcos.stores.conversation_store import ConversationStore
from server.surfaces.mcos.tasks import TaskService


def conversations(core: McosCore) -> ConversationService:
    """The user's conversations; the state snapshot reads its recent messages."""
    platform = core.platform
    return ConversationService(
        ConversationStore(platform.db),
        platform.clock,
        active_messages=core.settings.retention.active_messages,
    )


def units(core: McosCore, conversations: ConversationService, flights: FlightTools) -> list[ServiceUnit]:
    platform, settings = core.platform, core.settings
    tasks, memories = TaskService(platform.db, platform.clock), MemoryService(platform.db, platform.clock)
    tools = [
        list_tasks_tool(tasks),
        create_task_tool(tasks),
        pin_memory_tool(memories),
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
        retention = ChatRetention(
            ConversationStore(platform.db), platform.clock, archive_days=settings.retention.archive_days
        )
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
