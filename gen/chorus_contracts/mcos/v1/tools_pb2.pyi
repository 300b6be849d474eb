from chorus_contracts.chorus.api.v1 import annotations_pb2 as _annotations_pb2
from google.api import annotations_pb2 as _annotations_pb2_1
from google.protobuf import struct_pb2 as _struct_pb2
from chorus_contracts.mcos.v1 import resources_pb2 as _resources_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SearchFlightsRequest(_message.Message):
    __slots__ = ("origin", "destination", "departure_date", "return_date", "passengers", "cabin_class")
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    DEPARTURE_DATE_FIELD_NUMBER: _ClassVar[int]
    RETURN_DATE_FIELD_NUMBER: _ClassVar[int]
    PASSENGERS_FIELD_NUMBER: _ClassVar[int]
    CABIN_CLASS_FIELD_NUMBER: _ClassVar[int]
    origin: str
    destination: str
    departure_date: str
    return_date: str
    passengers: int
    cabin_class: str
    def __init__(self, origin: _Optional[str] = ..., destination: _Optional[str] = ..., departure_date: _Optional[str] = ..., return_date: _Optional[str] = ..., passengers: _Optional[int] = ..., cabin_class: _Optional[str] = ...) -> None: ...

class SearchFlightsResponse(_message.Message):
    __slots__ = ("tool_invocation_id", "flights")
    TOOL_INVOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    FLIGHTS_FIELD_NUMBER: _ClassVar[int]
    tool_invocation_id: str
    flights: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Flight]
    def __init__(self, tool_invocation_id: _Optional[str] = ..., flights: _Optional[_Iterable[_Union[_resources_pb2.Flight, _Mapping]]] = ...) -> None: ...

class FlightPreferences(_message.Message):
    __slots__ = ("airlines", "max_stops", "price_weight")
    AIRLINES_FIELD_NUMBER: _ClassVar[int]
    MAX_STOPS_FIELD_NUMBER: _ClassVar[int]
    PRICE_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    airlines: _containers.RepeatedScalarFieldContainer[str]
    max_stops: int
    price_weight: float
    def __init__(self, airlines: _Optional[_Iterable[str]] = ..., max_stops: _Optional[int] = ..., price_weight: _Optional[float] = ...) -> None: ...

class RankFlightsRequest(_message.Message):
    __slots__ = ("flights", "user_preferences", "calendar_context")
    FLIGHTS_FIELD_NUMBER: _ClassVar[int]
    USER_PREFERENCES_FIELD_NUMBER: _ClassVar[int]
    CALENDAR_CONTEXT_FIELD_NUMBER: _ClassVar[int]
    flights: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Flight]
    user_preferences: FlightPreferences
    calendar_context: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Struct]
    def __init__(self, flights: _Optional[_Iterable[_Union[_resources_pb2.Flight, _Mapping]]] = ..., user_preferences: _Optional[_Union[FlightPreferences, _Mapping]] = ..., calendar_context: _Optional[_Iterable[_Union[_struct_pb2.Struct, _Mapping]]] = ...) -> None: ...

class RankedFlight(_message.Message):
    __slots__ = ("flight_id", "rank", "score", "reasoning")
    FLIGHT_ID_FIELD_NUMBER: _ClassVar[int]
    RANK_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    REASONING_FIELD_NUMBER: _ClassVar[int]
    flight_id: str
    rank: int
    score: float
    reasoning: str
    def __init__(self, flight_id: _Optional[str] = ..., rank: _Optional[int] = ..., score: _Optional[float] = ..., reasoning: _Optional[str] = ...) -> None: ...

class RankFlightsResponse(_message.Message):
    __slots__ = ("ranked_flights",)
    RANKED_FLIGHTS_FIELD_NUMBER: _ClassVar[int]
    ranked_flights: _containers.RepeatedCompositeFieldContainer[RankedFlight]
    def __init__(self, ranked_flights: _Optional[_Iterable[_Union[RankedFlight, _Mapping]]] = ...) -> None: ...
