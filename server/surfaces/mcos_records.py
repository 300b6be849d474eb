"""MCoS records wiring: tasks, pinned memories, preferences and the state snapshot."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chorus_contracts.mcos.v1 import memory_pb2_grpc, state_pb2_grpc, tasks_pb2_grpc

from server.domain.conversation_messages import RecentMessages
from server.domain.memories import MemoryService
from server.domain.preferences import PreferenceService
from server.domain.tasks import TaskService
from server.domain.user_state import UserStateService
from server.services.mcos_memory import McosMemoryService
from server.services.mcos_state import McosStateService
from server.services.mcos_tasks import McosTaskService
from server.storage.user_changes import UserChanges
from server.surfaces import ServiceUnit

if TYPE_CHECKING:
    from server.surfaces.mcos import McosCore


def units(core: McosCore, conversations: RecentMessages) -> list[ServiceUnit]:
    db, clock = core.platform.db, core.platform.clock
    tasks, memories, preferences = TaskService(db, clock), MemoryService(db, clock), PreferenceService(db, clock)
    state = UserStateService(tasks, memories, preferences, conversations, UserChanges(db), clock)
    return [
        ServiceUnit(
            "mcos.v1.TaskService",
            tasks_pb2_grpc.add_TaskServiceServicer_to_server,
            McosTaskService(tasks),
            core.policies,
        ),
        ServiceUnit(
            "mcos.v1.MemoryService",
            memory_pb2_grpc.add_MemoryServiceServicer_to_server,
            McosMemoryService(memories),
            core.policies,
        ),
        ServiceUnit(
            "mcos.v1.StateService",
            state_pb2_grpc.add_StateServiceServicer_to_server,
            McosStateService(state, preferences),
            core.policies,
        ),
    ]
