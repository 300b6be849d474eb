"""The ChittyOS deployment (spec 000): what its five services share, built once per process.

ChittyOS is one deployment, so every call is made for the configured
`chittyos.tenant` and every row it stores is scoped to that tenant. Its
services (id, auth, sync, ai, mcp) are five surfaces; each one's build asks
for this core, and the first ask builds it (`Platform.shared`).
"""

from __future__ import annotations

from dataclasses import dataclass

from server.config import ConfigError, Settings
from server.platform.admission.policies import FixedTenant
from server.platform.clock import Clock
from server.platform.storage.database import Database
from server.platform.surface import Platform
from server.platform.tenancy import Tenant
from server.surfaces.chittyos.auth.access_tokens import AccessTokenService, TokenPolicy
from server.surfaces.chittyos.auth.policies import AdminKey
from server.surfaces.chittyos.auth.session_store import AuthSessionStore
from server.surfaces.chittyos.auth.token_keys import TokenKeyError, load_token_keys
from server.surfaces.chittyos.settings import SETTINGS


@dataclass(frozen=True)
class ChittyOS:
    """The deployment's tenant, its token service and its admin credential."""

    tenant: Tenant
    # Every ChittyOS call is made for the deployment's tenant: each service's first policy.
    in_tenant: FixedTenant
    tokens: AccessTokenService
    admin: AdminKey


def access_tokens(settings: Settings, db: Database, clock: Clock) -> AccessTokenService:
    """The token service as configured; shared by the servers and `chorus auth token`."""
    auth = SETTINGS.of(settings).auth
    try:
        keys = load_token_keys(
            auth.algorithm, auth.jwt_secret, auth.private_key_file, auth.public_key_file, settings.data_dir
        )
    except TokenKeyError as exc:
        raise ConfigError(f"invalid configuration: {exc}") from None
    policy = TokenPolicy(auth.issuer, auth.audience, auth.default_expires_in, auth.max_expires_in)
    return AccessTokenService(keys, policy, AuthSessionStore(db), clock)


async def _build(platform: Platform) -> ChittyOS:
    settings = SETTINGS.of(platform.settings)
    tenant = await platform.tenants.seeded(settings.tenant_seed())
    return ChittyOS(
        tenant=tenant,
        in_tenant=FixedTenant(tenant),
        tokens=access_tokens(platform.settings, platform.db, platform.clock),
        admin=AdminKey(settings.auth.admin_key),
    )


async def chittyos(platform: Platform) -> ChittyOS:
    """This process's ChittyOS deployment core (built by whichever service asks first)."""
    return await platform.shared(ChittyOS, lambda: _build(platform))
