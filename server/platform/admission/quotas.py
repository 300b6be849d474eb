"""Per-principal quotas: named windows a surface declares, taken per call or per unit.

A quota is a name, a window and how a refusal names it. Admission policies
take them for RPCs, with `X-RateLimit-*` headers (`quota_policy`); work done
inside a call (an agent's tools, its model tokens) takes and spends them too.

A use is paid for work done: it is taken before the work (so a used-up quota
refuses first) and given back when the work fails (`give_back`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import grpc
from limits import RateLimitItem

from rest_bridge.dialects.base import DEFAULT_RATE_LIMIT_HEADERS, RateLimitHeaders
from server.platform.admission.rate_limit import RateDecision, RateLimiter, rate_headers
from server.platform.errors import ChorusError


@dataclass(frozen=True)
class Quota:
    name: str
    window: RateLimitItem
    # How a refusal names the limit: "Rate limit exceeded: 10 flight searches per day".
    label: str
    # A moving window counts calls one at a time (a per-minute limit); otherwise a
    # fixed window counts units (`cost`), can be checked and spent after the fact.
    moving: bool = False


class Quotas:
    """A surface's quotas, counted per principal under `namespace`; a refusal is
    RESOURCE_EXHAUSTED with the surface's `refusal_reason` and `{"quota": name}`."""

    def __init__(
        self,
        limiter: RateLimiter,
        quotas: Sequence[Quota],
        namespace: str,
        refusal_reason: str,
        headers: RateLimitHeaders = DEFAULT_RATE_LIMIT_HEADERS,
    ) -> None:
        """`headers`: the names the surface's dialect reports quotas under."""
        self.headers = headers
        self._limiter = limiter
        self._namespace = namespace
        self._quotas = {quota.name: quota for quota in quotas}
        self.refusal_reason = refusal_reason

    def counts(self, name: str, *, checked: bool = False) -> bool:
        """Whether `name` is one of these quotas (`checked`: one that can be checked before it is spent)."""
        quota = self._quotas.get(name)
        return quota is not None and not (checked and quota.moving)

    def _key(self, quota: Quota, principal: str) -> str:
        return f"{self._namespace}:{quota.name}:{principal}"

    def _refused(self, quota: Quota, decision: RateDecision) -> ChorusError:
        return ChorusError(
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            self.refusal_reason,
            f"Rate limit exceeded: {decision.limit} {quota.label}",
            retry_after=float(decision.retry_after),
            info={"quota": quota.name},
            headers=rate_headers(decision, self.headers),
        )

    def _fixed(self, name: str, use: str) -> Quota:
        quota = self._quotas[name]
        if quota.moving:
            raise ValueError(f"{use}() is for fixed-window quotas, not {name}")
        return quota

    async def take(self, name: str, principal: str, cost: int = 1) -> RateDecision:
        """Counts one use (or `cost`); raises the refusal, counting nothing, when over."""
        quota = self._quotas[name]
        key = self._key(quota, principal)
        if quota.moving:
            decision = await self._limiter.hit(key, (quota.window,))
        else:
            decision = await self._limiter.take(key, quota.window, cost)
        if not decision.allowed:
            raise self._refused(quota, decision)
        return decision

    async def give_back(self, decision: RateDecision) -> None:
        """Uncounts what `take` counted, for a call that ended without doing its work."""
        if decision.hold is not None:
            await self._limiter.give_back(decision.hold)

    async def check(self, name: str, principal: str) -> RateDecision:
        """Raises the refusal when a fixed-window quota is used up; counts nothing."""
        quota = self._fixed(name, "check")
        decision = await self._limiter.peek(self._key(quota, principal), quota.window)
        if not decision.allowed:
            raise self._refused(quota, decision)
        return decision

    async def spend(self, name: str, principal: str, cost: int) -> None:
        """Counts usage known only after the fact (model tokens); never refuses."""
        quota = self._fixed(name, "spend")
        await self._limiter.spend(self._key(quota, principal), quota.window, cost)
