"""User accounts: e-mail, name and plan, each within one tenant.

Plans are the surface's names (ChaozCode: free, pro, team, enterprise); the
platform stores them and leaves their meaning to the surface.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from server.platform.clock import Clock
from server.platform.errors import ChorusError, FieldViolation, already_exists, invalid_argument, not_found
from server.platform.storage.database import Database
from server.platform.storage.tables import UserRow

MAX_NAME = 200
MAX_EMAIL = 320
# One "@", something before it, a dotted domain after it, no spaces: what
# every mail system accepts; anything stricter refuses real addresses.
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    tenant_id: str
    email: str
    name: str
    plan: str
    created_at_ms: int
    email_verified: bool = False


def normalized_email(email: str) -> str:
    """The address as stored (trimmed, lower case); VALIDATION_ERROR naming `email` if it is not one."""
    address = email.strip().lower()
    if len(address) > MAX_EMAIL or not _EMAIL.fullmatch(address):
        raise invalid_argument(f"'{email}' is not a valid e-mail address", (FieldViolation("email", "invalid_format"),))
    return address


def _check_name(name: str) -> str:
    if len(name) > MAX_NAME:
        raise invalid_argument(f"name must be at most {MAX_NAME} characters", (FieldViolation("name", "too_long"),))
    return name


def _email_taken(email: str) -> ChorusError:
    return already_exists(f"A user with e-mail {email} already exists", info={"field": "email"})


def _account(row: UserRow) -> Account:
    return Account(
        row.id, row.tenant_id, row.email, row.name, row.plan, row.created_at_ms, row.email_verified_at_ms is not None
    )


class UserAccounts:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def create(
        self,
        tenant_id: str,
        email: str,
        name: str,
        plan: str,
        *,
        password_hash: str | None = None,
        verified: bool = False,
    ) -> Account:
        """`password_hash`: from `passwords.hash_password`; `verified`: the address is already proved."""
        address = normalized_email(email)
        now = self._clock.now_ms()
        row = UserRow(
            id="user_" + secrets.token_hex(8),
            tenant_id=tenant_id,
            email=address,
            name=_check_name(name),
            plan=plan,
            created_at_ms=now,
            updated_at_ms=now,
            password_hash=password_hash,
            email_verified_at_ms=now if verified else None,
        )
        try:
            async with self._db.session() as session, session.begin():
                taken = await session.scalar(
                    select(UserRow.id).where(UserRow.tenant_id == tenant_id, UserRow.email == address)
                )
                if taken is not None:
                    raise _email_taken(address)
                session.add(row)
        except IntegrityError:  # a concurrent create of the same address won
            raise _email_taken(address) from None
        return _account(row)

    async def get(self, tenant_id: str, user_id: str) -> Account:
        async with self._db.session() as session:
            row = await session.get(UserRow, user_id)
        if row is None or row.tenant_id != tenant_id:
            raise not_found("User not found")
        return _account(row)

    async def update(
        self, tenant_id: str, user_id: str, *, name: str | None = None, email: str | None = None
    ) -> Account:
        """Changes the fields given (None: unchanged)."""
        address = normalized_email(email) if email is not None else None
        if name is not None:
            _check_name(name)
        try:
            async with self._db.session() as session, session.begin():
                row = await session.get(UserRow, user_id)
                if row is None or row.tenant_id != tenant_id:
                    raise not_found("User not found")
                if address is not None and address != row.email:
                    taken = await session.scalar(
                        select(UserRow.id).where(UserRow.tenant_id == tenant_id, UserRow.email == address)
                    )
                    if taken is not None:
                        raise _email_taken(address)
                    row.email = address
                if name is not None:
                    row.name = name
                row.updated_at_ms = self._clock.now_ms()
        except IntegrityError:
            raise _email_taken(address or "") from None
        return _account(row)

    async def find(self, tenant_id: str, email: str) -> tuple[Account, str | None] | None:
        """The account of the address, with its password hash; None when there is none
        (or the address is not one)."""
        try:
            address = normalized_email(email)
        except ChorusError:
            return None
        async with self._db.session() as session:
            row = await session.scalar(select(UserRow).where(UserRow.tenant_id == tenant_id, UserRow.email == address))
        if row is None:
            return None
        return _account(row), row.password_hash

    async def set_password_hash(self, tenant_id: str, user_id: str, password_hash: str) -> None:
        async with self._db.session() as session, session.begin():
            row = await session.get(UserRow, user_id)
            if row is None or row.tenant_id != tenant_id:
                raise not_found("User not found")
            row.password_hash = password_hash
            row.updated_at_ms = self._clock.now_ms()

    async def mark_verified(self, tenant_id: str, user_id: str) -> Account:
        """Records that the address is proved (once; later calls keep the first time)."""
        async with self._db.session() as session, session.begin():
            row = await session.get(UserRow, user_id)
            if row is None or row.tenant_id != tenant_id:
                raise not_found("User not found")
            if row.email_verified_at_ms is None:
                row.email_verified_at_ms = row.updated_at_ms = self._clock.now_ms()
        return _account(row)
