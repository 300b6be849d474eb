"""chaozcode.v2.MemoryService: the caller's Memory Spine (server/surfaces/chaozcode/memory.py)."""

from __future__ import annotations

from typing import Any

import grpc
from chorus_contracts.chaozcode.v2 import memory_pb2, memory_pb2_grpc
from google.protobuf.json_format import MessageToDict
from google.protobuf.struct_pb2 import Struct

from server.platform.admission.call import current_tenant_id
from server.platform.scope import Scope
from server.surfaces.chaozcode.memory import DEFAULT_CONTEXT_TOKENS, DEFAULT_LIMIT, Memory, MemorySpine
from server.surfaces.chaozcode.servicers.common import grant, timestamp


def caller_scope() -> Scope:
    """The memories of the user whose key made the call."""
    return Scope(current_tenant_id(), grant().user_id)


def _struct(value: dict[str, Any]) -> Struct:
    struct = Struct()
    struct.update(value)
    return struct


def _memory(memory: Memory) -> memory_pb2.Memory:
    return memory_pb2.Memory(
        id=memory.id,
        content=memory.content,
        tags=memory.tags,
        importance=memory.importance,
        metadata=_struct(memory.metadata),
        version=memory.version,
        vector_id=memory.vector_id,
        created_at=timestamp(memory.created_at_ms),
        updated_at=timestamp(memory.updated_at_ms),
    )


class ChaozCodeMemoryService(memory_pb2_grpc.MemoryServiceServicer):
    def __init__(self, spine: MemorySpine) -> None:
        self._spine = spine

    async def StoreMemory(
        self, request: memory_pb2.StoreMemoryRequest, context: grpc.aio.ServicerContext
    ) -> memory_pb2.StoreMemoryResponse:
        memory = await self._spine.store(
            caller_scope(),
            request.id,
            request.content,
            tags=list(request.tags),
            importance=request.importance,
            metadata=MessageToDict(request.metadata),
        )
        return memory_pb2.StoreMemoryResponse(
            ok=True, id=memory.id, vector_id=memory.vector_id, created_at=timestamp(memory.created_at_ms)
        )

    async def SearchMemories(
        self, request: memory_pb2.SearchMemoriesRequest, context: grpc.aio.ServicerContext
    ) -> memory_pb2.SearchMemoriesResponse:
        outcome = await self._spine.search(
            caller_scope(),
            request.query,
            request.limit if request.HasField("limit") else DEFAULT_LIMIT,
            list(request.tags),
            request.min_score if request.HasField("min_score") else None,
        )
        return memory_pb2.SearchMemoriesResponse(
            results=[
                memory_pb2.SearchResult(
                    id=f.memory.id,
                    content=f.memory.content,
                    score=round(f.score, 4),
                    tags=f.memory.tags,
                    created_at=timestamp(f.memory.created_at_ms),
                )
                for f in outcome.results
            ],
            total=len(outcome.results),
            took=outcome.took_ms,
        )

    async def GetMemoryStats(
        self, request: memory_pb2.GetMemoryStatsRequest, context: grpc.aio.ServicerContext
    ) -> memory_pb2.GetMemoryStatsResponse:
        stats = await self._spine.stats(caller_scope())
        return memory_pb2.GetMemoryStatsResponse(
            vector_count=stats.vector_count,
            storage_bytes=stats.storage_bytes,
            version=stats.version,
            avg_response_ms=stats.avg_response_ms,
            status=stats.status,
        )

    async def BuildMemoryContext(
        self, request: memory_pb2.BuildMemoryContextRequest, context: grpc.aio.ServicerContext
    ) -> memory_pb2.BuildMemoryContextResponse:
        packed = await self._spine.context(
            caller_scope(),
            request.query,
            request.max_tokens if request.HasField("max_tokens") else DEFAULT_CONTEXT_TOKENS,
        )
        return memory_pb2.BuildMemoryContextResponse(
            query=packed.query,
            memories=[
                memory_pb2.ContextMemory(
                    id=m.found.memory.id,
                    content=m.found.memory.content,
                    score=round(m.found.score, 4),
                    tags=m.found.memory.tags,
                    tokens=m.tokens,
                )
                for m in packed.memories
            ],
            token_count=packed.token_count,
            max_tokens=packed.max_tokens,
            omitted=packed.omitted,
        )

    async def GetMemory(
        self, request: memory_pb2.GetMemoryRequest, context: grpc.aio.ServicerContext
    ) -> memory_pb2.GetMemoryResponse:
        return memory_pb2.GetMemoryResponse(memory=_memory(await self._spine.get(caller_scope(), request.id)))

    async def UpdateMemory(
        self, request: memory_pb2.UpdateMemoryRequest, context: grpc.aio.ServicerContext
    ) -> memory_pb2.UpdateMemoryResponse:
        memory = await self._spine.update(
            caller_scope(),
            request.id,
            content=request.content if request.HasField("content") else None,
            tags=list(request.tags) if request.tags else None,
            importance=request.importance if request.HasField("importance") else None,
            metadata=MessageToDict(request.metadata) if request.HasField("metadata") else None,
        )
        return memory_pb2.UpdateMemoryResponse(memory=_memory(memory))

    async def DeleteMemory(
        self, request: memory_pb2.DeleteMemoryRequest, context: grpc.aio.ServicerContext
    ) -> memory_pb2.DeleteMemoryResponse:
        purge_at = await self._spine.delete(caller_scope(), request.id)
        return memory_pb2.DeleteMemoryResponse(id=request.id, deleted=True, purge_at=timestamp(purge_at))

    async def ListMemoryVersions(
        self, request: memory_pb2.ListMemoryVersionsRequest, context: grpc.aio.ServicerContext
    ) -> memory_pb2.ListMemoryVersionsResponse:
        current, versions = await self._spine.versions(caller_scope(), request.id)
        return memory_pb2.ListMemoryVersionsResponse(
            id=current.id,
            current_version=current.version,
            versions=[
                memory_pb2.MemoryVersion(
                    version=v.version,
                    content=v.content,
                    tags=v.tags,
                    importance=v.importance,
                    metadata=_struct(v.metadata),
                    created_at=timestamp(v.created_at_ms),
                )
                for v in versions
            ],
        )

    async def RestoreMemory(
        self, request: memory_pb2.RestoreMemoryRequest, context: grpc.aio.ServicerContext
    ) -> memory_pb2.RestoreMemoryResponse:
        restored = await self._spine.restore(caller_scope(), request.id)
        return memory_pb2.RestoreMemoryResponse(memory=_memory(restored))
