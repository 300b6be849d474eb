from chorus_contracts.chorus.api.v1 import annotations_pb2 as _annotations_pb2
from google.api import annotations_pb2 as _annotations_pb2_1
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetHealthRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetHealthResponse(_message.Message):
    __slots__ = ("service", "status", "mode", "version")
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    service: str
    status: str
    mode: str
    version: str
    def __init__(self, service: _Optional[str] = ..., status: _Optional[str] = ..., mode: _Optional[str] = ..., version: _Optional[str] = ...) -> None: ...

class GenerateChittyIdRequest(_message.Message):
    __slots__ = ("metadata", "session_context")
    METADATA_FIELD_NUMBER: _ClassVar[int]
    SESSION_CONTEXT_FIELD_NUMBER: _ClassVar[int]
    metadata: _struct_pb2.Struct
    session_context: _struct_pb2.Struct
    def __init__(self, metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., session_context: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class GenerateChittyIdResponse(_message.Message):
    __slots__ = ("chitty_id", "source", "pipeline", "note", "metadata", "created")
    CHITTY_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    chitty_id: str
    source: str
    pipeline: str
    note: str
    metadata: _struct_pb2.Struct
    created: str
    def __init__(self, chitty_id: _Optional[str] = ..., source: _Optional[str] = ..., pipeline: _Optional[str] = ..., note: _Optional[str] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., created: _Optional[str] = ...) -> None: ...

class ValidateChittyIdRequest(_message.Message):
    __slots__ = ("chitty_id",)
    CHITTY_ID_FIELD_NUMBER: _ClassVar[int]
    chitty_id: str
    def __init__(self, chitty_id: _Optional[str] = ...) -> None: ...

class ValidateChittyIdResponse(_message.Message):
    __slots__ = ("valid", "chitty_id", "has_metadata", "format", "error")
    VALID_FIELD_NUMBER: _ClassVar[int]
    CHITTY_ID_FIELD_NUMBER: _ClassVar[int]
    HAS_METADATA_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    valid: bool
    chitty_id: str
    has_metadata: bool
    format: str
    error: str
    def __init__(self, valid: _Optional[bool] = ..., chitty_id: _Optional[str] = ..., has_metadata: _Optional[bool] = ..., format: _Optional[str] = ..., error: _Optional[str] = ...) -> None: ...

class GetChittyIdMetadataRequest(_message.Message):
    __slots__ = ("chitty_id",)
    CHITTY_ID_FIELD_NUMBER: _ClassVar[int]
    chitty_id: str
    def __init__(self, chitty_id: _Optional[str] = ...) -> None: ...

class GetChittyIdMetadataResponse(_message.Message):
    __slots__ = ("metadata", "session_context", "created", "source")
    METADATA_FIELD_NUMBER: _ClassVar[int]
    SESSION_CONTEXT_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    metadata: _struct_pb2.Struct
    session_context: _struct_pb2.Struct
    created: str
    source: str
    def __init__(self, metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., session_context: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., created: _Optional[str] = ..., source: _Optional[str] = ...) -> None: ...
