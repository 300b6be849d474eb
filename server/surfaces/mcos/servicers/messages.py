"""Stored chat messages as MCoS protobuf messages (history and state share it)."""

from __future__ import annotations

from chorus_contracts.mcos.v1 import resources_pb2

from server.platform.agent.loop import ToolInvocation
from server.platform.chat.messages import ConversationMessage
from server.platform.struct_values import dict_to_struct, python_to_value
from server.surfaces.mcos.assistant import ROLE


def tool_invocation_pb(record: ToolInvocation) -> resources_pb2.ToolInvocation:
    invocation = resources_pb2.ToolInvocation(id=record.id, name=record.name)
    invocation.args.CopyFrom(dict_to_struct(record.args))
    invocation.result.CopyFrom(python_to_value(record.result))
    return invocation


def chat_message_pb(message: ConversationMessage) -> resources_pb2.ChatMessage:
    out = resources_pb2.ChatMessage(
        id=message.id,
        role=ROLE.number(message.role),
        content=message.content,
        conversation_id=message.conversation_id,
        tool_calls=[tool_invocation_pb(t) for t in message.tool_calls],
    )
    out.timestamp.FromMilliseconds(message.created_at_ms)
    if message.failure is not None:
        out.status = "failed"
        out.error.code, out.error.message = message.failure.code, message.failure.message
        out.error.details.SetInParent()  # `{}` when there are none
        out.error.details.update(message.failure.details)
    elif message.incomplete:
        out.status = "incomplete"
    return out
