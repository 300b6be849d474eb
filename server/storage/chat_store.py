"""Chat sessions and messages, always scoped by tenant and owner."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from server.storage.database import Database
from server.storage.tables import ChatMessageRow, ChatSessionRow


@dataclass(frozen=True, slots=True)
class Scope:
    """Who owns a session: a tenant, optionally narrowed to one principal."""

    tenant_id: str
    owner_id: str = ""


@dataclass(frozen=True, slots=True)
class MessageRecord:
    """One chat message, as stored and as appended."""

    role: str
    content: str
    created_at_ms: int
    incomplete: bool = False


class ChatStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def recent(self, scope: Scope, session_id: str, limit: int) -> list[MessageRecord]:
        """The last `limit` messages, oldest first."""
        if limit <= 0:
            return []
        async with self._db.session() as session:
            rows = await session.scalars(_messages(scope, session_id).order_by(ChatMessageRow.id.desc()).limit(limit))
            return [_stored(r) for r in reversed(list(rows))]

    async def history(self, scope: Scope, session_id: str) -> list[MessageRecord] | None:
        """All messages oldest first, or None when the session does not exist."""
        async with self._db.session() as session:
            if await _session_row(session, scope, session_id) is None:
                return None
            rows = await session.scalars(_messages(scope, session_id).order_by(ChatMessageRow.id))
            return [_stored(r) for r in rows]

    async def append(self, scope: Scope, session_id: str, messages: list[MessageRecord]) -> None:
        """Creates the session if needed and appends messages, all in one transaction."""
        now = max(m.created_at_ms for m in messages)
        async with self._db.session() as session, session.begin():
            await session.execute(_upsert_session(self._db.engine.dialect.name, scope, session_id, now))
            session.add_all(
                ChatMessageRow(
                    tenant_id=scope.tenant_id,
                    owner_id=scope.owner_id,
                    session_id=session_id,
                    role=m.role,
                    content=m.content,
                    created_at_ms=m.created_at_ms,
                    incomplete=m.incomplete,
                )
                for m in messages
            )

    async def delete(self, scope: Scope, session_id: str) -> bool:
        async with self._db.session() as session, session.begin():
            # Messages first: not every backend cascades without foreign keys on.
            await session.execute(
                delete(ChatMessageRow).where(
                    ChatMessageRow.tenant_id == scope.tenant_id,
                    ChatMessageRow.owner_id == scope.owner_id,
                    ChatMessageRow.session_id == session_id,
                )
            )
            result = await session.execute(
                delete(ChatSessionRow).where(
                    ChatSessionRow.tenant_id == scope.tenant_id,
                    ChatSessionRow.owner_id == scope.owner_id,
                    ChatSessionRow.id == session_id,
                )
            )
            return bool(getattr(result, "rowcount", 0))


def _messages(scope: Scope, session_id: str):  # type: ignore[no-untyped-def]
    return select(ChatMessageRow).where(
        ChatMessageRow.tenant_id == scope.tenant_id,
        ChatMessageRow.owner_id == scope.owner_id,
        ChatMessageRow.session_id == session_id,
    )


async def _session_row(session: AsyncSession, scope: Scope, session_id: str) -> ChatSessionRow | None:
    return await session.get(ChatSessionRow, (scope.tenant_id, scope.owner_id, session_id))


def _upsert_session(dialect: str, scope: Scope, session_id: str, now: int):  # type: ignore[no-untyped-def]
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(ChatSessionRow).values(
        tenant_id=scope.tenant_id,
        owner_id=scope.owner_id,
        id=session_id,
        created_at_ms=now,
        updated_at_ms=now,
    )
    return stmt.on_conflict_do_update(index_elements=["tenant_id", "owner_id", "id"], set_={"updated_at_ms": now})


def _stored(row: ChatMessageRow) -> MessageRecord:
    return MessageRecord(row.role, row.content, row.created_at_ms, row.incomplete)
