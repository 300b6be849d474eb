"""The policies a call can pass through: tenant resolution and rate limits."""

from __future__ import annotations

from typing import Protocol

import grpc
from limits import RateLimitItem, RateLimitItemPerMinute, RateLimitItemPerSecond

from server.config import RateLimitSettings
from server.domain.tenancy import Caller, Tenant, TenantService
from server.errors import ChorusError
from server.pipeline.call import CallInfo
from server.pipeline.rate_limit import RateLimiter


class Policy(Protocol):
    async def __call__(self, call: CallInfo) -> None: ...


class ResolveTenant:
    """Sets `call.caller` from x-api-key, x-tenant-id or the forwarded Host."""

    def __init__(self, tenants: TenantService) -> None:
        self._tenants = tenants

    async def __call__(self, call: CallInfo) -> None:
        md = call.metadata
        call.caller = await self._tenants.resolve(
            tenant_id=md.get("x-tenant-id", "").strip(),
            api_key=md.get("x-api-key", "").strip(),
            host=md.get("x-forwarded-host", ""),
        )


class TenantRateLimit:
    """Per-tenant limits keyed `tenant:user:ip`; headers on every response."""

    def __init__(self, limiter: RateLimiter, defaults: RateLimitSettings) -> None:
        self._limiter = limiter
        self._defaults = defaults
        self._windows: dict[tuple[int, int], tuple[RateLimitItem, ...]] = {}

    def _windows_for(self, per_minute: int, per_second: int) -> tuple[RateLimitItem, ...]:
        key = (per_minute, per_second)
        if key not in self._windows:
            self._windows[key] = (RateLimitItemPerMinute(per_minute), RateLimitItemPerSecond(per_second))
        return self._windows[key]

    async def __call__(self, call: CallInfo) -> None:
        assert call.caller is not None, "ResolveTenant must run first"
        tenant = call.caller.tenant
        windows = self._windows_for(
            tenant.rate_per_minute or self._defaults.per_minute,
            tenant.burst_per_second or self._defaults.burst_per_second,
        )
        key = f"{tenant.id}:{call.caller.user_id or 'anonymous'}:{call.client_ip}"
        decision = await self._limiter.hit(key, windows)
        headers = call.response_headers
        headers["x-ratelimit-limit"] = str(decision.limit)
        headers["x-ratelimit-remaining"] = str(decision.remaining)
        headers["x-ratelimit-reset"] = str(decision.reset_epoch)
        if not decision.allowed:
            headers["retry-after"] = str(decision.retry_after)
            raise ChorusError(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                "RATE_LIMITED",
                "Rate limit exceeded",
                retry_after=float(decision.retry_after),
            )


class FixedTenant:
    """Sets `call.caller` to one configured tenant: for single-deployment surfaces (ChittyOS)."""

    def __init__(self, tenant: Tenant) -> None:
        self._caller = Caller(tenant, None)

    async def __call__(self, call: CallInfo) -> None:
        call.caller = self._caller
