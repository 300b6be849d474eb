"""Rate limiting on the `limits` library (moving windows).

Each policy is a set of windows that must all hold, e.g. 100/minute plus a
burst window of 20/second. The first window is the one reported in headers.
Storage is in-process memory by default (server/platform/admission/memory_windows.py); `limits` storage URIs (redis://…)
share counters between processes.

Quotas are taken up front and given back when the call they paid for does no
work (`Hold`, `RateLimiter.give_back`). `limits` has no decrement of its own
on Redis, so giving back is one atomic Redis step on the library's own keys
(see `server/platform/admission/rate_refunds.py`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, cast

from limits import RateLimitItem
from limits.aio.storage import MovingWindowSupport
from limits.aio.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter
from limits.storage import storage_from_string
from redis.asyncio import BlockingConnectionPool

from rest_bridge.dialects.base import DEFAULT_RATE_LIMIT_HEADERS, RateLimitHeaders
from server.platform.admission.memory_windows import MemoryWindows
from server.platform.admission.rate_refunds import Hold, refunds_for

# Callers whose storage keys are kept; past it the cache starts again (a key is cheap to rebuild).
_KEY_CACHE_SIZE = 65_536


@dataclass(frozen=True, slots=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_epoch: int  # when the reported window frees up, Unix seconds
    retry_after: int  # seconds until a retry may pass; 0 when allowed
    # What an allowed take counted, to give back if its call does no work.
    hold: Hold | None = None


def rate_headers(decision: RateDecision, names: RateLimitHeaders = DEFAULT_RATE_LIMIT_HEADERS) -> dict[str, str]:
    """The rate-limit headers of a decision, under the surface dialect's `names`
    (`X-RateLimit-*` by default), and `Retry-After` when it refused."""
    headers = {
        names.limit: str(decision.limit),
        names.remaining: str(decision.remaining),
        names.reset: str(decision.reset_epoch),
    }
    if not decision.allowed:
        headers["retry-after"] = str(decision.retry_after)
        if names.retry_after:
            headers[names.retry_after] = str(decision.retry_after)
    return headers


_REDIS_CONNECTIONS = 200  # per process
_REDIS_WAIT = 10.0  # seconds a call may wait for one of them


class RateLimiter:
    def __init__(self, storage_uri: str = "memory://", key_prefix: str = "chorus") -> None:
        """`storage_uri`: memory:// (this process only) or redis://… (shared by
        every process and replica that names the same Redis and prefix)."""
        uri = storage_uri if storage_uri.startswith("async+") else "async+" + storage_uri
        options: dict[str, Any] = {}
        if uri.startswith(("async+redis://", "async+rediss://")):
            # A bounded pool that waits for a free connection: redis-py's default pool
            # fails a call outright ("Too many connections") past 100 calls in flight.
            pool = BlockingConnectionPool.from_url(
                uri.removeprefix("async+"), max_connections=_REDIS_CONNECTIONS, timeout=_REDIS_WAIT
            )
            options = {"implementation": "redispy", "key_prefix": key_prefix, "connection_pool": pool}
        # In memory: moving windows that cost the same per hit whatever the limit (memory_windows.py).
        self._storage = MemoryWindows() if uri == "async+memory://" else storage_from_string(uri, **options)
        self._limiter = MovingWindowRateLimiter(self._storage)
        # Quotas counted in large units (tokens per day) use fixed windows: a
        # moving window keeps one entry per unit.
        self._fixed = FixedWindowRateLimiter(self._storage)
        self._refunds = refunds_for(self._storage)
        self._moving = cast(MovingWindowSupport, self._storage)
        # Times the storage's calls (Redis latency); a StorageObserver, None costs nothing.
        self.observer: Any = None
        self._keys: dict[tuple[str, tuple[RateLimitItem, ...]], tuple[str, ...]] = {}

    async def hit(self, key: str, windows: tuple[RateLimitItem, ...]) -> RateDecision:
        """`_hit`, timed when an observer watches the storage (Redis latency)."""
        observer = self.observer
        if observer is None:
            return await self._hit(key, windows)
        watch = observer.started("hit")
        try:
            return await self._hit(key, windows)
        finally:
            observer.ended(watch)

    async def _hit(self, key: str, windows: tuple[RateLimitItem, ...]) -> RateDecision:
        """Counts a call in every window, the last (the burst) first; `windows[0]` is reported.

        A moving window's hit is atomic (one Lua script on Redis), and a refused
        hit counts nothing, so no separate test is needed: a call refused by the
        burst window leaves the main window untouched. One refused by the main
        window gives back the burst slot it took: a refused call spends nothing.
        Each window costs one round trip, plus one for the headers (testing
        first cost two more per window).

        A refusal reports the wait until a retry passes: remaining 0, and the
        reset at the end of that wait, whichever window refused.
        """
        taken_at = time.time()
        keys = self._storage_keys(key, windows)
        storage = self._moving
        # The strategy's own steps (MovingWindowRateLimiter.hit / get_window_stats) on the
        # storage directly, with the storage keys built once per caller, not per window per call.
        counted: list[RateLimitItem] = []
        for window, storage_key in zip(reversed(windows), reversed(keys), strict=True):
            if not await storage.acquire_entry(storage_key, window.amount, window.get_expiry()):
                if counted:  # a refused call spends nothing: uncount the windows it passed
                    await self._refunds.give_back(Hold(key, tuple(counted), 1, moving=True, taken_at=taken_at))
                return await self._refused(key, window, windows[0])
            counted.append(window)
        reported = windows[0]
        start, count = await storage.get_moving_window(keys[0], reported.amount, reported.get_expiry())
        reset = math.ceil(start + reported.get_expiry())
        hold = Hold(key, windows, 1, moving=True, taken_at=taken_at)
        return RateDecision(True, reported.amount, max(0, reported.amount - count), reset, 0, hold)

    def _storage_keys(self, key: str, windows: tuple[RateLimitItem, ...]) -> tuple[str, ...]:
        """`window.key_for(key)` of each window (what `limits` stores the window under), cached."""
        found = self._keys.get((key, windows))
        if found is None:
            if len(self._keys) >= _KEY_CACHE_SIZE:
                self._keys.clear()
            found = self._keys[(key, windows)] = tuple(window.key_for(key) for window in windows)
        return found

    async def _refused(self, key: str, blocking: RateLimitItem, reported: RateLimitItem) -> RateDecision:
        blocked = await self._limiter.get_window_stats(blocking, key)
        now = time.time()
        retry_after = max(1, math.ceil(blocked.reset_time - now))
        return RateDecision(False, reported.amount, 0, math.ceil(now) + retry_after, retry_after)

    async def take(self, key: str, window: RateLimitItem, cost: int = 1) -> RateDecision:
        """Counts `cost` units in a fixed window, or refuses (counting nothing)."""
        observer = self.observer
        if observer is None:
            return await self._take(key, window, cost)
        watch = observer.started("take")
        try:
            return await self._take(key, window, cost)
        finally:
            observer.ended(watch)

    async def _take(self, key: str, window: RateLimitItem, cost: int = 1) -> RateDecision:
        allowed = await self._fixed.hit(window, key, cost=cost)
        stats = await self._fixed.get_window_stats(window, key)
        reset = math.ceil(stats.reset_time)
        retry_after = 0 if allowed else max(1, math.ceil(stats.reset_time - time.time()))
        hold = Hold(key, (window,), cost, moving=False, resets_at=stats.reset_time) if allowed else None
        return RateDecision(allowed, window.amount, stats.remaining, reset, retry_after, hold)

    async def give_back(self, hold: Hold) -> None:
        """Uncounts what `hold` took, if its window is still the current one."""
        await self._refunds.give_back(hold)

    async def peek(self, key: str, window: RateLimitItem) -> RateDecision:
        """The fixed window's state, counting nothing; refused when exhausted."""
        return await _state(self._fixed, key, window)

    async def peek_moving(self, key: str, window: RateLimitItem) -> RateDecision:
        """A moving window's state, counting nothing; refused when full."""
        return await _state(self._limiter, key, window)

    async def spend(self, key: str, window: RateLimitItem, cost: int) -> None:
        """Counts `cost` units even past the limit (usage known only afterwards)."""
        if cost > 0 and not await self._fixed.hit(window, key, cost=cost):
            stats = await self._fixed.get_window_stats(window, key)
            if stats.remaining > 0:  # too big to fit: fill the window instead
                await self._fixed.hit(window, key, cost=stats.remaining)


async def _state(
    strategy: FixedWindowRateLimiter | MovingWindowRateLimiter, key: str, window: RateLimitItem
) -> RateDecision:
    stats = await strategy.get_window_stats(window, key)
    allowed = stats.remaining > 0
    retry_after = 0 if allowed else max(1, math.ceil(stats.reset_time - time.time()))
    return RateDecision(allowed, window.amount, stats.remaining, math.ceil(stats.reset_time), retry_after)
