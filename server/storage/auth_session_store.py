"""Token sessions: created at mint, looked up on every verify, revoked as a whole."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, bindparam, insert, select, update

from server.storage.database import Database
from server.storage.tables import AuthSessionRow

_sessions = cast(Table, AuthSessionRow.__table__)
# Bind names differ from column names: UPDATE reserves those for its SET clause.
_KEY = (_sessions.c.tenant_id == bindparam("tenant"), _sessions.c.id == bindparam("session"))
_GET = select(_sessions.c.subject, _sessions.c.revoked_at_ms).where(*_KEY)
_REVOKE = update(_sessions).where(*_KEY).values(revoked_at_ms=bindparam("now"))


@dataclass(frozen=True, slots=True)
class AuthSession:
    subject: str
    revoked: bool


class AuthSessionStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, tenant_id: str, session_id: str) -> AuthSession | None:
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(_GET, {"tenant": tenant_id, "session": session_id})).first()
        return None if row is None else AuthSession(row.subject, row.revoked_at_ms is not None)

    async def create_or_join(self, tenant_id: str, session_id: str, subject: str, now_ms: int) -> AuthSession:
        """The session as it stands after this call: created if new, else as stored (the caller checks it)."""
        params = {"tenant": tenant_id, "session": session_id}
        async with self._db.write() as conn:
            row = (await conn.execute(_GET, params)).first()
            if row is not None:
                return AuthSession(row.subject, row.revoked_at_ms is not None)
            await conn.execute(
                insert(_sessions).values(tenant_id=tenant_id, id=session_id, subject=subject, created_at_ms=now_ms)
            )
        return AuthSession(subject, False)

    async def revoke(self, tenant_id: str, session_id: str, now_ms: int) -> bool:
        """Revokes the session; False when it does not exist. Revoking twice keeps the first time."""
        async with self._db.write() as conn:
            row = (await conn.execute(_GET, {"tenant": tenant_id, "session": session_id})).first()
            if row is None:
                return False
            if row.revoked_at_ms is None:
                await conn.execute(_REVOKE, {"tenant": tenant_id, "session": session_id, "now": now_ms})
        return True
