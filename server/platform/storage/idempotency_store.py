"""Idempotency keys: claimed atomically, completed with the response, released on failure.

One row per (tenant, principal, key). Claiming is an INSERT ... ON CONFLICT DO
NOTHING, so of any number of concurrent requests (in any process) exactly one
holds the key; the others read what is there. Every change after the claim
names the holder's `claim_id`, so a holder whose abandoned claim was taken
over can no longer overwrite or delete the new holder's row.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, delete, or_, select, tuple_, update

from server.platform.storage.database import Database, upsert_insert
from server.platform.storage.tables import IdempotencyKeyRow

_keys = cast(Table, IdempotencyKeyRow.__table__)
_LENGTH = struct.Struct(">I")
# A claim can vanish between a failed insert and the read (its holder released
# it); claiming again then succeeds, so a couple of rounds always settle it.
_CLAIM_ROUNDS = 3


@dataclass(frozen=True, slots=True)
class KeyScope:
    """Whose key it is: keys of different principals never meet."""

    tenant_id: str
    principal: str
    key: str


@dataclass(frozen=True, slots=True)
class HeldKey:
    """A key someone else holds: the request it was claimed for and, once done, its response."""

    fingerprint: str
    messages: list[bytes] | None  # None while its holder is still running


# Bind names differ from column names: UPDATE reserves those for its SET clause.
_IS_KEY = (
    _keys.c.tenant_id == bindparam("k_tenant"),
    _keys.c.principal == bindparam("k_principal"),
    _keys.c.key == bindparam("k_key"),
)
_IS_HOLDER = (*_IS_KEY, _keys.c.claim_id == bindparam("k_claim"))
_READ = select(_keys.c.fingerprint, _keys.c.completed_at_ms, _keys.c.response).where(*_IS_KEY)
# An expired key is new again; a running claim older than the lease was abandoned.
_TAKE_OVER = (
    update(_keys)
    .where(
        *_IS_KEY,
        or_(
            _keys.c.expires_at_ms <= bindparam("k_now"),
            and_(_keys.c.completed_at_ms.is_(None), _keys.c.started_at_ms <= bindparam("k_stale_before")),
        ),
    )
    .values(
        fingerprint=bindparam("k_fingerprint"),
        claim_id=bindparam("k_claim"),
        started_at_ms=bindparam("k_now"),
        expires_at_ms=bindparam("k_expires"),
        completed_at_ms=None,
        response=None,
    )
)
_COMPLETE = (
    update(_keys)
    .where(*_IS_HOLDER, _keys.c.completed_at_ms.is_(None))
    .values(completed_at_ms=bindparam("k_now"), response=bindparam("k_response"))
)
_RELEASE = delete(_keys).where(*_IS_HOLDER, _keys.c.completed_at_ms.is_(None))
_PRIMARY_KEY = tuple_(_keys.c.tenant_id, _keys.c.principal, _keys.c.key)
_PURGE = delete(_keys).where(
    _PRIMARY_KEY.in_(
        select(_keys.c.tenant_id, _keys.c.principal, _keys.c.key)
        .where(_keys.c.expires_at_ms <= bindparam("k_now"))
        .limit(bindparam("k_limit"))
    )
)


def _held(row: tuple[Any, ...]) -> HeldKey:
    fingerprint, completed_at_ms, response = row
    return HeldKey(fingerprint, decode_messages(response or b"") if completed_at_ms is not None else None)


def _key_params(scope: KeyScope) -> dict[str, Any]:
    return {"k_tenant": scope.tenant_id, "k_principal": scope.principal, "k_key": scope.key}


def encode_messages(messages: Sequence[bytes]) -> bytes:
    """Serialized messages, each prefixed with its length (4 bytes, big-endian)."""
    return b"".join(_LENGTH.pack(len(m)) + m for m in messages)


def decode_messages(blob: bytes) -> list[bytes]:
    out: list[bytes] = []
    at = 0
    while at < len(blob):
        (size,) = _LENGTH.unpack_from(blob, at)
        at += _LENGTH.size
        out.append(blob[at : at + size])
        at += size
    return out


class IdempotencyStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        insert_for = upsert_insert(db.dialect)
        self._insert = (
            insert_for(_keys)
            .values(
                tenant_id=bindparam("k_tenant"),
                principal=bindparam("k_principal"),
                key=bindparam("k_key"),
                fingerprint=bindparam("k_fingerprint"),
                claim_id=bindparam("k_claim"),
                started_at_ms=bindparam("k_now"),
                expires_at_ms=bindparam("k_expires"),
                completed_at_ms=None,
                response=None,
            )
            .on_conflict_do_nothing(index_elements=["tenant_id", "principal", "key"])
        )

    async def claim(
        self, scope: KeyScope, fingerprint: str, claim_id: str, now_ms: int, ttl_ms: int, lease_ms: int
    ) -> HeldKey | None:
        """Takes the key for `claim_id` and returns None, or returns the live key someone holds."""
        params = {
            **_key_params(scope),
            "k_fingerprint": fingerprint,
            "k_claim": claim_id,
            "k_now": now_ms,
            "k_expires": now_ms + ttl_ms,
            "k_stale_before": now_ms - lease_ms,
        }
        # Write first: most keyed requests are new, and then this is the only statement.
        for _ in range(_CLAIM_ROUNDS):
            async with self._db.transaction() as tx:
                if await tx.execute(self._insert, params) == 1:
                    return None
                if await tx.execute(_TAKE_OVER, params) == 1:
                    return None
                row = await tx.fetch_one(_READ, params)
            if row is not None:
                return _held(row)
        # Claimed and released again on every round: treat it as still in use.
        return HeldKey(fingerprint, None)

    async def complete(self, scope: KeyScope, claim_id: str, messages: Sequence[bytes], now_ms: int) -> bool:
        """Stores the response; False when the claim is no longer this holder's."""
        params = {**_key_params(scope), "k_claim": claim_id, "k_now": now_ms, "k_response": encode_messages(messages)}
        async with self._db.transaction() as tx:
            return await tx.execute(_COMPLETE, params) == 1

    async def release(self, scope: KeyScope, claim_id: str) -> bool:
        """Deletes a running claim so the key can be used again; False when it is not this holder's."""
        async with self._db.transaction() as tx:
            return await tx.execute(_RELEASE, {**_key_params(scope), "k_claim": claim_id}) == 1

    async def purge_expired(self, now_ms: int, limit: int) -> int:
        """Deletes up to `limit` expired keys (of every principal: this is maintenance)."""
        async with self._db.transaction() as tx:
            return await tx.execute(_PURGE, {"k_now": now_ms, "k_limit": limit})
