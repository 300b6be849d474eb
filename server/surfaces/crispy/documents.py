"""A tenant's documents: stored with their chunks, the chunks embedded into the vector index.

A document's rows and its chunks' vectors are written in one transaction, so
a search never finds a chunk whose text is gone, nor misses one whose
document was stored. Storing under an existing id replaces the document (its
chunks re-embedded, the extra old ones removed): loading a folder again
updates it. Every query names the tenant; a document of another tenant is
simply not there.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import orjson
from sqlalchemy import Table, and_, bindparam, delete, insert, or_, select, tuple_, update

from server.platform.clock import Clock
from server.platform.documents.chunker import DocumentFormat, chunk_document
from server.platform.errors import FieldViolation, invalid_argument, not_found
from server.platform.scope import Scope
from server.platform.storage.database import Database
from server.platform.vectors.semantic import SemanticSearch
from server.surfaces.crispy.tables import DocumentChunkRow, DocumentRow

NAMESPACE = "crispy-documents"
_documents = cast(Table, DocumentRow.__table__)
_chunks = cast(Table, DocumentChunkRow.__table__)
_COLUMNS = (
    _documents.c.id,
    _documents.c.title,
    _documents.c.format,
    _documents.c.metadata_json,
    _documents.c.characters,
    _documents.c.chunk_count,
    _documents.c.created_at_ms,
)
_ONE = select(*_COLUMNS).where(_documents.c.tenant_id == bindparam("tenant"), _documents.c.id == bindparam("id"))


@dataclass(frozen=True, slots=True)
class Document:
    id: str
    title: str
    format: str
    metadata: dict[str, Any]
    characters: int
    chunk_count: int
    created_at_ms: int


@dataclass(frozen=True, slots=True)
class StoredChunk:
    document_id: str
    title: str
    index: int
    heading: str
    text: str


def item_id(document_id: str, index: int) -> str:
    return f"{document_id}#{index}"


def _document(row: Sequence[Any]) -> Document:
    return Document(row[0], row[1], row[2], orjson.loads(row[3]), row[4], row[5], row[6])


def _encode_cursor(document: Document) -> str:
    raw = orjson.dumps([document.created_at_ms, document.id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[int, str]:
    try:
        created, document_id = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return int(created), str(document_id)
    except (ValueError, TypeError, orjson.JSONDecodeError):
        raise invalid_argument("Validation error", [FieldViolation("cursor", "Invalid cursor")]) from None


class DocumentStore:
    def __init__(self, db: Database, clock: Clock, semantic: SemanticSearch) -> None:
        self._db = db
        self._clock = clock
        self._semantic = semantic

    async def put(
        self,
        tenant_id: str,
        document_id: str,
        title: str,
        document_format: DocumentFormat,
        metadata: dict[str, Any],
        text: str,
    ) -> Document:
        """Stores the document (replacing one of the same id); the id is made up when empty."""
        chunks = chunk_document(text, document_format)
        if not chunks:
            raise invalid_argument("Validation error", [FieldViolation("text", "The document has no text")])
        document_id = document_id or f"doc_{secrets.token_hex(8)}"
        vectors, _ = await self._semantic.embed([chunk.embedding_text(title) for chunk in chunks])
        scope = Scope(tenant_id)
        document = Document(document_id, title, document_format, metadata, len(text), len(chunks), self._clock.now_ms())
        index = self._semantic.index
        async with self._db.write() as conn:
            # The vector write first: it takes the namespace's counter lock (see VectorIndex.upsert).
            await index.upsert(
                scope, [(item_id(document_id, c.index), v) for c, v in zip(chunks, vectors, strict=True)], conn=conn
            )
            old = (await conn.execute(_ONE, {"tenant": tenant_id, "id": document_id})).first()
            if old is not None:
                stale = [item_id(document_id, i) for i in range(len(chunks), old[5])]
                if stale:
                    await index.remove(scope, stale, conn=conn)
                await conn.execute(delete(_chunks).where(*self._chunks_of(tenant_id, document_id)))
                await conn.execute(
                    update(_documents)
                    .where(_documents.c.tenant_id == tenant_id, _documents.c.id == document_id)
                    .values(**self._values(document))
                )
            else:
                await conn.execute(
                    insert(_documents).values(tenant_id=tenant_id, id=document_id, **self._values(document))
                )
            await conn.execute(
                insert(_chunks),
                [
                    {
                        "tenant_id": tenant_id,
                        "document_id": document_id,
                        "chunk_index": c.index,
                        "heading": c.heading,
                        "text": c.text,
                    }
                    for c in chunks
                ],
            )
        return document

    @staticmethod
    def _values(document: Document) -> dict[str, Any]:
        return {
            "title": document.title,
            "format": document.format,
            "metadata_json": orjson.dumps(document.metadata).decode(),
            "characters": document.characters,
            "chunk_count": document.chunk_count,
            "created_at_ms": document.created_at_ms,
        }

    @staticmethod
    def _chunks_of(tenant_id: str, document_id: str) -> list[Any]:
        return [_chunks.c.tenant_id == tenant_id, _chunks.c.document_id == document_id]

    async def get(self, tenant_id: str, document_id: str) -> Document:
        row = await self._db.fetch_one(_ONE, {"tenant": tenant_id, "id": document_id})
        if row is None:
            raise not_found("Document not found")
        return _document(row)

    async def page(self, tenant_id: str, limit: int, cursor: str = "") -> tuple[list[Document], str]:
        """A page of the tenant's documents, newest first, and the cursor of the next page ('' at the end)."""
        query = select(*_COLUMNS).where(_documents.c.tenant_id == tenant_id)
        if cursor:
            created, last_id = _decode_cursor(cursor)
            query = query.where(
                or_(
                    _documents.c.created_at_ms < created,
                    and_(_documents.c.created_at_ms == created, _documents.c.id < last_id),
                )
            )
        query = query.order_by(_documents.c.created_at_ms.desc(), _documents.c.id.desc()).limit(limit + 1)
        rows = await self._db.fetch_all(query)
        documents = [_document(row) for row in rows[:limit]]
        return documents, _encode_cursor(documents[-1]) if len(rows) > limit else ""

    async def delete(self, tenant_id: str, document_id: str) -> None:
        """Removes the document, its chunks and their vectors; NOT_FOUND if the tenant has no such document."""
        async with self._db.write() as conn:
            old = (await conn.execute(_ONE, {"tenant": tenant_id, "id": document_id})).first()
            if old is None:
                raise not_found("Document not found")
            await self._semantic.index.remove(
                Scope(tenant_id), [item_id(document_id, i) for i in range(old[5])], conn=conn
            )
            await conn.execute(delete(_chunks).where(*self._chunks_of(tenant_id, document_id)))
            await conn.execute(
                delete(_documents).where(_documents.c.tenant_id == tenant_id, _documents.c.id == document_id)
            )

    async def chunks(self, tenant_id: str, item_ids: Sequence[str]) -> dict[str, StoredChunk]:
        """The tenant's chunks by vector item id (those no longer stored are left out)."""
        keys = []
        for item in item_ids:
            document_id, _, index = item.rpartition("#")
            keys.append((document_id, int(index)))
        if not keys:
            return {}
        rows = await self._db.fetch_all(
            select(_chunks.c.document_id, _documents.c.title, _chunks.c.chunk_index, _chunks.c.heading, _chunks.c.text)
            .join(
                _documents,
                and_(_documents.c.tenant_id == _chunks.c.tenant_id, _documents.c.id == _chunks.c.document_id),
            )
            .where(_chunks.c.tenant_id == tenant_id, tuple_(_chunks.c.document_id, _chunks.c.chunk_index).in_(keys))
        )
        found = [StoredChunk(*row) for row in rows]
        return {item_id(c.document_id, c.index): c for c in found}

    async def chunks_of(self, tenant_id: str, document_ids: Sequence[str], limit: int) -> list[StoredChunk]:
        """The first `limit` chunks of these documents, in document order."""
        rows = await self._db.fetch_all(
            select(_chunks.c.document_id, _documents.c.title, _chunks.c.chunk_index, _chunks.c.heading, _chunks.c.text)
            .join(
                _documents,
                and_(_documents.c.tenant_id == _chunks.c.tenant_id, _documents.c.id == _chunks.c.document_id),
            )
            .where(_chunks.c.tenant_id == tenant_id, _chunks.c.document_id.in_(list(document_ids)))
            .order_by(_chunks.c.chunk_index)
            .limit(limit)
        )
        return [StoredChunk(*row) for row in rows]

    async def recent_chunks(self, tenant_id: str, limit: int) -> list[StoredChunk]:
        """Chunks of the tenant's newest documents: the first chunk of each, then the second, ..."""
        rows = await self._db.fetch_all(
            select(_chunks.c.document_id, _documents.c.title, _chunks.c.chunk_index, _chunks.c.heading, _chunks.c.text)
            .join(
                _documents,
                and_(_documents.c.tenant_id == _chunks.c.tenant_id, _documents.c.id == _chunks.c.document_id),
            )
            .where(_chunks.c.tenant_id == tenant_id)
            .order_by(_chunks.c.chunk_index, _documents.c.created_at_ms.desc())
            .limit(limit)
        )
        return [StoredChunk(*row) for row in rows]
