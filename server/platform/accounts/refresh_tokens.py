"""Refresh tokens with rotation and reuse detection (OAuth 2.0 Security BCP, section 4.14).

A token reads `<id>.<secret>`; only a SHA-256 of the whole token is stored.
Each sign-in starts a family; each refresh marks the presented token rotated
and issues its successor in the same family. Presenting a rotated token again
means it leaked (the thief or the user refreshed already): the whole family
is revoked, so neither party keeps a working token.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import update

from server.platform.clock import Clock
from server.platform.errors import unauthenticated
from server.platform.storage.database import Database
from server.platform.storage.tables import RefreshTokenRow
from server.platform.tenancy import hash_key

_DUMMY_HASH = "0" * 64


@dataclass(frozen=True, slots=True)
class Refreshed:
    user_id: str
    token: str  # the successor, shown once


class RefreshTokens:
    def __init__(self, db: Database, clock: Clock, lifetime_ms: int) -> None:
        self._db = db
        self._clock = clock
        self._lifetime_ms = lifetime_ms

    def _new_row(self, tenant_id: str, user_id: str, family_id: str) -> tuple[RefreshTokenRow, str]:
        token_id = "rt_" + secrets.token_hex(10)
        token = f"{token_id}.{secrets.token_urlsafe(32)}"
        now = self._clock.now_ms()
        row = RefreshTokenRow(
            id=token_id,
            tenant_id=tenant_id,
            user_id=user_id,
            family_id=family_id,
            token_hash=hash_key(token),
            created_at_ms=now,
            expires_at_ms=now + self._lifetime_ms,
        )
        return row, token

    async def issue(self, tenant_id: str, user_id: str) -> str:
        """The first token of a new family (a sign-in)."""
        row, token = self._new_row(tenant_id, user_id, "fam_" + secrets.token_hex(10))
        async with self._db.session() as session, session.begin():
            session.add(row)
        return token

    async def rotate(self, tenant_id: str, token: str) -> Refreshed:
        """The successor of a live token; UNAUTHORIZED otherwise, revoking the family on reuse."""
        token_id = token.partition(".")[0]
        now = self._clock.now_ms()
        reused = False
        async with self._db.session() as session, session.begin():
            row = await session.get(RefreshTokenRow, token_id, with_for_update=True) if token_id else None
            expected = row.token_hash if row is not None else _DUMMY_HASH
            if not hmac.compare_digest(expected, hash_key(token)) or row is None or row.tenant_id != tenant_id:
                raise unauthenticated("Invalid refresh token")
            if row.rotated_at_ms is not None and row.revoked_at_ms is None:
                reused = True
                await session.execute(
                    update(RefreshTokenRow)
                    .where(RefreshTokenRow.family_id == row.family_id, RefreshTokenRow.revoked_at_ms.is_(None))
                    .values(revoked_at_ms=now)
                )
            elif row.revoked_at_ms is not None or row.expires_at_ms <= now:
                raise unauthenticated("Invalid refresh token")
            else:
                # Marked only if still unspent: of two refreshes racing with one token, one wins
                # and the other is reuse (on SQLite too, where FOR UPDATE locks nothing).
                spent = await session.execute(
                    update(RefreshTokenRow)
                    .where(RefreshTokenRow.id == row.id, RefreshTokenRow.rotated_at_ms.is_(None))
                    .values(rotated_at_ms=now)
                    .execution_options(synchronize_session=False)
                )
                if spent.rowcount != 1:  # type: ignore[attr-defined]
                    reused = True
                    await session.execute(
                        update(RefreshTokenRow)
                        .where(RefreshTokenRow.family_id == row.family_id, RefreshTokenRow.revoked_at_ms.is_(None))
                        .values(revoked_at_ms=now)
                    )
                else:
                    successor, secret = self._new_row(tenant_id, row.user_id, row.family_id)
                    session.add(successor)
                    user_id = row.user_id
        if reused:  # raised after the commit, so the revocation stands
            raise unauthenticated("Refresh token reuse detected; every session of this sign-in is revoked")
        return Refreshed(user_id, secret)

    async def revoke_user(self, tenant_id: str, user_id: str) -> None:
        """Revokes every live token of the user (a password reset)."""
        async with self._db.session() as session, session.begin():
            await session.execute(
                update(RefreshTokenRow)
                .where(
                    RefreshTokenRow.tenant_id == tenant_id,
                    RefreshTokenRow.user_id == user_id,
                    RefreshTokenRow.revoked_at_ms.is_(None),
                )
                .values(revoked_at_ms=self._clock.now_ms())
            )
