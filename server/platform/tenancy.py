"""Tenants and their API keys: who is calling, resolved from credentials.

A caller names its tenant with an API key (strongest), an id header, or the
Host it called. An id header or Host alone is accepted only by tenants that
allow it. Lookups are cached briefly so the hot path rarely touches storage;
a revoked key therefore stops working within `cache_ttl` seconds.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cachetools import TTLCache
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from server.config import TenantSeed
from server.platform.clock import Clock
from server.platform.errors import already_exists, invalid_argument, not_found, unauthenticated
from server.platform.storage.database import Database
from server.platform.storage.tables import ApiKeyRow, TenantHostRow, TenantRow

if TYPE_CHECKING:
    from server.platform.accounts.api_keys import KeyGrant

KEY_PREFIX = "chorus_"
# What a key that failed is compared with, and looked up by, when it matches nothing:
# failing keys then cost the same whatever is wrong with them.
_DUMMY_HASH = "0" * 64
_NO_PREFIX = "-"  # issued prefixes are 8 hex digits


@dataclass(frozen=True, slots=True)
class Tenant:
    id: str
    name: str
    allow_unauthenticated: bool
    rate_per_minute: int | None
    burst_per_second: int | None


@dataclass(frozen=True, slots=True)
class Caller:
    tenant: Tenant
    user_id: str | None  # set when an API key names a user
    # A user account's typed API key (server/platform/accounts), where one made the call.
    key: KeyGrant | None = None


@dataclass(frozen=True, slots=True)
class IssuedKey:
    id: str
    tenant_id: str
    secret: str  # shown once, never stored


def hash_key(secret: str) -> str:
    """What is stored of a high-entropy bearer secret (API keys, refresh tokens): its SHA-256, hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _split_key(secret: str) -> str | None:
    """The lookup prefix of a well-formed key, or None."""
    if not secret.startswith(KEY_PREFIX):
        return None
    body = secret[len(KEY_PREFIX) :]
    prefix, sep, rest = body.partition("_")
    return prefix if sep and len(prefix) == 8 and rest else None


# The lookups of the hot path, built once for `Database.fetch_one` (a plain
# tuple each; the ORM session costs several times the query here).
_KEY_BY_PREFIX = select(ApiKeyRow.key_hash, ApiKeyRow.revoked_at_ms, ApiKeyRow.tenant_id, ApiKeyRow.user_id).where(
    ApiKeyRow.prefix == bindparam("prefix")
)
_TENANT_BY_ID = select(
    TenantRow.id, TenantRow.name, TenantRow.allow_unauthenticated, TenantRow.rate_per_minute, TenantRow.burst_per_second
).where(TenantRow.id == bindparam("tenant_id"))
_TENANT_OF_HOST = select(TenantHostRow.tenant_id).where(TenantHostRow.host == bindparam("host"))

# Entries per cache; beyond it the least recently used go first.
_CACHE_SIZE = 10_000


class TenantService:
    def __init__(self, db: Database, clock: Clock, cache_ttl: float = 5.0) -> None:
        self._db = db
        self._clock = clock
        self._tenants: TTLCache[str, Tenant] = TTLCache(_CACHE_SIZE, cache_ttl)
        self._hosts: TTLCache[str, str | None] = TTLCache(_CACHE_SIZE, cache_ttl)  # None: no tenant has it
        self._keys: TTLCache[str, tuple[str, str | None]] = TTLCache(_CACHE_SIZE, cache_ttl)

    # --- resolution (hot path) ---

    async def resolve(self, *, tenant_id: str, api_key: str, host: str) -> Caller:
        if api_key:
            key_tenant, user_id = await self._verify_key(api_key)
            if tenant_id and not hmac.compare_digest(tenant_id, key_tenant):
                raise unauthenticated("API key does not belong to this tenant")
            tenant = await self._tenant(key_tenant)
            if tenant is None:
                raise unauthenticated("Invalid or missing API key")
            return Caller(tenant, user_id)
        if not tenant_id and host:
            tenant_id = await self._tenant_for_host(host) or ""
        if not tenant_id:
            raise unauthenticated("Missing tenant: send x-tenant-id, x-api-key or a mapped Host")
        tenant = await self._tenant(tenant_id)
        if tenant is None:
            raise unauthenticated("Unknown tenant")
        if not tenant.allow_unauthenticated:
            raise unauthenticated("Invalid or missing API key")
        return Caller(tenant, None)

    async def _verify_key(self, secret: str) -> tuple[str, str | None]:
        """Every key that fails does the same work, whatever is wrong with it: one hash,
        one lookup by prefix (a prefix no key has when it is malformed) and one
        constant-time compare (against a dummy hash when nothing matched)."""
        digest = hash_key(secret)
        cached = self._keys.get(digest)
        if cached is not None:
            return cached
        prefix = _split_key(secret) or _NO_PREFIX
        row = await self._db.fetch_one(_KEY_BY_PREFIX, {"prefix": prefix})
        expected = row[0] if row is not None else _DUMMY_HASH
        if not hmac.compare_digest(expected, digest) or row is None or row[1]:
            raise unauthenticated("Invalid or missing API key")
        result = (row[2], row[3])
        self._keys[digest] = result
        return result

    async def get(self, tenant_id: str) -> Tenant | None:
        return await self._tenant(tenant_id)

    async def _tenant(self, tenant_id: str) -> Tenant | None:
        cached = self._tenants.get(tenant_id)
        if cached is not None:
            return cached
        row = await self._db.fetch_one(_TENANT_BY_ID, {"tenant_id": tenant_id})
        tenant = Tenant(*row) if row is not None else None
        if tenant is not None:
            self._tenants[tenant_id] = tenant
        return tenant

    async def _tenant_for_host(self, host: str) -> str | None:
        host = host.rsplit(":", 1)[0].lower() if not host.startswith("[") else host.lower()
        with contextlib.suppress(KeyError):  # an entry may be None: a cached miss
            return self._hosts[host]
        tenant_id = await self._db.fetch_value(_TENANT_OF_HOST, {"host": host})
        self._hosts[host] = tenant_id
        return tenant_id

    # --- administration ---

    async def ensure_seeded(self, seeds: list[TenantSeed]) -> None:
        """Create configured tenants that do not exist yet (never overwrite)."""
        try:
            await self._seed(seeds)
        except IntegrityError:
            # Another process (a replica or worker starting at the same moment) seeded
            # the same rows first; this pass rolled back, the next finds them.
            await self._seed(seeds)

    async def seeded(self, seed: TenantSeed) -> Tenant:
        """The tenant of a one-tenant deployment (MCoS, ChittyOS), created at start if missing."""
        await self.ensure_seeded([seed])
        tenant = await self.get(seed.id)
        assert tenant is not None, "seeded above"
        return tenant

    async def _seed(self, seeds: list[TenantSeed]) -> None:
        async with self._db.session() as session, session.begin():
            for seed in seeds:
                if await session.get(TenantRow, seed.id) is None:
                    session.add(self._new_row(seed))
                    await session.flush()  # the tenant row must exist before its hosts
                    for host in seed.hosts:
                        if await session.get(TenantHostRow, host.lower()) is None:
                            session.add(TenantHostRow(host=host.lower(), tenant_id=seed.id))

    def _new_row(self, seed: TenantSeed) -> TenantRow:
        return TenantRow(
            id=seed.id,
            name=seed.name or seed.id,
            allow_unauthenticated=seed.allow_unauthenticated,
            created_at_ms=self._clock.now_ms(),
        )

    async def create_tenant(
        self,
        seed: TenantSeed,
        rate_per_minute: int | None = None,
        burst_per_second: int | None = None,
    ) -> Tenant:
        _check_tenant_id(seed.id)
        async with self._db.session() as session, session.begin():
            if await session.get(TenantRow, seed.id) is not None:
                raise already_exists(f"tenant {seed.id} exists")
            row = self._new_row(seed)
            row.rate_per_minute = rate_per_minute
            row.burst_per_second = burst_per_second
            session.add(row)
            await session.flush()  # the tenant row must exist before its hosts
            for host in seed.hosts:
                session.add(TenantHostRow(host=host.lower(), tenant_id=seed.id))
        return _to_tenant(row)

    async def list_tenants(self) -> list[Tenant]:
        async with self._db.session() as session:
            rows = await session.scalars(select(TenantRow).order_by(TenantRow.id))
            return [_to_tenant(r) for r in rows]

    async def create_api_key(self, tenant_id: str, name: str = "", user_id: str | None = None) -> IssuedKey:
        prefix = secrets.token_hex(4)
        secret = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
        key_id = "key_" + secrets.token_hex(8)
        async with self._db.session() as session, session.begin():
            if await session.get(TenantRow, tenant_id) is None:
                raise not_found(f"tenant {tenant_id} not found")
            session.add(
                ApiKeyRow(
                    id=key_id,
                    tenant_id=tenant_id,
                    prefix=prefix,
                    key_hash=hash_key(secret),
                    name=name,
                    user_id=user_id,
                    created_at_ms=self._clock.now_ms(),
                )
            )
        return IssuedKey(key_id, tenant_id, secret)

    async def revoke_api_key(self, key_id: str) -> None:
        async with self._db.session() as session, session.begin():
            row = await session.get(ApiKeyRow, key_id)
            if row is None:
                raise not_found(f"API key {key_id} not found")
            row.revoked_at_ms = self._clock.now_ms()
        self._keys.clear()


def _check_tenant_id(tenant_id: str) -> None:
    if not tenant_id or len(tenant_id) > 64 or not all(c.isalnum() or c in "-_" for c in tenant_id):
        raise invalid_argument("tenant id must be 1-64 letters, digits, '-' or '_'")


def _to_tenant(row: TenantRow) -> Tenant:
    return Tenant(
        id=row.id,
        name=row.name,
        allow_unauthenticated=row.allow_unauthenticated,
        rate_per_minute=row.rate_per_minute,
        burst_per_second=row.burst_per_second,
    )
