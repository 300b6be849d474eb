from chorus_contracts.chorus.api.v1 import annotations_pb2 as _annotations_pb2
from google.api import annotations_pb2 as _annotations_pb2_1
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateDocumentRequest(_message.Message):
    __slots__ = ("title", "text", "format", "metadata", "id")
    TITLE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    title: str
    text: str
    format: str
    metadata: _struct_pb2.Struct
    id: str
    def __init__(self, title: _Optional[str] = ..., text: _Optional[str] = ..., format: _Optional[str] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., id: _Optional[str] = ...) -> None: ...

class Document(_message.Message):
    __slots__ = ("id", "title", "format", "metadata", "characters", "chunks", "created_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    CHARACTERS_FIELD_NUMBER: _ClassVar[int]
    CHUNKS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    title: str
    format: str
    metadata: _struct_pb2.Struct
    characters: int
    chunks: int
    created_at: int
    def __init__(self, id: _Optional[str] = ..., title: _Optional[str] = ..., format: _Optional[str] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., characters: _Optional[int] = ..., chunks: _Optional[int] = ..., created_at: _Optional[int] = ...) -> None: ...

class CreateDocumentResponse(_message.Message):
    __slots__ = ("document", "request_id")
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    document: Document
    request_id: str
    def __init__(self, document: _Optional[_Union[Document, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class ListDocumentsRequest(_message.Message):
    __slots__ = ("limit", "cursor")
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    limit: int
    cursor: str
    def __init__(self, limit: _Optional[int] = ..., cursor: _Optional[str] = ...) -> None: ...

class ListDocumentsResponse(_message.Message):
    __slots__ = ("documents", "next_cursor", "request_id")
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    documents: _containers.RepeatedCompositeFieldContainer[Document]
    next_cursor: str
    request_id: str
    def __init__(self, documents: _Optional[_Iterable[_Union[Document, _Mapping]]] = ..., next_cursor: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class DeleteDocumentRequest(_message.Message):
    __slots__ = ("document_id",)
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    document_id: str
    def __init__(self, document_id: _Optional[str] = ...) -> None: ...

class DeleteDocumentResponse(_message.Message):
    __slots__ = ("success", "document_id", "request_id")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    success: bool
    document_id: str
    request_id: str
    def __init__(self, success: _Optional[bool] = ..., document_id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class SearchRequest(_message.Message):
    __slots__ = ("query", "top_k", "stream")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    TOP_K_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    query: str
    top_k: int
    stream: bool
    def __init__(self, query: _Optional[str] = ..., top_k: _Optional[int] = ..., stream: _Optional[bool] = ...) -> None: ...

class SearchSource(_message.Message):
    __slots__ = ("document_id", "chunk", "score", "title", "chunk_index", "heading")
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    CHUNK_INDEX_FIELD_NUMBER: _ClassVar[int]
    HEADING_FIELD_NUMBER: _ClassVar[int]
    document_id: str
    chunk: str
    score: float
    title: str
    chunk_index: int
    heading: str
    def __init__(self, document_id: _Optional[str] = ..., chunk: _Optional[str] = ..., score: _Optional[float] = ..., title: _Optional[str] = ..., chunk_index: _Optional[int] = ..., heading: _Optional[str] = ...) -> None: ...

class SearchResult(_message.Message):
    __slots__ = ("answer", "sources", "confidence", "follow_ups", "request_id")
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_UPS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    answer: str
    sources: _containers.RepeatedCompositeFieldContainer[SearchSource]
    confidence: float
    follow_ups: _containers.RepeatedScalarFieldContainer[str]
    request_id: str
    def __init__(self, answer: _Optional[str] = ..., sources: _Optional[_Iterable[_Union[SearchSource, _Mapping]]] = ..., confidence: _Optional[float] = ..., follow_ups: _Optional[_Iterable[str]] = ..., request_id: _Optional[str] = ...) -> None: ...

class SearchSources(_message.Message):
    __slots__ = ("sources",)
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    sources: _containers.RepeatedCompositeFieldContainer[SearchSource]
    def __init__(self, sources: _Optional[_Iterable[_Union[SearchSource, _Mapping]]] = ...) -> None: ...

class SearchToken(_message.Message):
    __slots__ = ("token",)
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    token: str
    def __init__(self, token: _Optional[str] = ...) -> None: ...

class SearchDone(_message.Message):
    __slots__ = ("confidence", "follow_ups", "request_id")
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_UPS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    confidence: float
    follow_ups: _containers.RepeatedScalarFieldContainer[str]
    request_id: str
    def __init__(self, confidence: _Optional[float] = ..., follow_ups: _Optional[_Iterable[str]] = ..., request_id: _Optional[str] = ...) -> None: ...

class SearchResponse(_message.Message):
    __slots__ = ("sources", "token", "done", "result")
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    sources: SearchSources
    token: SearchToken
    done: SearchDone
    result: SearchResult
    def __init__(self, sources: _Optional[_Union[SearchSources, _Mapping]] = ..., token: _Optional[_Union[SearchToken, _Mapping]] = ..., done: _Optional[_Union[SearchDone, _Mapping]] = ..., result: _Optional[_Union[SearchResult, _Mapping]] = ...) -> None: ...
