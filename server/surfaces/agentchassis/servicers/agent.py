"""agentchassis.v1.AgentService and HealthService."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import grpc
from chorus_contracts.agentchassis.v1 import agent_pb2, agent_pb2_grpc
from google.protobuf.json_format import MessageToDict

from server.platform.chat.conversation_store import ConversationStore
from server.platform.document_enums import DocumentEnum
from server.platform.errors import FieldViolation, invalid_argument
from server.platform.scope import Scope
from server.surfaces.agentchassis.agent import ChassisAgent, CompletionInput
from server.surfaces.agentchassis.servicers.common import caller_id, timestamp
from server.surfaces.agentchassis.sessions import AgentSessions, SessionInfo

VISIBILITY = DocumentEnum(agent_pb2.Visibility)


def completion_input(request: agent_pb2.CompletionRequest) -> CompletionInput:
    return CompletionInput(
        messages=tuple((m.role, m.content) for m in request.messages),
        message=request.message if request.HasField("message") else None,
        session_id=request.session_id if request.HasField("session_id") else None,
        model=request.model,
        # Protobuf cannot tell an empty list from none: both offer every tool (see the README).
        allowed_tools=tuple(request.allowed_tools) if request.allowed_tools else None,
        metadata=MessageToDict(request.metadata) if request.HasField("metadata") else {},
    )


class AgentChassisAgentService(agent_pb2_grpc.AgentServiceServicer):
    def __init__(
        self,
        agent: ChassisAgent,
        sessions: AgentSessions,
        store: ConversationStore,
        tenant_id: str,
        route_of: Callable[[str], str | None],
    ) -> None:
        self._agent = agent
        self._sessions = sessions
        self._store = store
        self._tenant = tenant_id
        self._route_of = route_of

    async def Completion(
        self, request: agent_pb2.CompletionRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[agent_pb2.CompletionResponse]:
        route = self._route_of(request.model)
        if route is None:
            raise invalid_argument(f"Unknown model {request.model!r}", (FieldViolation("model", "unknown"),))
        turn = await self._agent.complete(caller_id(), completion_input(request), route)
        session_id = turn.session_id
        if request.HasField("stream") and request.stream:
            async for piece in turn.events:
                yield agent_pb2.CompletionResponse(content=agent_pb2.ContentEvent(content=piece))
            yield agent_pb2.CompletionResponse(done=agent_pb2.DoneEvent(session_id=session_id))
            return
        parts = [piece async for piece in turn.events]
        yield agent_pb2.CompletionResponse(
            result=agent_pb2.CompletionResult(role="assistant", content="".join(parts), session_id=session_id)
        )

    async def _session(self, info: SessionInfo) -> agent_pb2.Session:
        messages = await self._store.conversation(Scope(self._tenant, info.owner_id), info.id) or []
        session = agent_pb2.Session(
            session_id=info.id,
            owner_id=info.owner_id,
            access=agent_pb2.SessionAccess(
                visibility=VISIBILITY.number(info.visibility), shared_with=list(info.shared_with)
            ),
            messages=[
                agent_pb2.SessionMessage(role=m.role, content=m.content, created_at=timestamp(m.created_at_ms))
                for m in messages
            ],
            created_at=timestamp(info.created_at_ms),
            updated_at=timestamp(info.updated_at_ms),
        )
        session.metadata.update(info.metadata)
        return session

    async def GetSession(
        self, request: agent_pb2.GetSessionRequest, context: grpc.aio.ServicerContext
    ) -> agent_pb2.GetSessionResponse:
        info = await self._sessions.readable(request.session_id, caller_id())
        return agent_pb2.GetSessionResponse(session=await self._session(info))

    async def UpdateSessionAccess(
        self, request: agent_pb2.UpdateSessionAccessRequest, context: grpc.aio.ServicerContext
    ) -> agent_pb2.UpdateSessionAccessResponse:
        if request.visibility == agent_pb2.VISIBILITY_UNSPECIFIED:
            raise invalid_argument(
                "visibility is required: private, shared or public", (FieldViolation("visibility", "required"),)
            )
        info = await self._sessions.set_access(
            request.session_id, caller_id(), VISIBILITY.text(request.visibility), list(request.shared_with)
        )
        return agent_pb2.UpdateSessionAccessResponse(session=await self._session(info))

    async def DeleteSession(
        self, request: agent_pb2.DeleteSessionRequest, context: grpc.aio.ServicerContext
    ) -> agent_pb2.DeleteSessionResponse:
        info = await self._sessions.delete(request.session_id, caller_id())
        await self._store.delete(Scope(self._tenant, info.owner_id), info.id)
        return agent_pb2.DeleteSessionResponse(deleted=True, session_id=info.id)


class AgentChassisHealthService(agent_pb2_grpc.HealthServiceServicer):
    async def Health(
        self, request: agent_pb2.HealthRequest, context: grpc.aio.ServicerContext
    ) -> agent_pb2.HealthResponse:
        return agent_pb2.HealthResponse(status="healthy")
