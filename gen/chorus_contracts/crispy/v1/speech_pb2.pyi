from chorus_contracts.chorus.api.v1 import annotations_pb2 as _annotations_pb2
from google.api import annotations_pb2 as _annotations_pb2_1
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.api import httpbody_pb2 as _httpbody_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class SynthesizeRequest(_message.Message):
    __slots__ = ("text", "voice", "format")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    VOICE_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    text: str
    voice: str
    format: str
    def __init__(self, text: _Optional[str] = ..., voice: _Optional[str] = ..., format: _Optional[str] = ...) -> None: ...

class SynthesizeResponse(_message.Message):
    __slots__ = ("audio_url", "duration", "format", "request_id")
    AUDIO_URL_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    audio_url: str
    duration: float
    format: str
    request_id: str
    def __init__(self, audio_url: _Optional[str] = ..., duration: _Optional[float] = ..., format: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetAudioRequest(_message.Message):
    __slots__ = ("file", "token")
    FILE_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    file: str
    token: str
    def __init__(self, file: _Optional[str] = ..., token: _Optional[str] = ...) -> None: ...
