"""ChaozCode's admission: the API key names the caller, its type decides, its plan limits.

In order: `Authorization: Bearer <key>` must be a live key of the deployment's
tenant (a client address that keeps sending wrong keys is locked out for a
while); the key's type must allow the method (its rule's permission); then
the call counts against the key's plan. A caller without a valid key is
counted per client address, so its 401 carries the rate-limit headers too; a
403 carries them without counting. Every admitted call adds one to the user's
persisted usage of its endpoint.
"""

from __future__ import annotations

from rest_bridge.method_rules import MethodRule
from server.platform.accounts.api_keys import AccountKeys
from server.platform.accounts.key_access import KeyTypes
from server.platform.admission.call import CallInfo
from server.platform.admission.credentials import bearer_credential
from server.platform.admission.key_failures import KeyFailures
from server.platform.admission.rules import access_of, rate_limit_demand
from server.platform.clock import Clock
from server.platform.errors import ChorusError, unauthenticated
from server.platform.tenancy import Caller, Tenant
from server.surfaces.chaozcode.plan_limits import PlanLimiter
from server.surfaces.chaozcode.usage import UsageStore

HOW_TO_SEND = "Include Authorization: Bearer YOUR_API_KEY"


class ChaozCodeAdmission:
    def __init__(
        self,
        keys: AccountKeys,
        tenant: Tenant,
        key_failures: KeyFailures,
        key_types: KeyTypes,
        limits: PlanLimiter,
        usage: UsageStore,
        clock: Clock,
    ) -> None:
        self._usage = usage
        self._clock = clock
        self._keys = keys
        self._tenant = tenant
        self._key_failures = key_failures
        self._key_types = key_types
        self._limits = limits

    def enforces(self, rule: MethodRule) -> set[str]:
        out: set[str] = set()
        if rule.access.authenticated or rule.access.permission in self._key_types.permissions():
            out |= access_of(rule)
        demand = rate_limit_demand(rule)
        if demand and rule.rate_limit is not None and not rule.rate_limit.key_field:
            out.add(demand)
        return out

    async def _identify(self, call: CallInfo) -> Caller:
        secret = bearer_credential(call.metadata)
        if not secret:
            raise unauthenticated(f"Missing API key. {HOW_TO_SEND}", reason="UNAUTHORIZED")
        await self._key_failures.check(call)
        try:
            grant = await self._keys.verify(self._tenant.id, secret)
        except ChorusError:
            await self._key_failures.failed(call)
            raise unauthenticated("Invalid API key", reason="UNAUTHORIZED") from None
        return Caller(self._tenant, grant.user_id, grant)

    async def __call__(self, call: CallInfo) -> None:
        limited = call.rule.rate_limit is not None
        try:
            call.caller = await self._identify(call)
        except ChorusError:
            if limited:
                await self._limits.hit_unidentified(call)
            raise
        grant = call.caller.key
        assert grant is not None, "identified by a key"
        try:
            self._key_types.check(call, grant)
        except ChorusError:
            if limited:
                await self._limits.report(call, grant)
            raise
        if limited:
            await self._limits.hit(call, grant)
        # An admitted call is an API call, whatever comes of it.
        endpoint = next(iter(self._key_types.endpoints_of(call.method)), call.method)
        await self._usage.add(self._tenant.id, grant.user_id, self._clock.now_ms(), endpoint)
