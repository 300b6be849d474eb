"""crispy.v1.ChatService: Crispy Enigma's chat API over the shared chat engine."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
from chorus_contracts.crispy.v1 import chat_pb2, chat_pb2_grpc
from google.protobuf.timestamp_pb2 import Timestamp

from server.platform.admission.call import CallInfo, current_call
from server.platform.chat.engine import ChatEngine, TurnResult
from server.platform.clock import Clock
from server.platform.document_enums import DocumentEnum
from server.platform.scope import Scope
from server.platform.validation import Violations

MAX_MESSAGE_CHARS = 10_000
# Who wrote a stored message, as the document spells it (crispy.v1.Role).
ROLE = DocumentEnum(chat_pb2.Role)


def _scope(call: CallInfo) -> Scope:
    """The tenant's sessions; when the API key names a user, that user's alone."""
    assert call.caller is not None
    return Scope(tenant_id=call.caller.tenant.id, owner_id=call.caller.user_id or "")


def _check_session_id(session_id: str) -> None:
    problems = Violations()
    problems.uuid("sessionId", session_id)
    problems.raise_if_any()


def _usage(result: TurnResult) -> chat_pb2.Usage:
    return chat_pb2.Usage(prompt_tokens=result.usage.prompt_tokens, completion_tokens=result.usage.completion_tokens)


class CrispyChatService(chat_pb2_grpc.ChatServiceServicer):
    def __init__(self, engine: ChatEngine, clock: Clock, model: str, context_messages: int) -> None:
        self._engine = engine
        self._clock = clock
        self._model = model
        self._context_messages = context_messages

    async def GetHealth(
        self, request: chat_pb2.GetHealthRequest, context: grpc.aio.ServicerContext
    ) -> chat_pb2.GetHealthResponse:
        call = current_call()
        assert call.caller is not None
        now = Timestamp()
        now.FromMilliseconds(self._clock.now_ms())
        return chat_pb2.GetHealthResponse(
            status="ok", tenant=call.caller.tenant.id, timestamp=now, request_id=call.request_id
        )

    async def Chat(
        self, request: chat_pb2.ChatRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[chat_pb2.ChatResponse]:
        call = current_call()
        problems = Violations()
        problems.uuid("sessionId", request.session_id)
        problems.length("message", request.message, 1, MAX_MESSAGE_CHARS)
        problems.raise_if_any()
        streaming = request.stream if request.HasField("stream") else True
        turn = self._engine.turn(
            _scope(call),
            request.session_id.lower(),
            request.message,
            model=self._model,
            context_messages=self._context_messages,
        )
        async for event in turn:
            if isinstance(event, TurnResult):
                if streaming:
                    yield chat_pb2.ChatResponse(done=chat_pb2.ChatDone(usage=_usage(event)))
                else:
                    yield chat_pb2.ChatResponse(
                        completion=chat_pb2.ChatCompletion(
                            response=event.text, usage=_usage(event), request_id=call.request_id
                        )
                    )
            elif streaming:
                yield chat_pb2.ChatResponse(token=chat_pb2.ChatToken(token=event.text))

    async def GetSessionHistory(
        self, request: chat_pb2.GetSessionHistoryRequest, context: grpc.aio.ServicerContext
    ) -> chat_pb2.GetSessionHistoryResponse:
        call = current_call()
        _check_session_id(request.session_id)
        messages = await self._engine.history(_scope(call), request.session_id.lower())
        return chat_pb2.GetSessionHistoryResponse(
            session_id=request.session_id,
            messages=[
                chat_pb2.ChatMessage(
                    role=ROLE.number(m.role),
                    content=m.content,
                    timestamp=m.created_at_ms,
                    incomplete=True if m.incomplete else None,
                )
                for m in messages
            ],
            request_id=call.request_id,
        )

    async def DeleteSession(
        self, request: chat_pb2.DeleteSessionRequest, context: grpc.aio.ServicerContext
    ) -> chat_pb2.DeleteSessionResponse:
        call = current_call()
        _check_session_id(request.session_id)
        await self._engine.delete(_scope(call), request.session_id.lower())
        return chat_pb2.DeleteSessionResponse(success=True, session_id=request.session_id, request_id=call.request_id)
