"""crispy.v1.DocumentService and SearchService: a tenant's documents, and answers grounded in them."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any, cast

import grpc
import orjson
from chorus_contracts.crispy.v1 import search_pb2, search_pb2_grpc

from server.platform.admission.call import current_call
from server.platform.documents.chunker import DocumentFormat
from server.platform.struct_values import dict_to_struct, struct_to_dict
from server.platform.validation import Violations
from server.surfaces.crispy.documents import Document, DocumentStore
from server.surfaces.crispy.search import AnswerToken, GroundedSearch, Retrieved, SearchOutcome, Source

MAX_TITLE_CHARS = 300
MAX_DOCUMENT_CHARS = 200_000
MAX_METADATA_BYTES = 8192
MAX_QUERY_CHARS = 2000
DEFAULT_TOP_K, MAX_TOP_K = 5, 20
DEFAULT_PAGE, MAX_PAGE = 20, 100
FORMATS: tuple[DocumentFormat, ...] = ("markdown", "text")
_DOCUMENT_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def _tenant() -> str:
    call = current_call()
    assert call.caller is not None
    return call.caller.tenant.id


def _document(document: Document) -> search_pb2.Document:
    return search_pb2.Document(
        id=document.id,
        title=document.title,
        format=document.format,
        metadata=dict_to_struct(document.metadata),
        characters=document.characters,
        chunks=document.chunk_count,
        created_at=document.created_at_ms,
    )


def _source(source: Source) -> search_pb2.SearchSource:
    chunk = source.chunk
    return search_pb2.SearchSource(
        document_id=chunk.document_id,
        chunk=chunk.text,
        score=source.score,
        title=chunk.title,
        chunk_index=chunk.index,
        heading=chunk.heading,
    )


class CrispyDocumentService(search_pb2_grpc.DocumentServiceServicer):
    def __init__(self, documents: DocumentStore) -> None:
        self._documents = documents

    async def CreateDocument(
        self, request: search_pb2.CreateDocumentRequest, context: grpc.aio.ServicerContext
    ) -> search_pb2.CreateDocumentResponse:
        problems = Violations()
        problems.length("title", request.title.strip(), 1, MAX_TITLE_CHARS)
        problems.length("text", request.text.strip(), 1, MAX_DOCUMENT_CHARS)
        document_format = request.format or "markdown"
        if document_format not in FORMATS:
            problems.add("format", f"Unsupported format {document_format!r}; supported formats: {', '.join(FORMATS)}")
        if request.id and not _DOCUMENT_ID.fullmatch(request.id):
            problems.add("id", "Must be 1-64 characters of A-Z, a-z, 0-9, '.', '_' and '-'")
        metadata: dict[str, Any] = struct_to_dict(request.metadata)
        if len(orjson.dumps(metadata)) > MAX_METADATA_BYTES:
            problems.add("metadata", f"Must be at most {MAX_METADATA_BYTES} bytes of JSON")
        problems.raise_if_any()
        document = await self._documents.put(
            _tenant(),
            request.id,
            request.title.strip(),
            cast(DocumentFormat, document_format),
            metadata,
            request.text,
        )
        return search_pb2.CreateDocumentResponse(document=_document(document), request_id=current_call().request_id)

    async def ListDocuments(
        self, request: search_pb2.ListDocumentsRequest, context: grpc.aio.ServicerContext
    ) -> search_pb2.ListDocumentsResponse:
        limit = request.limit or DEFAULT_PAGE
        if not 1 <= limit <= MAX_PAGE:
            problems = Violations()
            problems.add("limit", f"Must be between 1 and {MAX_PAGE}")
            problems.raise_if_any()
        documents, next_cursor = await self._documents.page(_tenant(), limit, request.cursor)
        return search_pb2.ListDocumentsResponse(
            documents=[_document(d) for d in documents], next_cursor=next_cursor, request_id=current_call().request_id
        )

    async def DeleteDocument(
        self, request: search_pb2.DeleteDocumentRequest, context: grpc.aio.ServicerContext
    ) -> search_pb2.DeleteDocumentResponse:
        await self._documents.delete(_tenant(), request.document_id)
        return search_pb2.DeleteDocumentResponse(
            success=True, document_id=request.document_id, request_id=current_call().request_id
        )


class CrispySearchService(search_pb2_grpc.SearchServiceServicer):
    def __init__(self, search: GroundedSearch) -> None:
        self._search = search

    async def Search(
        self, request: search_pb2.SearchRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[search_pb2.SearchResponse]:
        call = current_call()
        top_k = request.top_k if request.HasField("top_k") else DEFAULT_TOP_K
        problems = Violations()
        problems.length("query", request.query.strip(), 1, MAX_QUERY_CHARS)
        if not 1 <= top_k <= MAX_TOP_K:
            problems.add("topK", f"Must be between 1 and {MAX_TOP_K}")
        problems.raise_if_any()
        streaming = request.stream if request.HasField("stream") else False
        async for event in self._search.search(_tenant(), request.query.strip(), top_k):
            if isinstance(event, SearchOutcome):
                if streaming:
                    yield search_pb2.SearchResponse(
                        done=search_pb2.SearchDone(
                            confidence=event.confidence, follow_ups=event.follow_ups, request_id=call.request_id
                        )
                    )
                else:
                    yield search_pb2.SearchResponse(
                        result=search_pb2.SearchResult(
                            answer=event.answer,
                            sources=[_source(s) for s in event.sources],
                            confidence=event.confidence,
                            follow_ups=event.follow_ups,
                            request_id=call.request_id,
                        )
                    )
            elif not streaming:
                continue
            elif isinstance(event, Retrieved):
                yield search_pb2.SearchResponse(
                    sources=search_pb2.SearchSources(sources=[_source(s) for s in event.sources])
                )
            elif isinstance(event, AnswerToken):
                yield search_pb2.SearchResponse(token=search_pb2.SearchToken(token=event.text))
