"""Every surface's conversation messages, always scoped by surface, tenant and principal.

One store on one table (`conversation_messages`) for Crispy's sessions and
MCoS's conversations alike. A store instance is bound to one surface: its
queries never see another surface's rows.

Rows are ordered by `seq`, an autoincrement key, so paging is stable when
messages arrive concurrently (timestamps can tie; ids are random).
PostgreSQL takes a seq at INSERT but shows the row at COMMIT, so two writers'
rows could appear out of seq order and a reader paging `after` would step
past the earlier one for good: each principal's appends therefore hold a
transaction lock on that principal (SQLite has one writer anyway), which makes
a principal's seq order their commit order.

A conversation exists while it has messages: every turn writes at least one.

Queries use SQLAlchemy Core on a plain connection with statements built once
and bound parameters: on the hot read path the ORM session costs about three
times as much, and building a select per call costs more than running it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, insert, select, text, update

from server.platform.agent.loop import ToolInvocation
from server.platform.chat.messages import ConversationMessage, NewMessage, ReplyFailure
from server.platform.scope import Scope
from server.platform.storage.database import Database
from server.platform.storage.tables import ConversationMessageRow

_messages = cast(Table, ConversationMessageRow.__table__)
_c = _messages.c

_OWNED = (
    _c.surface == bindparam("surface"),
    _c.tenant_id == bindparam("tenant_id"),
    _c.owner_id == bindparam("owner_id"),
)
_IN_CONVERSATION = (*_OWNED, _c.conversation_id == bindparam("conversation_id"))
_COLUMNS = select(
    _c.id, _c.conversation_id, _c.role, _c.content, _c.created_at_ms, _c.tool_calls, _c.incomplete, _c.error
)
_CONVERSATION = _COLUMNS.where(*_IN_CONVERSATION).order_by(_c.seq)
_CONTEXT = (
    _COLUMNS.where(*_IN_CONVERSATION, _c.archived_at_ms.is_(None)).order_by(_c.seq.desc()).limit(bindparam("limit"))
)
_LATEST_SEQ = select(func.max(_c.seq)).where(*_OWNED)
_SEQ_OF = select(_c.seq, _c.conversation_id).where(*_OWNED, _c.id == bindparam("message_id"))
_DELETE_CONVERSATION = delete(_messages).where(*_IN_CONVERSATION)
# The seq of the newest message that is no longer active: the one just past
# the newest `active` (NULL while the conversation has no more than that).
# Bind names differ from column names: UPDATE reserves those for SET values.
_IN_CONVERSATION_FOR_UPDATE = (
    _c.surface == bindparam("p_surface"),
    _c.tenant_id == bindparam("p_tenant_id"),
    _c.owner_id == bindparam("p_owner_id"),
    _c.conversation_id == bindparam("p_conversation_id"),
)
_LAST_TO_ARCHIVE = (
    select(_c.seq)
    .where(*_IN_CONVERSATION_FOR_UPDATE)
    .order_by(_c.seq.desc())
    .limit(1)
    .offset(bindparam("active"))
    .scalar_subquery()
)
_ARCHIVE = (
    update(_messages)
    .where(*_IN_CONVERSATION_FOR_UPDATE, _c.archived_at_ms.is_(None), _c.seq <= _LAST_TO_ARCHIVE)
    .values(archived_at_ms=bindparam("now_ms"))
)
# Released at commit. Distinct principals may share a hash: that only serialises them too.
_LOCK_OWNER = text("SELECT pg_advisory_xact_lock(hashtextextended(:owner_key, 0))")
# Purging goes in batches so no single transaction holds the writer for long.
_PURGE_BATCH = (
    select(_c.seq)
    .where(_c.surface == bindparam("surface"), _c.archived_at_ms < bindparam("cutoff_ms"))
    .order_by(_c.seq)
    .limit(bindparam("batch"))
)


@dataclass(frozen=True, slots=True)
class StoredPage:
    messages: list[ConversationMessage]  # oldest first
    has_more: bool


@dataclass(frozen=True, slots=True)
class MessagePosition:
    seq: int
    conversation_id: str


class ConversationStore:
    def __init__(self, db: Database, surface: str) -> None:
        self._db = db
        self._surface = surface

    async def append(
        self,
        scope: Scope,
        conversation_id: str,
        messages: Sequence[NewMessage],
        *,
        active_messages: int | None = None,
        now_ms: int = 0,
    ) -> None:
        """Appends messages in one transaction. With `active_messages`, the
        same transaction archives (at `now_ms`) what falls out of the
        conversation's newest `active_messages`."""
        params = self._conversation(scope, conversation_id)
        async with self._db.write() as conn:
            if self._db.dialect == "postgresql":
                owner_key = f"conversation-messages/{self._surface}/{scope.tenant_id}/{scope.owner_id}"
                await conn.execute(_LOCK_OWNER, {"owner_key": owner_key})
            await conn.execute(
                insert(_messages),
                [
                    {
                        **params,
                        "id": m.id,
                        "role": m.role,
                        "content": m.content,
                        "tool_calls": [_invocation_json(t) for t in m.tool_calls],
                        "incomplete": m.incomplete,
                        "error": _failure_json(m.failure),
                        "created_at_ms": m.created_at_ms,
                        "archived_at_ms": None,
                    }
                    for m in messages
                ],
            )
            if active_messages is not None:
                archive = {f"p_{key}": value for key, value in params.items()}
                await conn.execute(_ARCHIVE, {**archive, "active": active_messages, "now_ms": now_ms})

    async def conversation(self, scope: Scope, conversation_id: str) -> list[ConversationMessage] | None:
        """Every message of the conversation, oldest first, or None when it has none."""
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(_CONVERSATION, self._conversation(scope, conversation_id))).all()
        return [_message(r) for r in rows] if rows else None

    async def context(self, scope: Scope, conversation_id: str, limit: int) -> list[ConversationMessage]:
        """The newest `limit` active messages, oldest first."""
        if limit <= 0:
            return []
        params = {**self._conversation(scope, conversation_id), "limit": limit}
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(_CONTEXT, params)).all()
        return [_message(r) for r in reversed(rows)]

    async def delete(self, scope: Scope, conversation_id: str) -> bool:
        """Deletes the conversation's messages; False when it had none."""
        async with self._db.write() as conn:
            result = await conn.execute(_DELETE_CONVERSATION, self._conversation(scope, conversation_id))
            return bool(result.rowcount)

    async def recent(
        self,
        scope: Scope,
        *,
        limit: int,
        since_ms: int | None = None,
        after_seq: int | None = None,
        through_seq: int | None = None,
    ) -> list[ConversationMessage]:
        """The principal's newest messages across conversations, oldest first:
        created after `since_ms`, and with `after_seq < seq <= through_seq`,
        where given."""
        if limit <= 0:
            return []
        conditions = self._owned_by(scope)
        if since_ms is not None:
            conditions.append(_c.created_at_ms > since_ms)
        if after_seq is not None:
            conditions.append(_c.seq > after_seq)
        if through_seq is not None:
            conditions.append(_c.seq <= through_seq)
        statement = _COLUMNS.where(*conditions).order_by(_c.seq.desc()).limit(limit)
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(statement)).all()
        return [_message(r) for r in reversed(rows)]

    async def latest_seq(self, scope: Scope) -> int:
        """The `seq` of the principal's newest message (0 when none). A
        principal's appends commit in `seq` order (see the module doc), so
        every message up to it is visible once this is read."""
        async with self._db.engine.connect() as conn:
            return int((await conn.execute(_LATEST_SEQ, self._owner(scope))).scalar() or 0)

    async def position(self, scope: Scope, message_id: str) -> MessagePosition | None:
        """Where one of the principal's messages sits, or None (unknown, purged, or not theirs)."""
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(_SEQ_OF, {**self._owner(scope), "message_id": message_id})).first()
        return None if row is None else MessagePosition(row[0], row[1])

    async def page(
        self,
        scope: Scope,
        *,
        conversation_id: str | None,
        limit: int,
        before_seq: int | None = None,
        after_seq: int | None = None,
    ) -> StoredPage:
        """`limit` messages, oldest first: the newest ones (before `before_seq`
        when given), or the oldest ones after `after_seq`. One extra row is read
        to learn whether more lie beyond."""
        conditions = self._owned_by(scope)
        if conversation_id is not None:
            conditions.append(_c.conversation_id == conversation_id)
        if after_seq is not None:
            conditions.append(_c.seq > after_seq)
            order = _c.seq.asc()
        else:
            if before_seq is not None:
                conditions.append(_c.seq < before_seq)
            order = _c.seq.desc()
        statement = _COLUMNS.where(*conditions).order_by(order).limit(limit + 1)
        async with self._db.engine.connect() as conn:
            rows = list((await conn.execute(statement)).all())
        has_more = len(rows) > limit
        rows = rows[:limit]
        if after_seq is None:
            rows.reverse()
        return StoredPage([_message(r) for r in rows], has_more)

    async def purge_archived(self, *, cutoff_ms: int, batch: int = 500) -> int:
        """Deletes this surface's messages archived before `cutoff_ms`, across all
        tenants. Safe to run from several processes at once: each batch deletes
        by key, so a row another process already took is simply not there."""
        purged = 0
        params = {"surface": self._surface, "cutoff_ms": cutoff_ms, "batch": batch}
        while True:
            async with self._db.write() as conn:
                seqs = list((await conn.execute(_PURGE_BATCH, params)).scalars())
                if seqs:
                    # Counted by what this delete removed, not what was selected.
                    result = await conn.execute(delete(_messages).where(_c.seq.in_(seqs)))
                    purged += result.rowcount
            if len(seqs) < batch:
                return purged

    def _owner(self, scope: Scope) -> dict[str, str]:
        return {"surface": self._surface, "tenant_id": scope.tenant_id, "owner_id": scope.owner_id}

    def _conversation(self, scope: Scope, conversation_id: str) -> dict[str, str]:
        return {**self._owner(scope), "conversation_id": conversation_id}

    def _owned_by(self, scope: Scope) -> list[Any]:
        return [_c.surface == self._surface, _c.tenant_id == scope.tenant_id, _c.owner_id == scope.owner_id]


def _invocation_json(record: ToolInvocation) -> dict[str, Any]:
    return {"id": record.id, "name": record.name, "args": record.args, "result": record.result}


def _failure_json(failure: ReplyFailure | None) -> dict[str, Any] | None:
    if failure is None:
        return None
    return {"code": failure.code, "message": failure.message, "details": failure.details}


def _message(row: Any) -> ConversationMessage:
    error = row[7]
    return ConversationMessage(
        id=row[0],
        conversation_id=row[1],
        role=row[2],
        content=row[3],
        created_at_ms=row[4],
        tool_calls=tuple(ToolInvocation(t["id"], t["name"], t["args"], t["result"]) for t in row[5] or ()),
        incomplete=bool(row[6]),
        failure=None if error is None else ReplyFailure(error["code"], error["message"], error["details"]),
    )
