"""Server-side sessions: who owns each, who else may read or continue it.

Access, enforced on every session route:
- the owner may do everything;
- `shared`: the users in `shared_with` may also read and continue it;
- `public`: any authenticated caller may also read it (only the owner and
  `shared_with` may continue it);
- anyone else gets 404, as if the session did not exist; only the owner may
  change access or delete (a reader who may not gets 404 too).

The messages are the platform conversation store's, under the owner's scope,
so a shared user's turns land in the owner's conversation.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from server.platform.clock import Clock
from server.platform.errors import FieldViolation, invalid_argument, not_found
from server.platform.storage.database import Database
from server.surfaces.agentchassis.tables import AgentSessionRow

PRIVATE, SHARED, PUBLIC = "private", "shared", "public"
VISIBILITIES = (PRIVATE, SHARED, PUBLIC)
MAX_SHARED = 100
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True, slots=True)
class SessionInfo:
    id: str
    owner_id: str
    visibility: str
    shared_with: tuple[str, ...]
    metadata: dict[str, Any] = field(default_factory=dict)
    created_at_ms: int = 0
    updated_at_ms: int = 0

    def may_read(self, caller_id: str) -> bool:
        return self.visibility == PUBLIC or self.may_continue(caller_id)

    def may_continue(self, caller_id: str) -> bool:
        return caller_id == self.owner_id or (self.visibility != PRIVATE and caller_id in self.shared_with)


def _info(row: AgentSessionRow) -> SessionInfo:
    return SessionInfo(
        row.id,
        row.owner_id,
        row.visibility,
        tuple(row.shared_with or ()),
        dict(row.session_metadata or {}),
        row.created_at_ms,
        row.updated_at_ms,
    )


def session_not_found() -> Exception:
    return not_found("Session not found")


class AgentSessions:
    def __init__(self, db: Database, clock: Clock, tenant_id: str) -> None:
        self._db = db
        self._clock = clock
        self._tenant = tenant_id

    async def open(self, session_id: str, caller_id: str, metadata: dict[str, Any]) -> SessionInfo:
        """The session to continue: the caller's (or one they may continue), or, when no
        session has that id, a new one of theirs under it (as the document's example
        continues "abc-123"). Someone else's session is NOT_FOUND."""
        if not SESSION_ID.fullmatch(session_id):
            raise invalid_argument(
                "session_id must be 1 to 64 letters, digits, '-' or '_'", (FieldViolation("session_id", "invalid"),)
            )
        found = await self._get(session_id)
        if found is None:
            try:
                return await self.create(caller_id, metadata, session_id)
            except IntegrityError:  # created meanwhile
                found = await self._get(session_id)
        if found is None or not found.may_continue(caller_id):
            raise session_not_found()
        return found

    async def create(self, owner_id: str, metadata: dict[str, Any], session_id: str = "") -> SessionInfo:
        now = self._clock.now_ms()
        row = AgentSessionRow(
            id=session_id or str(uuid.uuid4()),
            tenant_id=self._tenant,
            owner_id=owner_id,
            visibility=PRIVATE,
            shared_with=[],
            session_metadata=metadata,
            created_at_ms=now,
            updated_at_ms=now,
        )
        async with self._db.session() as session, session.begin():
            session.add(row)
        return _info(row)

    async def _get(self, session_id: str) -> SessionInfo | None:
        async with self._db.session() as session:
            row = await session.scalar(
                select(AgentSessionRow).where(
                    AgentSessionRow.id == session_id, AgentSessionRow.tenant_id == self._tenant
                )
            )
        return None if row is None else _info(row)

    async def readable(self, session_id: str, caller_id: str) -> SessionInfo:
        found = await self._get(session_id)
        if found is None or not found.may_read(caller_id):
            raise session_not_found()
        return found

    async def owned(self, session_id: str, caller_id: str) -> SessionInfo:
        found = await self._get(session_id)
        if found is None or found.owner_id != caller_id:
            raise session_not_found()
        return found

    async def touch(self, session_id: str, metadata: dict[str, Any] | None) -> None:
        async with self._db.session() as session, session.begin():
            row = await session.get(AgentSessionRow, session_id)
            if row is not None:
                row.updated_at_ms = self._clock.now_ms()
                if metadata:
                    row.session_metadata = {**(row.session_metadata or {}), **metadata}

    async def set_access(self, session_id: str, caller_id: str, visibility: str, shared_with: list[str]) -> SessionInfo:
        if visibility not in VISIBILITIES:
            raise invalid_argument(
                f"visibility must be one of {', '.join(VISIBILITIES)}", (FieldViolation("visibility", "invalid"),)
            )
        users = sorted({u.strip() for u in shared_with if u.strip()})
        if len(users) > MAX_SHARED:
            raise invalid_argument(
                f"shared_with may list at most {MAX_SHARED} users", (FieldViolation("shared_with", "too_long"),)
            )
        await self.owned(session_id, caller_id)
        async with self._db.session() as session, session.begin():
            row = await session.get(AgentSessionRow, session_id)
            if row is None:
                raise session_not_found()
            row.visibility = visibility
            row.shared_with = users
            row.updated_at_ms = self._clock.now_ms()
        return _info(row)

    async def delete(self, session_id: str, caller_id: str) -> SessionInfo:
        info = await self.owned(session_id, caller_id)
        async with self._db.session() as session, session.begin():
            await session.execute(
                delete(AgentSessionRow).where(
                    AgentSessionRow.id == session_id, AgentSessionRow.tenant_id == self._tenant
                )
            )
        return info
