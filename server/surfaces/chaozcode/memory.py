"""The Memory Spine: each user's memories, versioned, soft-deleted, searched by meaning.

Callable from Python by any part of ChaozCode (the servicer, agents): every
method takes the `Scope` whose memories it reads or writes (the tenant, and the
user as owner), so nothing here depends on a call's credentials.

- Every change (store, update, delete, restore) goes through
  `_commit`: one transaction writing the memory, its version and tag rows, its
  vector (in the same transaction, see VectorIndex) and a `memory.<change>`
  event in `chaozcode_events`, for webhook deliveries.
- Vectors live in the "chaozcode-memory" namespace (item id = memory id).
  Deleting removes the vector at once, so a deleted memory never appears in
  search; restoring embeds the content again.
- Purging (`purge`, run by the platform job in memory_jobs.py) removes what
  was deleted `retention` ago, with its versions, tags and events.
"""

from __future__ import annotations

import collections
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import grpc
import orjson
from sqlalchemy import Select, Table, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from server.platform.clock import Clock
from server.platform.errors import ChorusError, FieldViolation, already_exists, invalid_argument, not_found
from server.platform.models.tokenizer import count_tokens
from server.platform.models.types import ModelError
from server.platform.scope import Scope
from server.platform.storage.database import Database
from server.platform.surface import Platform
from server.platform.vectors.semantic import SemanticSearch, semantic_search
from server.surfaces.chaozcode.events import MEMORY_DELETED, MEMORY_STORED, MEMORY_UPDATED
from server.surfaces.chaozcode.query import missing
from server.surfaces.chaozcode.settings import SETTINGS
from server.surfaces.chaozcode.tables import EventRow, MemoryRow, MemoryTagRow, MemoryVersionRow

NAMESPACE = "chaozcode-memory"
SPINE_VERSION = "1.0.0"
IMPORTANCE = ("low", "medium", "high", "critical")
DEFAULT_IMPORTANCE = "medium"
MAX_CONTENT = 100_000
MAX_TAGS, MAX_TAG = 32, 64
MAX_METADATA_BYTES = 16_384
MAX_QUERY = 10_000
DEFAULT_LIMIT, MAX_LIMIT = 10, 100
DEFAULT_CONTEXT_TOKENS, MAX_CONTEXT_TOKENS = 4_000, 100_000
# Memories considered for a context: the best this many, packed in order.
CONTEXT_CANDIDATES = 100
DAY_MS = 86_400_000
# Events a change records (the webhooks part delivers them).
# The event names are the webhook events' (events.py); a restore is recorded, not delivered.
STORED, UPDATED, DELETED = MEMORY_STORED, MEMORY_UPDATED, MEMORY_DELETED
RESTORED = "memory.restored"
WEBHOOK_EVENTS = frozenset({STORED, UPDATED, DELETED})
ChangeSink = Callable[[AsyncConnection, str, str, dict[str, Any]], Awaitable[Any]]
_ID = re.compile(r"[A-Za-z0-9_.:-]{1,100}")
_RECENT_SEARCHES = 1_000

_memories = cast(Table, MemoryRow.__table__)
_versions = cast(Table, MemoryVersionRow.__table__)
_tags = cast(Table, MemoryTagRow.__table__)
_events = cast(Table, EventRow.__table__)


@dataclass(frozen=True, slots=True)
class Memory:
    id: str
    content: str
    tags: list[str]
    importance: str
    metadata: dict[str, Any]
    version: int
    vector_id: str
    created_at_ms: int
    updated_at_ms: int


@dataclass(frozen=True, slots=True)
class MemoryVersion:
    version: int
    content: str
    tags: list[str]
    importance: str
    metadata: dict[str, Any]
    created_at_ms: int


@dataclass(frozen=True, slots=True)
class Found:
    memory: Memory
    score: float


@dataclass(frozen=True, slots=True)
class SearchOutcome:
    results: list[Found]
    took_ms: int


@dataclass(frozen=True, slots=True)
class PackedMemory:
    found: Found
    tokens: int


@dataclass(frozen=True, slots=True)
class PackedContext:
    query: str
    memories: list[PackedMemory]
    token_count: int
    max_tokens: int
    omitted: int

    def as_json(self) -> dict[str, Any]:
        """The context as `/v2/query` takes it (`context`): the same shape as the REST response."""
        return {
            "query": self.query,
            "memories": [
                {
                    "id": m.found.memory.id,
                    "content": m.found.memory.content,
                    "score": m.found.score,
                    "tags": m.found.memory.tags,
                    "tokens": m.tokens,
                }
                for m in self.memories
            ],
            "tokenCount": self.token_count,
            "maxTokens": self.max_tokens,
            "omitted": self.omitted,
        }


@dataclass(frozen=True, slots=True)
class SpineStats:
    vector_count: int
    storage_bytes: int
    version: str
    avg_response_ms: float
    status: str


Row = Mapping[str, Any]


def _memory(row: Row) -> Memory:
    return Memory(
        row["id"],
        row["content"],
        orjson.loads(row["tags"]),
        row["importance"],
        orjson.loads(row["metadata_json"]),
        row["version"],
        row["vector_id"],
        row["created_at_ms"],
        row["updated_at_ms"],
    )


def _invalid(name: str, reason: str, message: str) -> ChorusError:
    return invalid_argument(message, (FieldViolation(name, reason),))


def _check_content(content: str) -> None:
    if not content.strip():
        raise missing("content")
    if len(content) > MAX_CONTENT:
        raise _invalid("content", "too_long", f"content must be at most {MAX_CONTENT:,} characters")
    if "\x00" in content:  # PostgreSQL text cannot hold it
        raise _invalid("content", "invalid", "content must not contain NUL characters")


def _check_tags(tags: Sequence[str]) -> list[str]:
    if len(tags) > MAX_TAGS or any(not 1 <= len(t) <= MAX_TAG or "\x00" in t for t in tags):
        raise _invalid("tags", "invalid", f"tags takes at most {MAX_TAGS} tags of 1-{MAX_TAG} characters")
    return list(dict.fromkeys(tags))  # once each, in the order given


def _check_importance(importance: str) -> str:
    if importance not in IMPORTANCE:
        raise _invalid("importance", "invalid", f"importance must be one of {', '.join(IMPORTANCE)}")
    return importance


def _metadata_json(metadata: dict[str, Any]) -> str:
    text = orjson.dumps(metadata).decode()
    if len(text) > MAX_METADATA_BYTES:
        raise _invalid("metadata", "too_large", f"metadata must be at most {MAX_METADATA_BYTES:,} bytes as JSON")
    return text


def _unavailable(exc: ModelError) -> ChorusError:
    return ChorusError(
        grpc.StatusCode.UNAVAILABLE,
        "SERVICE_UNAVAILABLE",
        f"The embedding model is unavailable: {exc.message}",
        retry_after=1.0,
    )


class MemorySpine:
    def __init__(self, db: Database, clock: Clock, semantic: SemanticSearch, *, retention_days: float = 30.0) -> None:
        self._db = db
        self._clock = clock
        self._semantic = semantic
        self.retention_ms = round(retention_days * DAY_MS)
        self._search_ms: collections.deque[float] = collections.deque(maxlen=_RECENT_SEARCHES)
        self._embedding_failed = False
        # Called in each change's transaction with (conn, owner_id, event type, data): the
        # surface's webhook `emit`, set by its wiring (None: changes are only recorded).
        self.on_change: ChangeSink | None = None

    # --- changes: every one goes through `_commit` ---

    async def store(
        self,
        scope: Scope,
        memory_id: str,
        content: str,
        *,
        tags: Sequence[str] = (),
        importance: str = "",
        metadata: dict[str, Any] | None = None,
    ) -> Memory:
        """A new memory (version 1); an id the owner holds, deleted or not, is CONFLICT."""
        if not memory_id:
            raise missing("id")
        if not _ID.fullmatch(memory_id):
            raise _invalid("id", "invalid", "id must be 1-100 letters, digits, '-', '_', '.' or ':'")
        _check_content(content)
        now = self._clock.now_ms()
        memory = Memory(
            memory_id,
            content,
            _check_tags(tags),
            _check_importance(importance or DEFAULT_IMPORTANCE),
            metadata or {},
            1,
            "vec_" + secrets.token_hex(12),
            now,
            now,
        )
        metadata_json = _metadata_json(memory.metadata)
        vector = await self._vector(content)

        async def write(conn: AsyncConnection) -> None:
            await self._semantic.index.upsert(scope, [(memory_id, vector)], conn=conn)
            if await self._row(conn, scope, memory_id) is not None:
                raise _exists(memory_id)
            await conn.execute(insert(_memories).values(**self._owned(scope), **_columns(memory, metadata_json)))
            await self._new_version(conn, scope, memory, metadata_json)

        try:
            await self._commit(scope, STORED, memory, write)
        except IntegrityError:
            raise _exists(memory_id) from None
        return memory

    async def update(
        self,
        scope: Scope,
        memory_id: str,
        *,
        content: str | None = None,
        tags: Sequence[str] | None = None,
        importance: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Memory:
        """A new version from what is given (the rest kept); returns it."""
        if content is not None:
            _check_content(content)
        checked_tags = _check_tags(tags) if tags is not None else None
        if importance is not None:
            _check_importance(importance)
        if metadata is not None:
            _metadata_json(metadata)
        current = await self.get(scope, memory_id)
        vector = await self._vector(content) if content is not None and content != current.content else None
        now = self._clock.now_ms()
        holder: list[Memory] = []

        async def write(conn: AsyncConnection) -> None:
            if vector is not None:
                await self._semantic.index.upsert(scope, [(memory_id, vector)], conn=conn)
            row = await self._row(conn, scope, memory_id, for_update=True)
            if row is None or row["deleted_at_ms"] is not None:
                raise _not_found(memory_id)
            base = _memory(row)
            memory = Memory(
                memory_id,
                content if content is not None else base.content,
                checked_tags if checked_tags is not None else base.tags,
                importance if importance is not None else base.importance,
                metadata if metadata is not None else base.metadata,
                base.version + 1,
                base.vector_id,
                base.created_at_ms,
                now,
            )
            metadata_json = _metadata_json(memory.metadata)
            await conn.execute(
                update(_memories).where(*self._key(scope, memory_id)).values(**_columns(memory, metadata_json))
            )
            await self._new_version(conn, scope, memory, metadata_json)
            holder.append(memory)

        await self._commit(scope, UPDATED, current, write, lambda: holder[0])
        return holder[0]

    async def delete(self, scope: Scope, memory_id: str) -> int:
        """Soft-deletes the memory (out of search at once); returns when it will be purged."""
        now = self._clock.now_ms()
        holder: list[Memory] = []

        async def write(conn: AsyncConnection) -> None:
            await self._semantic.index.remove(scope, [memory_id], conn=conn)
            row = await self._row(conn, scope, memory_id, for_update=True)
            if row is None or row["deleted_at_ms"] is not None:
                raise _not_found(memory_id)
            await conn.execute(update(_memories).where(*self._key(scope, memory_id)).values(deleted_at_ms=now))
            holder.append(_memory(row))

        await self._commit(scope, DELETED, None, write, lambda: holder[0])
        return now + self.retention_ms

    async def restore(self, scope: Scope, memory_id: str) -> Memory:
        """Brings back a memory deleted less than the retention ago, searchable again."""
        row = next(iter(await self._fetch(select(_memories).where(*self._key(scope, memory_id)))), None)
        if row is None or row["deleted_at_ms"] is None or self._expired(row["deleted_at_ms"]):
            raise _not_found(memory_id, deleted=True)
        vector = await self._vector(row["content"])

        async def write(conn: AsyncConnection) -> None:
            await self._semantic.index.upsert(scope, [(memory_id, vector)], conn=conn)
            current = await self._row(conn, scope, memory_id, for_update=True)
            if current is None or current["deleted_at_ms"] is None or self._expired(current["deleted_at_ms"]):
                raise _not_found(memory_id, deleted=True)
            await conn.execute(update(_memories).where(*self._key(scope, memory_id)).values(deleted_at_ms=None))

        memory = _memory(row)
        await self._commit(scope, RESTORED, memory, write)
        return memory

    async def purge(self) -> int:
        """Removes memories deleted `retention` ago or more, with their versions, tags and events."""
        cutoff = self._clock.now_ms() - self.retention_ms
        rows = await self._db.fetch_all(
            select(_memories.c.tenant_id, _memories.c.owner_id, _memories.c.id).where(
                _memories.c.deleted_at_ms.is_not(None), _memories.c.deleted_at_ms <= cutoff
            )
        )
        for tenant_id, owner_id, memory_id in rows:
            scope = Scope(tenant_id, owner_id)
            async with self._db.write() as conn:
                gone = await conn.execute(
                    delete(_memories).where(
                        *self._key(scope, memory_id),
                        _memories.c.deleted_at_ms.is_not(None),
                        _memories.c.deleted_at_ms <= cutoff,
                    )
                )
                if not gone.rowcount:
                    continue  # restored meanwhile
                for table, column in ((_versions, _versions.c.memory_id), (_tags, _tags.c.memory_id)):
                    await conn.execute(
                        delete(table).where(
                            table.c.tenant_id == tenant_id, table.c.owner_id == owner_id, column == memory_id
                        )
                    )
                await conn.execute(
                    delete(_events).where(
                        _events.c.tenant_id == tenant_id,
                        _events.c.owner_id == owner_id,
                        _events.c.subject == _subject(memory_id),
                    )
                )
        return len(rows)

    async def _commit(
        self,
        scope: Scope,
        kind: str,
        memory: Memory | None,
        write: Callable[[AsyncConnection], Awaitable[None]],
        result: Callable[[], Memory] | None = None,
    ) -> None:
        """THE one place memories change: runs `write` and records the `kind` event
        (memory.stored/updated/deleted/restored) in one transaction."""
        async with self._db.write() as conn:
            await write(conn)
            changed = result() if result is not None else memory
            assert changed is not None
            await conn.execute(
                insert(_events).values(
                    id="evt_" + secrets.token_hex(12),
                    tenant_id=scope.tenant_id,
                    owner_id=scope.owner_id,
                    type=kind,
                    subject=_subject(changed.id),
                    data=orjson.dumps({"memoryId": changed.id, "version": changed.version}).decode(),
                    created_at_ms=self._clock.now_ms(),
                )
            )
            if self.on_change is not None and kind in WEBHOOK_EVENTS:
                data = {"memoryId": changed.id, "tags": list(changed.tags), "importance": changed.importance}
                await self.on_change(conn, scope.owner_id, kind, {**data, "version": changed.version})

    async def _new_version(self, conn: AsyncConnection, scope: Scope, memory: Memory, metadata_json: str) -> None:
        await conn.execute(
            insert(_versions).values(
                **self._owned(scope),
                memory_id=memory.id,
                version=memory.version,
                content=memory.content,
                tags=orjson.dumps(memory.tags).decode(),
                importance=memory.importance,
                metadata_json=metadata_json,
                created_at_ms=memory.updated_at_ms,
            )
        )
        await conn.execute(delete(_tags).where(*self._tag_owner(scope), _tags.c.memory_id == memory.id))
        if memory.tags:
            await conn.execute(
                insert(_tags), [{**self._owned(scope), "memory_id": memory.id, "tag": t} for t in memory.tags]
            )

    # --- reads ---

    async def get(self, scope: Scope, memory_id: str) -> Memory:
        row = next(iter(await self._fetch(select(_memories).where(*self._key(scope, memory_id)))), None)
        if row is None or row["deleted_at_ms"] is not None:
            raise _not_found(memory_id)
        return _memory(row)

    async def versions(self, scope: Scope, memory_id: str) -> tuple[Memory, list[MemoryVersion]]:
        """The current memory and every version, oldest first."""
        current = await self.get(scope, memory_id)
        rows = await self._fetch(
            select(_versions)
            .where(*self._tag_owner(scope, _versions), _versions.c.memory_id == memory_id)
            .order_by(_versions.c.version)
        )
        return current, [
            MemoryVersion(
                r["version"],
                r["content"],
                orjson.loads(r["tags"]),
                r["importance"],
                orjson.loads(r["metadata_json"]),
                r["created_at_ms"],
            )
            for r in rows
        ]

    async def search(
        self,
        scope: Scope,
        query: str,
        limit: int = DEFAULT_LIMIT,
        tags: Sequence[str] = (),
        min_score: float | None = None,
    ) -> SearchOutcome:
        """The owner's memories nearest in meaning to `query`, best first: at most `limit`,
        carrying every tag of `tags`, scoring at least `min_score` (cosine, 0-1)."""
        if not query.strip():
            raise missing("query")
        if len(query) > MAX_QUERY:
            raise _invalid("query", "too_long", f"query must be at most {MAX_QUERY:,} characters")
        if not 1 <= limit <= MAX_LIMIT:
            raise _invalid("limit", "out_of_range", f"limit must be 1 to {MAX_LIMIT}")
        if min_score is not None and not 0.0 <= min_score <= 1.0:
            raise _invalid("minScore", "out_of_range", "minScore must be between 0.0 and 1.0")
        wanted = _check_tags(tags)
        started = time.perf_counter()
        accept = None
        if wanted:
            tagged = await self._tagged(scope, wanted)
            accept = tagged.__contains__
        try:
            hits = await self._semantic.search(scope, query, limit, min_score=min_score, accept=accept)
        except ModelError as exc:
            self._embedding_failed = True
            raise _unavailable(exc) from exc
        self._embedding_failed = False
        found = await self._live(scope, [h.item_id for h in hits])
        results = [Found(found[h.item_id], max(0.0, min(1.0, h.score))) for h in hits if h.item_id in found]
        took = (time.perf_counter() - started) * 1000
        self._search_ms.append(took)
        return SearchOutcome(results, round(took))

    async def context(self, scope: Scope, query: str, max_tokens: int = DEFAULT_CONTEXT_TOKENS) -> PackedContext:
        """The most relevant memories whose contents fit in `max_tokens` tokens, best first:
        one too large for what is left is skipped, and a smaller one after it may fit."""
        if not 1 <= max_tokens <= MAX_CONTEXT_TOKENS:
            raise _invalid("maxTokens", "out_of_range", f"maxTokens must be 1 to {MAX_CONTEXT_TOKENS:,}")
        outcome = await self.search(scope, query, CONTEXT_CANDIDATES)
        packed: list[PackedMemory] = []
        used = 0
        for found in outcome.results:
            tokens = count_tokens(found.memory.content)
            if used + tokens <= max_tokens:
                packed.append(PackedMemory(found, tokens))
                used += tokens
        return PackedContext(query, packed, used, max_tokens, len(outcome.results) - len(packed))

    async def stats(self, scope: Scope) -> SpineStats:
        live = await self._semantic.index.count(scope)
        text_bytes = await self._db.fetch_value(
            select(
                func.coalesce(func.sum(func.length(_versions.c.content) + func.length(_versions.c.metadata_json)), 0)
            ).where(*self._tag_owner(scope, _versions))
        )
        vector_bytes = await self._semantic.index.stored_bytes(scope)
        recent = list(self._search_ms)
        average = round(sum(recent) / len(recent), 2) if recent else 0.0
        return SpineStats(
            live,
            int(text_bytes or 0) + vector_bytes,
            SPINE_VERSION,
            average,
            "degraded" if self._embedding_failed else "healthy",
        )

    # --- helpers ---

    async def _vector(self, content: str) -> Any:
        try:
            (vector,), _ = await self._semantic.embed([content])
        except ModelError as exc:
            self._embedding_failed = True
            raise _unavailable(exc) from exc
        self._embedding_failed = False
        return vector

    async def _tagged(self, scope: Scope, tags: list[str]) -> set[str]:
        """Ids of the owner's memories carrying every one of `tags`."""
        rows = await self._db.fetch_all(
            select(_tags.c.memory_id)
            .where(*self._tag_owner(scope), _tags.c.tag.in_(tags))
            .group_by(_tags.c.memory_id)
            .having(func.count() == len(tags))
        )
        return {r[0] for r in rows}

    async def _live(self, scope: Scope, ids: list[str]) -> dict[str, Memory]:
        if not ids:
            return {}
        rows = await self._fetch(
            select(_memories).where(
                *self._tag_owner(scope, _memories), _memories.c.id.in_(ids), _memories.c.deleted_at_ms.is_(None)
            )
        )
        return {r["id"]: _memory(r) for r in rows}

    async def _row(
        self, conn: AsyncConnection, scope: Scope, memory_id: str, *, for_update: bool = False
    ) -> Row | None:
        query = select(_memories).where(*self._key(scope, memory_id))
        if for_update and conn.dialect.name == "postgresql":
            query = query.with_for_update()
        found = (await conn.execute(query)).first()
        return dict(found._mapping) if found is not None else None

    async def _fetch(self, query: Select[Any]) -> list[Row]:
        """`query`'s rows by column name (Database.fetch_all gives plain tuples)."""
        keys = list(query.selected_columns.keys())
        return [dict(zip(keys, row, strict=True)) for row in await self._db.fetch_all(query)]

    def _expired(self, deleted_at_ms: int) -> bool:
        return deleted_at_ms + self.retention_ms <= self._clock.now_ms()

    @staticmethod
    def _owned(scope: Scope) -> dict[str, str]:
        return {"tenant_id": scope.tenant_id, "owner_id": scope.owner_id}

    @staticmethod
    def _key(scope: Scope, memory_id: str) -> list[Any]:
        return [*MemorySpine._tag_owner(scope, _memories), _memories.c.id == memory_id]

    @staticmethod
    def _tag_owner(scope: Scope, table: Table = _tags) -> list[Any]:
        return [table.c.tenant_id == scope.tenant_id, table.c.owner_id == scope.owner_id]


async def memory_spine(platform: Platform) -> MemorySpine:
    """The process's one Memory Spine (the servicer's, and any other part's: agents)."""

    async def build() -> MemorySpine:
        settings = SETTINGS.of(platform.settings)
        semantic = await semantic_search(platform, NAMESPACE)
        return MemorySpine(platform.db, platform.clock, semantic, retention_days=settings.memory_retention_days)

    return await platform.shared(("chaozcode", "memory-spine"), build)


def _columns(memory: Memory, metadata_json: str) -> dict[str, Any]:
    return {
        "id": memory.id,
        "version": memory.version,
        "vector_id": memory.vector_id,
        "content": memory.content,
        "tags": orjson.dumps(memory.tags).decode(),
        "importance": memory.importance,
        "metadata_json": metadata_json,
        "created_at_ms": memory.created_at_ms,
        "updated_at_ms": memory.updated_at_ms,
    }


def _subject(memory_id: str) -> str:
    return f"memory:{memory_id}"


def _exists(memory_id: str) -> ChorusError:
    return already_exists(f"Memory '{memory_id}' already exists", info={"field": "id"})


def _not_found(memory_id: str, *, deleted: bool = False) -> ChorusError:
    what = "Deleted memory" if deleted else "Memory"
    return not_found(f"{what} '{memory_id}' not found")
