import datetime

from chorus_contracts.chorus.api.v1 import annotations_pb2 as _annotations_pb2
from google.api import annotations_pb2 as _annotations_pb2_1
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from chorus_contracts.mcos.v1 import resources_pb2 as _resources_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetStateRequest(_message.Message):
    __slots__ = ("since", "cursor")
    SINCE_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    since: _timestamp_pb2.Timestamp
    cursor: str
    def __init__(self, since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., cursor: _Optional[str] = ...) -> None: ...

class GetStateResponse(_message.Message):
    __slots__ = ("user_id", "tasks", "preferences", "recent_messages", "pinned_memories", "last_updated", "deleted_task_ids", "cursor")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    PREFERENCES_FIELD_NUMBER: _ClassVar[int]
    RECENT_MESSAGES_FIELD_NUMBER: _ClassVar[int]
    PINNED_MEMORIES_FIELD_NUMBER: _ClassVar[int]
    LAST_UPDATED_FIELD_NUMBER: _ClassVar[int]
    DELETED_TASK_IDS_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    tasks: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Task]
    preferences: _resources_pb2.Preferences
    recent_messages: _containers.RepeatedCompositeFieldContainer[_resources_pb2.ChatMessage]
    pinned_memories: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Memory]
    last_updated: _timestamp_pb2.Timestamp
    deleted_task_ids: _containers.RepeatedScalarFieldContainer[str]
    cursor: str
    def __init__(self, user_id: _Optional[str] = ..., tasks: _Optional[_Iterable[_Union[_resources_pb2.Task, _Mapping]]] = ..., preferences: _Optional[_Union[_resources_pb2.Preferences, _Mapping]] = ..., recent_messages: _Optional[_Iterable[_Union[_resources_pb2.ChatMessage, _Mapping]]] = ..., pinned_memories: _Optional[_Iterable[_Union[_resources_pb2.Memory, _Mapping]]] = ..., last_updated: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., deleted_task_ids: _Optional[_Iterable[str]] = ..., cursor: _Optional[str] = ...) -> None: ...

class UpdatePreferencesRequest(_message.Message):
    __slots__ = ("preferences", "update_mask")
    PREFERENCES_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    preferences: _resources_pb2.Preferences
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, preferences: _Optional[_Union[_resources_pb2.Preferences, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdatePreferencesResponse(_message.Message):
    __slots__ = ("preferences",)
    PREFERENCES_FIELD_NUMBER: _ClassVar[int]
    preferences: _resources_pb2.Preferences
    def __init__(self, preferences: _Optional[_Union[_resources_pb2.Preferences, _Mapping]] = ...) -> None: ...
