"""MCoS records wiring: tasks, pinned memories, preferences and the state snapshot."""

from __future__ import annotations

from dataclasses import dataclass

from chorus_contracts.mcos.v1 import memory_pb2_grpc, state_pb2_grpc, tasks_pb2_grpc

from server.platform.surface import ServiceUnit
from server.surfaces.mcos.conversation_messages import RecentMessages
from server.surfaces.mcos.core import McosCore
from server.surfaces.mcos.memories import MemoryService
from server.surfaces.mcos.preferences import PreferenceService
from server.surfaces.mcos.servicers.memory import McosMemoryService
from server.surfaces.mcos.servicers.state import McosStateService
from server.surfaces.mcos.servicers.tasks import McosTaskService
from server.surfaces.mcos.stores.user_changes import UserChanges
from server.surfaces.mcos.tasks import TaskService
from server.surfaces.mcos.user_state import UserStateService


@dataclass(frozen=True)
class McosRecords:
    """The record services, built once: their servicers and the assistant's tools share them."""

    tasks: TaskService
    memories: MemoryService
    preferences: PreferenceService


def records(core: McosCore) -> McosRecords:
    db, clock = core.platform.db, core.platform.clock
    return McosRecords(TaskService(db, clock), MemoryService(db, clock), PreferenceService(db, clock))


def units(core: McosCore, records: McosRecords, conversations: RecentMessages) -> list[ServiceUnit]:
    tasks, memories, preferences = records.tasks, records.memories, records.preferences
    state = UserStateService(
        tasks, memories, preferences, conversations, UserChanges(core.platform.db), core.platform.clock
    )
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
