"""One-time codes mailed to a user (e-mail verification, password reset).

A code is 6 random digits, stored as an HMAC-SHA-256 under a server key
(never in clear). It expires, allows a limited number of wrong guesses, and
is used once; issuing a new code for the same purpose retires the older ones.
Guesses are counted against the user's newest live code, so guessing past the
limit burns it whatever the guesses were.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select, update

from server.platform.clock import Clock
from server.platform.storage.database import Database
from server.platform.storage.tables import AccountCodeRow

VERIFY_EMAIL = "verify_email"
PASSWORD_RESET = "password_reset"
DIGITS = 6


class AccountCodes:
    def __init__(self, db: Database, clock: Clock, key: bytes, lifetime_ms: int, attempts: int) -> None:
        self._db = db
        self._clock = clock
        self._key = key
        self._lifetime_ms = lifetime_ms
        self._attempts = attempts

    def _digest(self, code: str) -> str:
        return hmac.new(self._key, code.encode(), hashlib.sha256).hexdigest()

    async def issue(self, tenant_id: str, user_id: str, purpose: str) -> str:
        """A new code (returned once, to be mailed); the user's older codes of `purpose` stop working."""
        code = f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"
        now = self._clock.now_ms()
        async with self._db.session() as session, session.begin():
            await session.execute(
                update(AccountCodeRow)
                .where(
                    AccountCodeRow.user_id == user_id,
                    AccountCodeRow.purpose == purpose,
                    AccountCodeRow.used_at_ms.is_(None),
                )
                .values(used_at_ms=now)
            )
            session.add(
                AccountCodeRow(
                    id="code_" + secrets.token_hex(8),
                    tenant_id=tenant_id,
                    user_id=user_id,
                    purpose=purpose,
                    code_hash=self._digest(code),
                    attempts=0,
                    created_at_ms=now,
                    expires_at_ms=now + self._lifetime_ms,
                )
            )
        return code

    async def redeem(self, tenant_id: str, user_id: str, purpose: str, code: str) -> bool:
        """True, once, for the user's live code; a wrong guess counts against it."""
        now = self._clock.now_ms()
        async with self._db.session() as session, session.begin():
            row = await session.scalar(
                select(AccountCodeRow)
                .where(
                    AccountCodeRow.tenant_id == tenant_id,
                    AccountCodeRow.user_id == user_id,
                    AccountCodeRow.purpose == purpose,
                    AccountCodeRow.used_at_ms.is_(None),
                )
                .order_by(AccountCodeRow.created_at_ms.desc())
                .limit(1)
                .with_for_update()
            )
            if row is None or row.expires_at_ms <= now or row.attempts >= self._attempts:
                return False
            if hmac.compare_digest(row.code_hash, self._digest(code.strip())):
                row.used_at_ms = now
                return True
            row.attempts += 1
            return False
