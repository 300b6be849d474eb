import datetime

from chorus_contracts.chorus.api.v1 import annotations_pb2 as _annotations_pb2
from google.api import annotations_pb2 as _annotations_pb2_1
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from chorus_contracts.mcos.v1 import resources_pb2 as _resources_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ChatTurnMessage(_message.Message):
    __slots__ = ("role", "content", "id", "created_at", "attachments", "metadata", "status")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    ATTACHMENTS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    role: _resources_pb2.Role
    content: _struct_pb2.Value
    id: str
    created_at: _timestamp_pb2.Timestamp
    attachments: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Struct]
    metadata: _struct_pb2.Struct
    status: _struct_pb2.Struct
    def __init__(self, role: _Optional[_Union[_resources_pb2.Role, str]] = ..., content: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., id: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., attachments: _Optional[_Iterable[_Union[_struct_pb2.Struct, _Mapping]]] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., status: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class ChatRequest(_message.Message):
    __slots__ = ("messages", "stream", "tool_choice", "conversation_id")
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    TOOL_CHOICE_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[ChatTurnMessage]
    stream: bool
    tool_choice: str
    conversation_id: str
    def __init__(self, messages: _Optional[_Iterable[_Union[ChatTurnMessage, _Mapping]]] = ..., stream: _Optional[bool] = ..., tool_choice: _Optional[str] = ..., conversation_id: _Optional[str] = ...) -> None: ...

class ChatResponse(_message.Message):
    __slots__ = ("token", "tool_call", "tool_result", "done", "reply")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOOL_CALL_FIELD_NUMBER: _ClassVar[int]
    TOOL_RESULT_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    REPLY_FIELD_NUMBER: _ClassVar[int]
    token: TokenEvent
    tool_call: ToolCallEvent
    tool_result: ToolResultEvent
    done: DoneEvent
    reply: ChatReply
    def __init__(self, token: _Optional[_Union[TokenEvent, _Mapping]] = ..., tool_call: _Optional[_Union[ToolCallEvent, _Mapping]] = ..., tool_result: _Optional[_Union[ToolResultEvent, _Mapping]] = ..., done: _Optional[_Union[DoneEvent, _Mapping]] = ..., reply: _Optional[_Union[ChatReply, _Mapping]] = ...) -> None: ...

class TokenEvent(_message.Message):
    __slots__ = ("token",)
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    token: str
    def __init__(self, token: _Optional[str] = ...) -> None: ...

class ToolCallEvent(_message.Message):
    __slots__ = ("name", "args", "id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ARGS_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    args: _struct_pb2.Struct
    id: str
    def __init__(self, name: _Optional[str] = ..., args: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., id: _Optional[str] = ...) -> None: ...

class ToolResultEvent(_message.Message):
    __slots__ = ("result", "id", "name")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    result: _struct_pb2.Value
    id: str
    name: str
    def __init__(self, result: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class DoneEvent(_message.Message):
    __slots__ = ("message_id", "conversation_id")
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    message_id: str
    conversation_id: str
    def __init__(self, message_id: _Optional[str] = ..., conversation_id: _Optional[str] = ...) -> None: ...

class ChatReply(_message.Message):
    __slots__ = ("message_id", "conversation_id", "content", "tool_calls")
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    TOOL_CALLS_FIELD_NUMBER: _ClassVar[int]
    message_id: str
    conversation_id: str
    content: str
    tool_calls: _containers.RepeatedCompositeFieldContainer[_resources_pb2.ToolInvocation]
    def __init__(self, message_id: _Optional[str] = ..., conversation_id: _Optional[str] = ..., content: _Optional[str] = ..., tool_calls: _Optional[_Iterable[_Union[_resources_pb2.ToolInvocation, _Mapping]]] = ...) -> None: ...

class GetChatHistoryRequest(_message.Message):
    __slots__ = ("conversation_id", "limit", "before", "after")
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    BEFORE_FIELD_NUMBER: _ClassVar[int]
    AFTER_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    limit: int
    before: str
    after: str
    def __init__(self, conversation_id: _Optional[str] = ..., limit: _Optional[int] = ..., before: _Optional[str] = ..., after: _Optional[str] = ...) -> None: ...

class GetChatHistoryResponse(_message.Message):
    __slots__ = ("messages", "has_more", "cursor")
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    HAS_MORE_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[_resources_pb2.ChatMessage]
    has_more: bool
    cursor: str
    def __init__(self, messages: _Optional[_Iterable[_Union[_resources_pb2.ChatMessage, _Mapping]]] = ..., has_more: _Optional[bool] = ..., cursor: _Optional[str] = ...) -> None: ...
