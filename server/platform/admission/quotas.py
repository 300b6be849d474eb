"""Per-user quotas of the Micro Chief of Staff (spec 003, "Rate Limits").

Four named quotas: chat messages per minute (a moving window, as the
document's per-minute limit), and LLM tokens, flight searches and storage
writes per day (fixed windows). Admission policies take them for RPCs, with
`X-RateLimit-*` headers; the chat turn takes them for the tools it runs and
spends its model tokens once they are known.

A use is paid for work done: it is taken before the work (so a used-up quota
refuses first) and given back when the work fails (`give_back`).
"""

from __future__ import annotations

from typing import Literal, TypeAlias

import grpc
from limits import RateLimitItem, RateLimitItemPerDay, RateLimitItemPerMinute

from server.config import McosRateLimits
from server.platform.admission.rate_limit import RateDecision, RateLimiter, rate_headers
from server.platform.errors import ChorusError

QuotaName: TypeAlias = Literal["chat_messages", "llm_tokens", "flight_searches", "storage_writes"]

RATE_LIMIT_EXCEEDED = "RATE_LIMIT_EXCEEDED"
# The quotas counted per day: the ones a call can check before it spends them.
DAILY_QUOTAS: frozenset[QuotaName] = frozenset({"llm_tokens", "flight_searches", "storage_writes"})

_LABELS: dict[QuotaName, str] = {
    "chat_messages": "chat messages per minute",
    "llm_tokens": "LLM tokens per day",
    "flight_searches": "flight searches per day",
    "storage_writes": "storage writes per day",
}


def quota_exceeded(name: QuotaName, decision: RateDecision) -> ChorusError:
    return ChorusError(
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        RATE_LIMIT_EXCEEDED,
        f"Rate limit exceeded: {decision.limit} {_LABELS[name]}",
        retry_after=float(decision.retry_after),
        info={"quota": name},
        headers=rate_headers(decision),
    )


class Quotas:
    def __init__(self, limiter: RateLimiter, limits: McosRateLimits, namespace: str) -> None:
        self._limiter = limiter
        self._namespace = namespace
        self._chat_window = RateLimitItemPerMinute(limits.chat_messages_per_minute)
        self._daily: dict[QuotaName, RateLimitItem] = {
            "llm_tokens": RateLimitItemPerDay(limits.llm_tokens_per_day),
            "flight_searches": RateLimitItemPerDay(limits.flight_searches_per_day),
            "storage_writes": RateLimitItemPerDay(limits.storage_writes_per_day),
        }

    def _key(self, name: QuotaName, principal: str) -> str:
        return f"{self._namespace}:{name}:{principal}"

    async def take(self, name: QuotaName, principal: str, cost: int = 1) -> RateDecision:
        """Counts one use (or `cost`); raises RATE_LIMIT_EXCEEDED, counting nothing, when over."""
        key = self._key(name, principal)
        if name == "chat_messages":
            decision = await self._limiter.hit(key, (self._chat_window,))
        else:
            decision = await self._limiter.take(key, self._daily[name], cost)
        if not decision.allowed:
            raise quota_exceeded(name, decision)
        return decision

    async def give_back(self, decision: RateDecision) -> None:
        """Uncounts what `take` counted, for a call that ended without doing its work."""
        if decision.hold is not None:
            await self._limiter.give_back(decision.hold)

    async def check(self, name: QuotaName, principal: str) -> RateDecision:
        """Raises RATE_LIMIT_EXCEEDED when a daily quota is used up; counts nothing."""
        if name == "chat_messages":
            raise ValueError("check() is for daily quotas")
        decision = await self._limiter.peek(self._key(name, principal), self._daily[name])
        if not decision.allowed:
            raise quota_exceeded(name, decision)
        return decision

    async def spend(self, name: QuotaName, principal: str, cost: int) -> None:
        """Counts usage known only after the fact (model tokens); never refuses."""
        if name == "chat_messages":
            raise ValueError("spend() is for daily quotas")
        await self._limiter.spend(self._key(name, principal), self._daily[name], cost)
