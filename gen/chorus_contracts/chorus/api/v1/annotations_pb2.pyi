from google.protobuf import descriptor_pb2 as _descriptor_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
SERVICE_FIELD_NUMBER: _ClassVar[int]
service: _descriptor.FieldDescriptor
METHOD_FIELD_NUMBER: _ClassVar[int]
method: _descriptor.FieldDescriptor
FIELD_FIELD_NUMBER: _ClassVar[int]
field: _descriptor.FieldDescriptor
ENUM_VALUE_FIELD_NUMBER: _ClassVar[int]
enum_value: _descriptor.FieldDescriptor

class ServiceRules(_message.Message):
    __slots__ = ("surface", "security_schemes")
    SURFACE_FIELD_NUMBER: _ClassVar[int]
    SECURITY_SCHEMES_FIELD_NUMBER: _ClassVar[int]
    surface: str
    security_schemes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, surface: _Optional[str] = ..., security_schemes: _Optional[_Iterable[str]] = ...) -> None: ...

class MethodRules(_message.Message):
    __slots__ = ("success_status", "sse", "access", "spends_quotas", "checks_quotas", "honours_idempotency_key", "rate_limit")
    SUCCESS_STATUS_FIELD_NUMBER: _ClassVar[int]
    SSE_FIELD_NUMBER: _ClassVar[int]
    ACCESS_FIELD_NUMBER: _ClassVar[int]
    SPENDS_QUOTAS_FIELD_NUMBER: _ClassVar[int]
    CHECKS_QUOTAS_FIELD_NUMBER: _ClassVar[int]
    HONOURS_IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMIT_FIELD_NUMBER: _ClassVar[int]
    success_status: int
    sse: SseRules
    access: Access
    spends_quotas: _containers.RepeatedScalarFieldContainer[str]
    checks_quotas: _containers.RepeatedScalarFieldContainer[str]
    honours_idempotency_key: bool
    rate_limit: RateLimitRule
    def __init__(self, success_status: _Optional[int] = ..., sse: _Optional[_Union[SseRules, _Mapping]] = ..., access: _Optional[_Union[Access, _Mapping]] = ..., spends_quotas: _Optional[_Iterable[str]] = ..., checks_quotas: _Optional[_Iterable[str]] = ..., honours_idempotency_key: _Optional[bool] = ..., rate_limit: _Optional[_Union[RateLimitRule, _Mapping]] = ...) -> None: ...

class Access(_message.Message):
    __slots__ = ("public", "authenticated", "permission")
    PUBLIC_FIELD_NUMBER: _ClassVar[int]
    AUTHENTICATED_FIELD_NUMBER: _ClassVar[int]
    PERMISSION_FIELD_NUMBER: _ClassVar[int]
    public: bool
    authenticated: bool
    permission: str
    def __init__(self, public: _Optional[bool] = ..., authenticated: _Optional[bool] = ..., permission: _Optional[str] = ...) -> None: ...

class RateLimitRule(_message.Message):
    __slots__ = ("key_field",)
    KEY_FIELD_FIELD_NUMBER: _ClassVar[int]
    key_field: str
    def __init__(self, key_field: _Optional[str] = ...) -> None: ...

class SseRules(_message.Message):
    __slots__ = ("style", "event_oneof", "type_key", "done_data", "stream_flag_field", "stream_flag_default", "unary_field", "error_event")
    class Style(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STYLE_UNSPECIFIED: _ClassVar[SseRules.Style]
        STYLE_NAMED_EVENTS: _ClassVar[SseRules.Style]
        STYLE_DATA_ONLY: _ClassVar[SseRules.Style]
    STYLE_UNSPECIFIED: SseRules.Style
    STYLE_NAMED_EVENTS: SseRules.Style
    STYLE_DATA_ONLY: SseRules.Style
    STYLE_FIELD_NUMBER: _ClassVar[int]
    EVENT_ONEOF_FIELD_NUMBER: _ClassVar[int]
    TYPE_KEY_FIELD_NUMBER: _ClassVar[int]
    DONE_DATA_FIELD_NUMBER: _ClassVar[int]
    STREAM_FLAG_FIELD_FIELD_NUMBER: _ClassVar[int]
    STREAM_FLAG_DEFAULT_FIELD_NUMBER: _ClassVar[int]
    UNARY_FIELD_FIELD_NUMBER: _ClassVar[int]
    ERROR_EVENT_FIELD_NUMBER: _ClassVar[int]
    style: SseRules.Style
    event_oneof: str
    type_key: str
    done_data: str
    stream_flag_field: str
    stream_flag_default: bool
    unary_field: str
    error_event: str
    def __init__(self, style: _Optional[_Union[SseRules.Style, str]] = ..., event_oneof: _Optional[str] = ..., type_key: _Optional[str] = ..., done_data: _Optional[str] = ..., stream_flag_field: _Optional[str] = ..., stream_flag_default: _Optional[bool] = ..., unary_field: _Optional[str] = ..., error_event: _Optional[str] = ...) -> None: ...

class FieldRules(_message.Message):
    __slots__ = ("int64_as_number", "omit_empty", "null_when_unset", "json_key", "bytes_as_doubles", "accept_date")
    INT64_AS_NUMBER_FIELD_NUMBER: _ClassVar[int]
    OMIT_EMPTY_FIELD_NUMBER: _ClassVar[int]
    NULL_WHEN_UNSET_FIELD_NUMBER: _ClassVar[int]
    JSON_KEY_FIELD_NUMBER: _ClassVar[int]
    BYTES_AS_DOUBLES_FIELD_NUMBER: _ClassVar[int]
    ACCEPT_DATE_FIELD_NUMBER: _ClassVar[int]
    int64_as_number: bool
    omit_empty: bool
    null_when_unset: bool
    json_key: str
    bytes_as_doubles: bool
    accept_date: bool
    def __init__(self, int64_as_number: _Optional[bool] = ..., omit_empty: _Optional[bool] = ..., null_when_unset: _Optional[bool] = ..., json_key: _Optional[str] = ..., bytes_as_doubles: _Optional[bool] = ..., accept_date: _Optional[bool] = ...) -> None: ...

class EnumValueRules(_message.Message):
    __slots__ = ("json",)
    JSON_FIELD_NUMBER: _ClassVar[int]
    json: str
    def __init__(self, json: _Optional[str] = ...) -> None: ...
