"""mcos.v1.MemoryService: `/api/memory` over the pinned-memory domain."""

from __future__ import annotations

import grpc
from chorus_contracts.mcos.v1 import memory_pb2, memory_pb2_grpc, resources_pb2

from server.surfaces.mcos.memories import DEFAULT_LIMIT, MemoryRecord, MemoryService
from server.surfaces.mcos.servicers.principal import principal_scope


def memory_pb(memory: MemoryRecord) -> resources_pb2.Memory:
    out = resources_pb2.Memory(
        id=memory.id, type=memory.type, key=memory.key, value=memory.value, category=memory.category
    )
    out.created_at.FromMilliseconds(memory.created_at_ms)
    out.updated_at.FromMilliseconds(memory.updated_at_ms)
    return out


class McosMemoryService(memory_pb2_grpc.MemoryServiceServicer):
    def __init__(self, memories: MemoryService) -> None:
        self._memories = memories

    async def ListMemories(
        self, request: memory_pb2.ListMemoriesRequest, context: grpc.aio.ServicerContext
    ) -> memory_pb2.ListMemoriesResponse:
        page = await self._memories.list(
            principal_scope(),
            type=request.type,
            category=request.category,
            limit=request.limit or DEFAULT_LIMIT,
            cursor=request.cursor,
        )
        return memory_pb2.ListMemoriesResponse(
            pinned_memories=[memory_pb(m) for m in page.memories],
            has_more=bool(page.next_cursor),
            next_cursor=page.next_cursor,
        )

    async def PinMemory(
        self, request: memory_pb2.PinMemoryRequest, context: grpc.aio.ServicerContext
    ) -> memory_pb2.PinMemoryResponse:
        memory = await self._memories.pin(
            principal_scope(), type=request.type, key=request.key, value=request.value, category=request.category
        )
        return memory_pb2.PinMemoryResponse(memory=memory_pb(memory))
