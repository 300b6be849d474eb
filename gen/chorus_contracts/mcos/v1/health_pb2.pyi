from chorus_contracts.chorus.api.v1 import annotations_pb2 as _annotations_pb2
from google.api import annotations_pb2 as _annotations_pb2_1
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetHealthRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ComponentHealth(_message.Message):
    __slots__ = ("durable_objects", "workers_ai", "realtime")
    DURABLE_OBJECTS_FIELD_NUMBER: _ClassVar[int]
    WORKERS_AI_FIELD_NUMBER: _ClassVar[int]
    REALTIME_FIELD_NUMBER: _ClassVar[int]
    durable_objects: str
    workers_ai: str
    realtime: str
    def __init__(self, durable_objects: _Optional[str] = ..., workers_ai: _Optional[str] = ..., realtime: _Optional[str] = ...) -> None: ...

class GetHealthResponse(_message.Message):
    __slots__ = ("status", "version", "services")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    SERVICES_FIELD_NUMBER: _ClassVar[int]
    status: str
    version: str
    services: ComponentHealth
    def __init__(self, status: _Optional[str] = ..., version: _Optional[str] = ..., services: _Optional[_Union[ComponentHealth, _Mapping]] = ...) -> None: ...
