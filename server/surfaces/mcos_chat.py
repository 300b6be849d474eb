"""MCoS chat wiring: conversations, the assistant and its tools, the retention job."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chorus_contracts.mcos.v1 import chat_pb2_grpc

from server.domain.assistant import Assistant
from server.domain.assistant_tools import (
    create_task_tool,
    list_tasks_tool,
    pin_memory_tool,
    rank_flights_tool,
    search_flights_tool,
)
from server.domain.chat_retention import ChatRetention, stop
from server.domain.conversations import ConversationService
from server.domain.flights import FlightTools
from server.domain.memories import MemoryService
from server.domain.tasks import TaskService
from server.domain.tool_box import ToolBox
from server.services.mcos_chat import McosChatService
from server.storage.conversation_store import ConversationStore
from server.surfaces import ServiceUnit

if TYPE_CHECKING:
    from server.surfaces.mcos import McosCore


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
