"""Rate limits by plan, per API key (spec 001, "Rate Limits"), on the `limits` library.

A plan allows `per_minute` requests sustained, up to `burst` in any one
minute, and `per_day` (fixed window; none on Enterprise). The burst is a token
bucket drawn as two moving windows: `burst` per minute, and `per_minute * N`
per N minutes (N = burst / per_minute, rounded up), so a client may spend its
burst at once and then averages `per_minute`. Development keys get the
development limits whatever the plan.

Headers on every response: `X-RateLimit-Limit` is the plan's per-minute rate,
`X-RateLimit-Remaining` how many requests would pass now (the burst included,
so it can exceed the limit on a rested key), `X-RateLimit-Reset` when the
window that leaves the fewest frees up. A refusal (429 `RATE_LIMITED`) adds
`X-RateLimit-RetryAfter` and `Retry-After`, and counts nothing in any window.
On Redis every count is one atomic step shared by all replicas.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import grpc
from limits import RateLimitItem, RateLimitItemPerDay, RateLimitItemPerMinute

from rest_bridge.dialects.base import RateLimitHeaders
from server.platform.accounts.api_keys import KeyGrant
from server.platform.admission.call import CallInfo
from server.platform.admission.rate_limit import RateDecision, RateLimiter, rate_headers
from server.platform.errors import ChorusError
from server.surfaces.chaozcode.settings import ChaozCodeSettings, PlanLimits

RATE_LIMITED = "RATE_LIMITED"
DEVELOPMENT = "development"


@dataclass(frozen=True, slots=True)
class PlanWindows:
    per_minute: int
    # (sustained, burst), or one where they are the same: moving windows, counted together.
    moving: tuple[RateLimitItem, ...]
    day: RateLimitItem | None

    @classmethod
    def of(cls, limits: PlanLimits) -> PlanWindows:
        minutes = max(1, math.ceil(limits.burst / limits.per_minute))
        sustained = RateLimitItemPerMinute(limits.per_minute * minutes, minutes)
        burst = RateLimitItemPerMinute(limits.burst, 1)
        day = RateLimitItemPerDay(limits.per_day) if limits.per_day else None
        # Equal windows would share one counter (`limits` keys them by amount and length).
        moving = (sustained,) if sustained == burst else (sustained, burst)
        return cls(limits.per_minute, moving, day)


def _refused(windows: PlanWindows, retry_after: int, names: RateLimitHeaders) -> ChorusError:
    decision = RateDecision(False, windows.per_minute, 0, math.ceil(time.time()) + retry_after, retry_after)
    return ChorusError(
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        RATE_LIMITED,
        f"Rate limit exceeded: retry in {retry_after} seconds",
        retry_after=float(retry_after),
        headers=rate_headers(decision, names),
    )


class PlanLimiter:
    def __init__(self, limiter: RateLimiter, settings: ChaozCodeSettings, namespace: str, names: RateLimitHeaders):
        self._limiter = limiter
        self._names = names
        self._namespace = namespace
        self._plans = {plan: PlanWindows.of(limits) for plan, limits in settings.plans.items()}
        self._development = PlanWindows.of(settings.development_limits)
        # Callers without a valid key are counted per client address at the lowest plan.
        self._unidentified = PlanWindows.of(settings.plans["free"])

    def windows_for(self, grant: KeyGrant) -> PlanWindows:
        return self._development if grant.key_type == DEVELOPMENT else self._plans[grant.plan]

    def daily_limit(self, plan: str) -> int | None:
        day = self._plans[plan].day
        return day.amount if day is not None else None

    async def hit(self, call: CallInfo, grant: KeyGrant) -> None:
        """Counts the call against its key, or raises RATE_LIMITED counting nothing."""
        await self._hit(call, f"{self._namespace}:key:{grant.key_id}", self.windows_for(grant))

    async def hit_unidentified(self, call: CallInfo) -> None:
        await self._hit(call, f"{self._namespace}:unidentified:{call.client_ip}", self._unidentified)

    async def report(self, call: CallInfo, grant: KeyGrant) -> None:
        """Sets the headers of a call that is refused for another reason, counting nothing."""
        key = f"{self._namespace}:key:{grant.key_id}"
        windows = self.windows_for(grant)
        states = [await self._limiter.peek_moving(key, w) for w in windows.moving]
        if windows.day is not None:
            states.append(await self._limiter.peek(key, windows.day))
        self._set_headers(call, windows, states)

    async def _hit(self, call: CallInfo, key: str, windows: PlanWindows) -> None:
        moving = await self._limiter.hit(key, windows.moving)
        if not moving.allowed:
            raise _refused(windows, moving.retry_after, self._names)
        states = [moving, *[await self._limiter.peek_moving(key, w) for w in windows.moving[1:]]]
        if windows.day is not None:
            day = await self._limiter.take(key, windows.day)
            if not day.allowed:
                if moving.hold is not None:  # refused: the minute windows get their count back
                    await self._limiter.give_back(moving.hold)
                raise _refused(windows, day.retry_after, self._names)
            states.append(day)
        self._set_headers(call, windows, states)

    def _set_headers(self, call: CallInfo, windows: PlanWindows, states: list[RateDecision]) -> None:
        tightest = min(states, key=lambda s: s.remaining)
        shown = RateDecision(True, windows.per_minute, max(0, tightest.remaining), tightest.reset_epoch, 0)
        call.response_headers.update(rate_headers(shown, self._names))
