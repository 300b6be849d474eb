"""MCoS conversation messages, always scoped by tenant and principal.

A table of its own rather than `chat_store`'s: MCoS messages need public
"msg_" ids usable as cursors, tool invocations, and archiving, and history
pages across all of a user's conversations. Rows are ordered by `seq`, an
autoincrement key, so paging is stable when messages arrive concurrently
(timestamps can tie; ids are random). PostgreSQL takes a seq at INSERT but
shows the row at COMMIT, so two writers' rows could appear out of seq order
and a reader paging `after` would step past the earlier one for good: each
user's appends therefore hold a transaction lock on that user (SQLite has one
writer anyway), which makes a user's seq order their commit order.

Queries use SQLAlchemy Core with statements built once (see `chat_store`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, insert, select, text, update

from server.platform.agent.loop import ToolInvocation
from server.platform.scope import Scope
from server.platform.storage.database import Database
from server.surfaces.mcos.conversation_messages import ConversationMessage, ReplyFailure
from server.surfaces.mcos.stores.user_changes import ChangeWindow
from server.surfaces.mcos.tables import McosMessageRow

_messages = cast(Table, McosMessageRow.__table__)
_c = _messages.c

_OWNED = (_c.tenant_id == bindparam("tenant_id"), _c.owner_id == bindparam("owner_id"))
_IN_CONVERSATION = (*_OWNED, _c.conversation_id == bindparam("conversation_id"))
_COLUMNS = select(
    _c.id, _c.conversation_id, _c.role, _c.content, _c.created_at_ms, _c.tool_calls, _c.incomplete, _c.error
)
_CONTEXT = (
    _COLUMNS.where(*_IN_CONVERSATION, _c.archived_at_ms.is_(None)).order_by(_c.seq.desc()).limit(bindparam("limit"))
)
_LATEST_SEQ = select(func.max(_c.seq)).where(*_OWNED)
_SEQ_OF = select(_c.seq, _c.conversation_id).where(*_OWNED, _c.id == bindparam("message_id"))
# The seq of the newest message that is no longer active: the one just past
# the newest `active` (NULL while the conversation has no more than that).
# Bind names differ from column names: UPDATE reserves those for SET values.
_IN_CONVERSATION_FOR_UPDATE = (
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
# Released at commit. Distinct users may share a hash: that only serialises them too.
_LOCK_OWNER = text("SELECT pg_advisory_xact_lock(hashtextextended(:owner_key, 0))")
# Purging goes in batches so no single transaction holds the writer for long.
_PURGE_BATCH = (
    select(_c.seq).where(_c.archived_at_ms < bindparam("cutoff_ms")).order_by(_c.seq).limit(bindparam("batch"))
)


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A message to append (its id is chosen by the caller)."""

    id: str
    role: str
    content: str
    created_at_ms: int
    tool_calls: tuple[ToolInvocation, ...] = ()
    incomplete: bool = False
    failure: ReplyFailure | None = None


@dataclass(frozen=True, slots=True)
class StoredPage:
    messages: list[ConversationMessage]  # oldest first
    has_more: bool


@dataclass(frozen=True, slots=True)
class MessagePosition:
    seq: int
    conversation_id: str


class ConversationStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def append(
        self,
        scope: Scope,
        conversation_id: str,
        messages: Sequence[NewMessage],
        *,
        active_messages: int,
        now_ms: int,
    ) -> None:
        """Appends messages and archives what falls out of the newest
        `active_messages`, all in one transaction."""
        params = _params(scope, conversation_id)
        async with self._db.write() as conn:
            if self._db.dialect == "postgresql":
                await conn.execute(_LOCK_OWNER, {"owner_key": f"mcos-messages/{scope.tenant_id}/{scope.owner_id}"})
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
            archive = {f"p_{key}": value for key, value in params.items()}
            await conn.execute(_ARCHIVE, {**archive, "active": active_messages, "now_ms": now_ms})

    async def context(self, scope: Scope, conversation_id: str, limit: int) -> list[ConversationMessage]:
        """The newest `limit` active messages, oldest first."""
        if limit <= 0:
            return []
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(_CONTEXT, {**_params(scope, conversation_id), "limit": limit})).all()
        return [_message(r) for r in reversed(rows)]

    async def recent(self, scope: Scope, *, limit: int, window: ChangeWindow) -> list[ConversationMessage]:
        """The user's newest messages across conversations in `window` (by
        `seq` and creation time), oldest first."""
        if limit <= 0:
            return []
        conditions = [_c.tenant_id == scope.tenant_id, _c.owner_id == scope.owner_id]
        conditions += window.conditions(_c.seq, _c.created_at_ms)
        statement = _COLUMNS.where(*conditions).order_by(_c.seq.desc()).limit(limit)
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(statement)).all()
        return [_message(r) for r in reversed(rows)]

    async def latest_seq(self, scope: Scope) -> int:
        """The `seq` of the user's newest message (0 when none). A user's appends
        commit in `seq` order (see the module doc), so every message up to it
        is visible once this is read."""
        params = {"tenant_id": scope.tenant_id, "owner_id": scope.owner_id}
        async with self._db.engine.connect() as conn:
            return int((await conn.execute(_LATEST_SEQ, params)).scalar() or 0)

    async def position(self, scope: Scope, message_id: str) -> MessagePosition | None:
        """Where one of the user's messages sits, or None (unknown, purged, or not theirs)."""
        params = {"tenant_id": scope.tenant_id, "owner_id": scope.owner_id, "message_id": message_id}
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(_SEQ_OF, params)).first()
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
        conditions = [_c.tenant_id == scope.tenant_id, _c.owner_id == scope.owner_id]
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
        """Deletes messages archived before `cutoff_ms`, across all tenants.
        Safe to run from several processes at once: each batch deletes by key,
        so a row another process already took is simply not there."""
        purged = 0
        while True:
            async with self._db.write() as conn:
                seqs = list((await conn.execute(_PURGE_BATCH, {"cutoff_ms": cutoff_ms, "batch": batch})).scalars())
                if seqs:
                    # Counted by what this delete removed, not what was selected.
                    result = await conn.execute(delete(_messages).where(_c.seq.in_(seqs)))
                    purged += result.rowcount
            if len(seqs) < batch:
                return purged


def _params(scope: Scope, conversation_id: str) -> dict[str, str]:
    return {"tenant_id": scope.tenant_id, "owner_id": scope.owner_id, "conversation_id": conversation_id}


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
