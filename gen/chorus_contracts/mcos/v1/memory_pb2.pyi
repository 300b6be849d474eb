from chorus_contracts.chorus.api.v1 import annotations_pb2 as _annotations_pb2
from google.api import annotations_pb2 as _annotations_pb2_1
from chorus_contracts.mcos.v1 import resources_pb2 as _resources_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListMemoriesRequest(_message.Message):
    __slots__ = ("type", "category", "limit", "cursor")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    type: str
    category: str
    limit: int
    cursor: str
    def __init__(self, type: _Optional[str] = ..., category: _Optional[str] = ..., limit: _Optional[int] = ..., cursor: _Optional[str] = ...) -> None: ...

class ListMemoriesResponse(_message.Message):
    __slots__ = ("pinned_memories", "has_more", "next_cursor")
    PINNED_MEMORIES_FIELD_NUMBER: _ClassVar[int]
    HAS_MORE_FIELD_NUMBER: _ClassVar[int]
    NEXT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    pinned_memories: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Memory]
    has_more: bool
    next_cursor: str
    def __init__(self, pinned_memories: _Optional[_Iterable[_Union[_resources_pb2.Memory, _Mapping]]] = ..., has_more: _Optional[bool] = ..., next_cursor: _Optional[str] = ...) -> None: ...

class PinMemoryRequest(_message.Message):
    __slots__ = ("type", "key", "value", "category")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    type: str
    key: str
    value: str
    category: str
    def __init__(self, type: _Optional[str] = ..., key: _Optional[str] = ..., value: _Optional[str] = ..., category: _Optional[str] = ...) -> None: ...

class PinMemoryResponse(_message.Message):
    __slots__ = ("memory",)
    MEMORY_FIELD_NUMBER: _ClassVar[int]
    memory: _resources_pb2.Memory
    def __init__(self, memory: _Optional[_Union[_resources_pb2.Memory, _Mapping]] = ...) -> None: ...
