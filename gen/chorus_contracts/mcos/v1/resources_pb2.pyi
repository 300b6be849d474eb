import datetime

from chorus_contracts.chorus.api.v1 import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TaskStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TASK_STATUS_UNSPECIFIED: _ClassVar[TaskStatus]
    TASK_STATUS_OPEN: _ClassVar[TaskStatus]
    TASK_STATUS_IN_PROGRESS: _ClassVar[TaskStatus]
    TASK_STATUS_COMPLETED: _ClassVar[TaskStatus]

class TaskPriority(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TASK_PRIORITY_UNSPECIFIED: _ClassVar[TaskPriority]
    TASK_PRIORITY_LOW: _ClassVar[TaskPriority]
    TASK_PRIORITY_MEDIUM: _ClassVar[TaskPriority]
    TASK_PRIORITY_HIGH: _ClassVar[TaskPriority]
    TASK_PRIORITY_URGENT: _ClassVar[TaskPriority]

class Role(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROLE_UNSPECIFIED: _ClassVar[Role]
    ROLE_USER: _ClassVar[Role]
    ROLE_ASSISTANT: _ClassVar[Role]
    ROLE_SYSTEM: _ClassVar[Role]
TASK_STATUS_UNSPECIFIED: TaskStatus
TASK_STATUS_OPEN: TaskStatus
TASK_STATUS_IN_PROGRESS: TaskStatus
TASK_STATUS_COMPLETED: TaskStatus
TASK_PRIORITY_UNSPECIFIED: TaskPriority
TASK_PRIORITY_LOW: TaskPriority
TASK_PRIORITY_MEDIUM: TaskPriority
TASK_PRIORITY_HIGH: TaskPriority
TASK_PRIORITY_URGENT: TaskPriority
ROLE_UNSPECIFIED: Role
ROLE_USER: Role
ROLE_ASSISTANT: Role
ROLE_SYSTEM: Role

class Task(_message.Message):
    __slots__ = ("id", "title", "status", "priority", "due", "tags", "completed_at", "created_at", "updated_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    DUE_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    title: str
    status: TaskStatus
    priority: TaskPriority
    due: _timestamp_pb2.Timestamp
    tags: _containers.RepeatedScalarFieldContainer[str]
    completed_at: _timestamp_pb2.Timestamp
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., title: _Optional[str] = ..., status: _Optional[_Union[TaskStatus, str]] = ..., priority: _Optional[_Union[TaskPriority, str]] = ..., due: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., tags: _Optional[_Iterable[str]] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Preferences(_message.Message):
    __slots__ = ("timezone", "work_hours", "preferred_airlines")
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    WORK_HOURS_FIELD_NUMBER: _ClassVar[int]
    PREFERRED_AIRLINES_FIELD_NUMBER: _ClassVar[int]
    timezone: str
    work_hours: str
    preferred_airlines: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, timezone: _Optional[str] = ..., work_hours: _Optional[str] = ..., preferred_airlines: _Optional[_Iterable[str]] = ...) -> None: ...

class Memory(_message.Message):
    __slots__ = ("id", "type", "key", "value", "category", "created_at", "updated_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    type: str
    key: str
    value: str
    category: str
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., type: _Optional[str] = ..., key: _Optional[str] = ..., value: _Optional[str] = ..., category: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ToolInvocation(_message.Message):
    __slots__ = ("id", "name", "args", "result")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ARGS_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    args: _struct_pb2.Struct
    result: _struct_pb2.Value
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., args: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., result: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ...) -> None: ...

class ChatMessage(_message.Message):
    __slots__ = ("id", "role", "content", "timestamp", "conversation_id", "tool_calls", "status", "error")
    ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    TOOL_CALLS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    id: str
    role: Role
    content: str
    timestamp: _timestamp_pb2.Timestamp
    conversation_id: str
    tool_calls: _containers.RepeatedCompositeFieldContainer[ToolInvocation]
    status: str
    error: ChatError
    def __init__(self, id: _Optional[str] = ..., role: _Optional[_Union[Role, str]] = ..., content: _Optional[str] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., conversation_id: _Optional[str] = ..., tool_calls: _Optional[_Iterable[_Union[ToolInvocation, _Mapping]]] = ..., status: _Optional[str] = ..., error: _Optional[_Union[ChatError, _Mapping]] = ...) -> None: ...

class ChatError(_message.Message):
    __slots__ = ("code", "message", "details")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    code: str
    message: str
    details: _struct_pb2.Struct
    def __init__(self, code: _Optional[str] = ..., message: _Optional[str] = ..., details: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class FlightEndpoint(_message.Message):
    __slots__ = ("airport", "time")
    AIRPORT_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    airport: str
    time: str
    def __init__(self, airport: _Optional[str] = ..., time: _Optional[str] = ...) -> None: ...

class Price(_message.Message):
    __slots__ = ("amount", "currency")
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    amount: float
    currency: str
    def __init__(self, amount: _Optional[float] = ..., currency: _Optional[str] = ...) -> None: ...

class Flight(_message.Message):
    __slots__ = ("id", "airline", "departure", "arrival", "stops", "price", "flight_number", "duration_minutes", "cabin_class", "direction")
    ID_FIELD_NUMBER: _ClassVar[int]
    AIRLINE_FIELD_NUMBER: _ClassVar[int]
    DEPARTURE_FIELD_NUMBER: _ClassVar[int]
    ARRIVAL_FIELD_NUMBER: _ClassVar[int]
    STOPS_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    FLIGHT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    DURATION_MINUTES_FIELD_NUMBER: _ClassVar[int]
    CABIN_CLASS_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    id: str
    airline: str
    departure: FlightEndpoint
    arrival: FlightEndpoint
    stops: int
    price: Price
    flight_number: str
    duration_minutes: int
    cabin_class: str
    direction: str
    def __init__(self, id: _Optional[str] = ..., airline: _Optional[str] = ..., departure: _Optional[_Union[FlightEndpoint, _Mapping]] = ..., arrival: _Optional[_Union[FlightEndpoint, _Mapping]] = ..., stops: _Optional[int] = ..., price: _Optional[_Union[Price, _Mapping]] = ..., flight_number: _Optional[str] = ..., duration_minutes: _Optional[int] = ..., cabin_class: _Optional[str] = ..., direction: _Optional[str] = ...) -> None: ...
