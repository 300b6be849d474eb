"""Conversations filed under topic categories, scoped by tenant."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from server.platform.storage.database import Database
from server.surfaces.chittyos.sync.tables import TopicConversationRow

_conversations = cast(Table, TopicConversationRow.__table__)


@dataclass(frozen=True, slots=True)
class ConversationRecord:
    id: str
    category: str
    subcategories: list[str]
    confidence: float
    file: str
    content_preview: str
    categorized_at_ms: int


@dataclass(frozen=True, slots=True)
class CategoryRecord:
    category: str
    count: int
    avg_confidence: float
    last_updated_ms: int


_LISTED = (
    _conversations.c.id,
    _conversations.c.category,
    _conversations.c.subcategories,
    _conversations.c.confidence,
    _conversations.c.file,
    _conversations.c.content_preview,
    _conversations.c.categorized_at_ms,
)


def _in_tenant(tenant_id: str) -> Any:
    return _conversations.c.tenant_id == tenant_id


class TopicStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def insert(self, tenant_id: str, conversation: ConversationRecord, content: str) -> bool:
        """False when the tenant already has a conversation with this id."""
        try:
            async with self._db.write() as conn:
                await conn.execute(
                    insert(_conversations).values(
                        tenant_id=tenant_id,
                        id=conversation.id,
                        category=conversation.category,
                        subcategories=conversation.subcategories,
                        confidence=conversation.confidence,
                        file=conversation.file,
                        content=content,
                        content_preview=conversation.content_preview,
                        categorized_at_ms=conversation.categorized_at_ms,
                    )
                )
        except IntegrityError:
            return False
        return True

    async def categories(self, tenant_id: str, limit: int, offset: int) -> tuple[list[CategoryRecord], int]:
        """Per category: count, mean confidence, newest time; most conversations first. And
        the number of categories."""
        count = func.count().label("n")
        async with self._db.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(
                        _conversations.c.category,
                        count,
                        func.avg(_conversations.c.confidence),
                        func.max(_conversations.c.categorized_at_ms),
                    )
                    .where(_in_tenant(tenant_id))
                    .group_by(_conversations.c.category)
                    .order_by(count.desc(), _conversations.c.category)
                    .limit(limit)
                    .offset(offset)
                )
            ).all()
            total, _ = await _counts(conn, tenant_id)
        return [CategoryRecord(r[0], int(r[1]), float(r[2]), int(r[3])) for r in rows], total

    async def conversations(
        self, tenant_id: str, category: str, limit: int, offset: int
    ) -> tuple[list[ConversationRecord], int]:
        """One category's conversations, newest first, and how many it has."""
        in_category = (_in_tenant(tenant_id), _conversations.c.category == category)
        async with self._db.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(*_LISTED)
                    .where(*in_category)
                    .order_by(_conversations.c.categorized_at_ms.desc(), _conversations.c.id)
                    .limit(limit)
                    .offset(offset)
                )
            ).all()
            count = await conn.scalar(select(func.count()).select_from(_conversations).where(*in_category))
        records = [ConversationRecord(r[0], r[1], list(r[2]), float(r[3]), r[4], r[5], r[6]) for r in rows]
        return records, int(count or 0)

    async def counts(self, tenant_id: str) -> tuple[int, int]:
        """(categories, conversations)."""
        async with self._db.engine.connect() as conn:
            return await _counts(conn, tenant_id)


async def _counts(conn: AsyncConnection, tenant_id: str) -> tuple[int, int]:
    row = (
        await conn.execute(
            select(func.count(func.distinct(_conversations.c.category)), func.count()).where(_in_tenant(tenant_id))
        )
    ).one()
    return int(row[0]), int(row[1])
