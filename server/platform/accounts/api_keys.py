"""Typed API keys of user accounts: issued once, stored as a hash plus a lookup prefix.

A key reads `<label><prefix>_<secret>`: the label says what kind of key it is
(ChaozCode: `cc_live_`, `cc_test_`), the prefix (8 hex digits) finds its row,
and the SHA-256 of the whole key is compared in constant time. Every key that
fails costs the same work (one hash, one lookup, one compare against a dummy
hash when nothing matched). A key's type names what it may do; the surface
says which types exist and what each may call (`key_access`).

Verified keys are cached for `cache_ttl` seconds: a revocation is immediate
in the process that revoked the key and takes at most that long elsewhere.
`last_used_at` is written at most once a minute per key and process.
"""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cachetools import TTLCache
from sqlalchemy import select

from server.platform.clock import Clock
from server.platform.errors import not_found, unauthenticated
from server.platform.storage.database import Database
from server.platform.storage.tables import UserApiKeyRow, UserRow
from server.platform.tenancy import hash_key

_DUMMY_HASH = "0" * 64
_NO_PREFIX = "-"  # issued prefixes are 8 hex digits
_PREFIX_DIGITS = 8
_CACHE_SIZE = 10_000
TOUCH_EVERY_MS = 60_000


@dataclass(frozen=True, slots=True)
class KeyGrant:
    """What a verified key proves: whose it is, its type and scopes, and its owner's plan."""

    key_id: str
    user_id: str
    key_type: str
    scopes: frozenset[str]
    plan: str


@dataclass(frozen=True, slots=True)
class AccountKey:
    id: str
    user_id: str
    name: str
    key_type: str
    label: str
    prefix: str
    scopes: tuple[str, ...]
    created_at_ms: int
    last_used_at_ms: int | None

    @property
    def masked(self) -> str:
        return f"{self.label}{self.prefix}_…"


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key: AccountKey
    secret: str  # shown once, never stored


def _key(row: UserApiKeyRow) -> AccountKey:
    return AccountKey(
        row.id,
        row.user_id,
        row.name,
        row.key_type,
        row.label,
        row.prefix,
        tuple(json.loads(row.scopes)),
        row.created_at_ms,
        row.last_used_at_ms,
    )


class AccountKeys:
    def __init__(self, db: Database, clock: Clock, labels: Mapping[str, str], cache_ttl: float = 5.0) -> None:
        """`labels`: key type -> what its keys begin with (e.g. "production" -> "cc_live_")."""
        self._db = db
        self._clock = clock
        self._labels = dict(labels)
        self._known_labels = tuple(sorted(set(labels.values()), key=len, reverse=True))
        self._verified: TTLCache[str, tuple[str, KeyGrant]] = TTLCache(_CACHE_SIZE, cache_ttl)
        self._touched: TTLCache[str, int] = TTLCache(_CACHE_SIZE, TOUCH_EVERY_MS / 1000)

    def _lookup_prefix(self, secret: str) -> str:
        for label in self._known_labels:
            if secret.startswith(label):
                prefix, sep, rest = secret[len(label) :].partition("_")
                if sep and rest and len(prefix) == _PREFIX_DIGITS:
                    return prefix
        return _NO_PREFIX

    async def issue(
        self, tenant_id: str, user_id: str, key_type: str, name: str = "", scopes: Iterable[str] = ()
    ) -> IssuedKey:
        label = self._labels[key_type]
        prefix = secrets.token_hex(_PREFIX_DIGITS // 2)
        secret = f"{label}{prefix}_{secrets.token_urlsafe(32)}"
        row = UserApiKeyRow(
            id="key_" + secrets.token_hex(8),
            tenant_id=tenant_id,
            user_id=user_id,
            label=label,
            prefix=prefix,
            key_hash=hash_key(secret),
            name=name,
            key_type=key_type,
            scopes=json.dumps(sorted(set(scopes))),
            created_at_ms=self._clock.now_ms(),
        )
        async with self._db.session() as session, session.begin():
            owner = await session.get(UserRow, user_id)
            if owner is None or owner.tenant_id != tenant_id:
                raise not_found("User not found")
            session.add(row)
        return IssuedKey(_key(row), secret)

    async def verify(self, tenant_id: str, secret: str) -> KeyGrant:
        """The grant of a live key of `tenant_id`; UNAUTHORIZED for anything else."""
        digest = hash_key(secret)
        cached = self._verified.get(digest)
        if cached is not None and hmac.compare_digest(cached[0], tenant_id):
            await self._touch(cached[1].key_id)
            return cached[1]
        prefix = self._lookup_prefix(secret)
        async with self._db.session() as session:
            found = (
                await session.execute(
                    select(UserApiKeyRow, UserRow.plan)
                    .join(UserRow, UserRow.id == UserApiKeyRow.user_id)
                    .where(UserApiKeyRow.prefix == prefix)
                )
            ).first()
        row, plan = (found[0], found[1]) if found is not None else (None, "")
        expected = row.key_hash if row is not None else _DUMMY_HASH
        if not hmac.compare_digest(expected, digest) or row is None or row.revoked_at_ms or row.tenant_id != tenant_id:
            raise unauthenticated("Invalid or missing API key")
        grant = KeyGrant(row.id, row.user_id, row.key_type, frozenset(json.loads(row.scopes)), plan)
        self._verified[digest] = (tenant_id, grant)
        await self._touch(row.id)
        return grant

    async def _touch(self, key_id: str) -> None:
        if key_id in self._touched:
            return
        now = self._clock.now_ms()
        self._touched[key_id] = now
        async with self._db.session() as session, session.begin():
            row = await session.get(UserApiKeyRow, key_id)
            if row is not None:
                row.last_used_at_ms = now

    async def list(self, tenant_id: str, user_id: str) -> list[AccountKey]:
        """The user's live keys, newest first."""
        async with self._db.session() as session:
            rows = await session.scalars(
                select(UserApiKeyRow)
                .where(
                    UserApiKeyRow.tenant_id == tenant_id,
                    UserApiKeyRow.user_id == user_id,
                    UserApiKeyRow.revoked_at_ms.is_(None),
                )
                .order_by(UserApiKeyRow.created_at_ms.desc(), UserApiKeyRow.id)
            )
            return [_key(r) for r in rows]

    async def revoke(self, tenant_id: str, user_id: str, key_id: str) -> int:
        """Revokes one of the user's live keys; the revocation time. Another's key is NOT_FOUND."""
        now = self._clock.now_ms()
        async with self._db.session() as session, session.begin():
            row = await session.get(UserApiKeyRow, key_id)
            if row is None or row.tenant_id != tenant_id or row.user_id != user_id or row.revoked_at_ms:
                raise not_found(f"API key {key_id} not found")
            row.revoked_at_ms = now
        self._verified.clear()
        return now
