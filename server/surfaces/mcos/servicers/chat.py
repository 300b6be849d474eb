"""mcos.v1.ChatService: the assistant's turns and the conversation history."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing

import grpc
from chorus_contracts.mcos.v1 import chat_pb2, chat_pb2_grpc

from server.platform.agent.loop import TokenOut, ToolCallOut, ToolResultOut
from server.platform.struct_values import dict_to_struct, python_to_value, struct_to_dict, value_to_python
from server.surfaces.mcos.assistant import (
    ROLE,
    Assistant,
    TurnDone,
    TurnEvent,
    TurnMessage,
    TurnRequest,
)
from server.surfaces.mcos.conversations import ConversationService
from server.surfaces.mcos.servicers.messages import chat_message_pb, tool_invocation_pb
from server.surfaces.mcos.servicers.principal import principal_scope


def _turn_message(message: chat_pb2.ChatTurnMessage) -> TurnMessage:
    content = value_to_python(message.content) if message.HasField("content") else None
    return TurnMessage(ROLE.text(message.role), content, tuple(struct_to_dict(a) for a in message.attachments))


def _event_pb(event: TurnEvent) -> chat_pb2.ChatResponse:
    if isinstance(event, TokenOut):
        return chat_pb2.ChatResponse(token=chat_pb2.TokenEvent(token=event.text))
    if isinstance(event, ToolCallOut):
        return chat_pb2.ChatResponse(
            tool_call=chat_pb2.ToolCallEvent(name=event.name, args=dict_to_struct(event.args), id=event.id)
        )
    if isinstance(event, ToolResultOut):
        return chat_pb2.ChatResponse(
            tool_result=chat_pb2.ToolResultEvent(result=python_to_value(event.result), id=event.id, name=event.name)
        )
    return chat_pb2.ChatResponse(
        done=chat_pb2.DoneEvent(message_id=event.message_id, conversation_id=event.conversation_id)
    )


def _reply_pb(done: TurnDone) -> chat_pb2.ChatResponse:
    return chat_pb2.ChatResponse(
        reply=chat_pb2.ChatReply(
            message_id=done.message_id,
            conversation_id=done.conversation_id,
            content=done.content,
            tool_calls=[tool_invocation_pb(t) for t in done.tool_calls],
        )
    )


class McosChatService(chat_pb2_grpc.ChatServiceServicer):
    def __init__(self, assistant: Assistant, conversations: ConversationService) -> None:
        self._assistant = assistant
        self._conversations = conversations

    async def Chat(
        self, request: chat_pb2.ChatRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[chat_pb2.ChatResponse]:
        streaming = request.stream if request.HasField("stream") else True
        turn = TurnRequest(
            messages=[_turn_message(m) for m in request.messages],
            tool_choice=request.tool_choice,
            conversation_id=request.conversation_id,
        )
        # Closed explicitly, so a client that leaves stops the turn (and keeps its partial reply) now.
        async with aclosing(self._assistant.turn(principal_scope(), turn)) as events:
            async for event in events:
                if isinstance(event, TurnDone) and not streaming:
                    yield _reply_pb(event)
                elif streaming:
                    yield _event_pb(event)

    async def GetChatHistory(
        self, request: chat_pb2.GetChatHistoryRequest, context: grpc.aio.ServicerContext
    ) -> chat_pb2.GetChatHistoryResponse:
        page = await self._conversations.history(
            principal_scope(),
            conversation_id=request.conversation_id,
            limit=request.limit,
            before=request.before,
            after=request.after,
        )
        return chat_pb2.GetChatHistoryResponse(
            messages=[chat_message_pb(m) for m in page.messages], has_more=page.has_more, cursor=page.cursor
        )
