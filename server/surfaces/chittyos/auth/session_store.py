"""Token sessions: created at mint, looked up on every verify, revoked as a whole.

Creating is INSERT ... ON CONFLICT DO NOTHING and revoking a conditional
UPDATE, so concurrent mints into one new session all join it and concurrent
revocations keep the first time, on PostgreSQL (where writers run at once) too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, bindparam, select, update

from server.platform.storage.database import Database, upsert_insert
from server.surfaces.chittyos.auth.tables import AuthSessionRow

_sessions = cast(Table, AuthSessionRow.__table__)
# Bind names differ from column names: UPDATE reserves those for its SET clause.
_KEY = (_sessions.c.tenant_id == bindparam("tenant"), _sessions.c.id == bindparam("session"))
_GET = select(_sessions.c.subject, _sessions.c.revoked_at_ms).where(*_KEY)
_REVOKE = update(_sessions).where(*_KEY, _sessions.c.revoked_at_ms.is_(None)).values(revoked_at_ms=bindparam("now"))


@dataclass(frozen=True, slots=True)
class AuthSession:
    subject: str
    revoked: bool


class AuthSessionStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        insert_for = upsert_insert(db.dialect)
        self._create = (
            insert_for(_sessions)
            .values(
                tenant_id=bindparam("tenant"),
                id=bindparam("session"),
                subject=bindparam("subject"),
                created_at_ms=bindparam("now"),
            )
            .on_conflict_do_nothing(index_elements=["tenant_id", "id"])
        )

    async def get(self, tenant_id: str, session_id: str) -> AuthSession | None:
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(_GET, {"tenant": tenant_id, "session": session_id})).first()
        return None if row is None else AuthSession(row.subject, row.revoked_at_ms is not None)

    async def create_or_join(self, tenant_id: str, session_id: str, subject: str, now_ms: int) -> AuthSession:
        """The session as it stands after this call: created if new, else as stored (the caller checks it)."""
        params = {"tenant": tenant_id, "session": session_id, "subject": subject, "now": now_ms}
        async with self._db.write() as conn:
            # A conflicting insert waits for the other writer's commit, so the read sees its row.
            await conn.execute(self._create, params)
            row = (await conn.execute(_GET, params)).one()
        return AuthSession(row.subject, row.revoked_at_ms is not None)

    async def revoke(self, tenant_id: str, session_id: str, now_ms: int) -> bool:
        """Revokes the session; False when it does not exist. Revoking twice keeps the first time."""
        params = {"tenant": tenant_id, "session": session_id, "now": now_ms}
        async with self._db.write() as conn:
            if (await conn.execute(_REVOKE, params)).rowcount:
                return True
            return (await conn.execute(_GET, params)).first() is not None
