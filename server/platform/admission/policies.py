"""The policies a call can pass through: tenant resolution and rate limits."""

from __future__ import annotations

import math
import time
from typing import Protocol

import grpc
from limits import RateLimitItem, RateLimitItemPerMinute, RateLimitItemPerSecond

from rest_bridge.dialects.base import DEFAULT_RATE_LIMIT_HEADERS, RateLimitHeaders
from rest_bridge.method_rules import MethodRule
from server.config import RateLimitSettings
from server.platform.admission.call import CallInfo
from server.platform.admission.key_failures import KeyFailures
from server.platform.admission.rate_limit import RateDecision, RateLimiter, rate_headers
from server.platform.admission.rules import access_of, enforced_by, rate_limit_demand
from server.platform.errors import ChorusError
from server.platform.tenancy import Caller, Tenant, TenantService


class Policy(Protocol):
    async def __call__(self, call: CallInfo) -> None: ...


class ResolveTenant:
    """Sets `call.caller` from x-api-key, x-tenant-id or the forwarded Host.

    An API key is checked only while its client address is not locked out
    (`KeyFailures`), and one that fails counts against that address."""

    def __init__(self, tenants: TenantService, key_failures: KeyFailures) -> None:
        self._tenants = tenants
        self._key_failures = key_failures

    def enforces(self, rule: MethodRule) -> set[str]:
        return access_of(rule) if rule.access.authenticated else set()

    async def __call__(self, call: CallInfo) -> None:
        md = call.metadata
        api_key = md.get("x-api-key", "").strip()
        if api_key:
            await self._key_failures.check(call)
        try:
            call.caller = await self._tenants.resolve(
                tenant_id=md.get("x-tenant-id", "").strip(),
                api_key=api_key,
                host=md.get("x-forwarded-host", ""),
            )
        except ChorusError:
            if api_key:
                await self._key_failures.failed(call)
            raise


def rate_limited(decision: RateDecision) -> ChorusError:
    return ChorusError(
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        "RATE_LIMITED",
        "Rate limit exceeded",
        retry_after=float(decision.retry_after),
    )


class TenantRateLimit:
    """Per-tenant limits keyed `tenant:user:ip`, with the headers on every response.

    Runs `identify` (tenant resolution) itself for methods that are not public,
    so a request it refuses is counted too, under its client address alone and
    the default limits: the 401 carries the headers as well, and a flood of bad
    credentials meets 429s. Any 429 reports no room and its wait: `remaining` 0,
    `retry-after`, and `reset` at the end of that wait. Only methods whose rule
    has a `rate_limit` are counted; one keyed by a request field counts per
    value of that field (and method, and tenant), whoever sends it."""

    def __init__(
        self,
        limiter: RateLimiter,
        defaults: RateLimitSettings,
        identify: Policy,
        headers: RateLimitHeaders = DEFAULT_RATE_LIMIT_HEADERS,
    ) -> None:
        """`headers`: the names the surface's dialect reports limits under."""
        self._limiter = limiter
        self._headers = headers
        self._defaults = defaults
        self._identify = identify
        self._windows: dict[tuple[int, int], tuple[RateLimitItem, ...]] = {}

    def enforces(self, rule: MethodRule) -> set[str]:
        found = enforced_by((self._identify,), rule)
        demand = rate_limit_demand(rule)
        return found | {demand} if demand else found

    def _windows_for(self, per_minute: int, per_second: int) -> tuple[RateLimitItem, ...]:
        key = (per_minute, per_second)
        if key not in self._windows:
            self._windows[key] = (RateLimitItemPerMinute(per_minute), RateLimitItemPerSecond(per_second))
        return self._windows[key]

    async def __call__(self, call: CallInfo) -> None:
        limit = call.rule.rate_limit
        if call.rule.access.public:
            if limit is not None:
                windows = self._windows_for(self._defaults.per_minute, self._defaults.burst_per_second)
                await self._count(call, self._key(call, "public", f"anonymous:{call.client_ip}"), windows)
            return
        try:
            await self._identify(call)
        except ChorusError as refusal:
            if limit is None:
                raise
            windows = self._windows_for(self._defaults.per_minute, self._defaults.burst_per_second)
            await self._count(call, f"unidentified:{call.client_ip}", windows)
            if refusal.retry_after is not None:  # a refusal with a wait of its own (a lockout)
                wait = max(1, math.ceil(refusal.retry_after))
                locked = RateDecision(False, windows[0].amount, 0, math.ceil(time.time()) + wait, wait)
                call.response_headers.update(rate_headers(locked, self._headers))
            raise
        assert call.caller is not None, "identify sets the caller"
        if limit is None:
            return
        tenant = call.caller.tenant
        windows = self._windows_for(
            tenant.rate_per_minute or self._defaults.per_minute,
            tenant.burst_per_second or self._defaults.burst_per_second,
        )
        caller = f"{call.caller.user_id or 'anonymous'}:{call.client_ip}"
        await self._count(call, self._key(call, tenant.id, caller), windows)

    @staticmethod
    def _key(call: CallInfo, tenant_id: str, caller: str) -> str:
        """`tenant:caller`, or, for a limit keyed by a request field, that field's value
        within the method and tenant (so many calls per e-mail address, whoever sends them)."""
        limit = call.rule.rate_limit
        if limit is None or not limit.key_field:
            return f"{tenant_id}:{caller}"
        value = getattr(call.request, limit.key_field, "") if call.request is not None else ""
        return f"{tenant_id}:{call.method}:{limit.key_field}={value}"

    async def _count(self, call: CallInfo, key: str, windows: tuple[RateLimitItem, ...]) -> None:
        decision = await self._limiter.hit(key, windows)
        call.response_headers.update(rate_headers(decision, self._headers))
        if not decision.allowed:
            raise rate_limited(decision)


class FixedTenant:
    """Sets `call.caller` to one configured tenant: for single-deployment surfaces (ChittyOS)."""

    def __init__(self, tenant: Tenant) -> None:
        self._caller = Caller(tenant, None)

    async def __call__(self, call: CallInfo) -> None:
        call.caller = self._caller
