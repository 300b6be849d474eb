"""The limiter: minute limit, burst window, refusals cost nothing, takes given back exactly."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from limits import RateLimitItemPerDay, RateLimitItemPerMinute, RateLimitItemPerSecond

from server.platform.admission.memory_windows import MemoryWindows
from server.platform.admission.rate_limit import RateLimiter
from tests.support.backends import PgRedis


async def test_minute_limit_and_headers() -> None:
    limiter = RateLimiter()
    windows = (RateLimitItemPerMinute(3), RateLimitItemPerSecond(10))
    decisions = [await limiter.hit("t:u:ip", windows) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    assert all(d.limit == 3 for d in decisions)
    assert 1 <= decisions[-1].retry_after <= 60
    # Keys are independent.
    assert (await limiter.hit("t:u:other-ip", windows)).allowed


async def test_burst_window_refuses_without_consuming_the_minute() -> None:
    limiter = RateLimiter()
    windows = (RateLimitItemPerMinute(100), RateLimitItemPerSecond(2))
    decisions = [await limiter.hit("k", windows) for _ in range(3)]
    assert [d.allowed for d in decisions] == [True, True, False]
    # A refusal reports no room until the retry, whichever window refused.
    refused = decisions[-1]
    assert refused.remaining == 0 and refused.retry_after == 1
    assert refused.reset_epoch - time.time() <= refused.retry_after + 1
    # The refused call was not counted in the minute.
    assert (await limiter.peek_moving("k", windows[0])).remaining == 98


async def test_a_moving_window_frees_its_hits_as_they_age() -> None:
    """In memory, hits leave the window one by one as they age past it (not all at once),
    and a key left idle is swept."""
    limiter = RateLimiter()
    second = (RateLimitItemPerSecond(2),)
    assert (await limiter.hit("aging", second)).allowed
    await asyncio.sleep(0.6)
    assert (await limiter.hit("aging", second)).allowed
    assert not (await limiter.hit("aging", second)).allowed
    await asyncio.sleep(0.5)  # the first hit is now over a second old, the second is not
    assert (await limiter.hit("aging", second)).allowed
    assert not (await limiter.hit("aging", second)).allowed


async def test_a_large_limit_counts_every_hit() -> None:
    """A limit far above the calls made counts each of them (remaining goes down by one)."""
    limiter = RateLimiter()
    windows = (RateLimitItemPerMinute(10**8), RateLimitItemPerSecond(10**7))
    decisions = [await limiter.hit("busy", windows) for _ in range(5000)]
    assert [d.remaining for d in decisions[-3:]] == [10**8 - 4998, 10**8 - 4999, 10**8 - 5000]
    assert (await limiter.peek_moving("busy", windows[1])).remaining == 10**7 - 5000


async def test_idle_windows_are_swept_without_losing_a_new_one() -> None:
    """With a sweep on every call: a new key's first hit counts, and only idle keys go."""
    storage = MemoryWindows(sweep_every=0.0)
    assert await storage.acquire_entry("fresh", 5, 1)
    assert (await storage.get_moving_window("fresh", 5, 1))[1] == 1
    assert await storage.acquire_entry("short", 5, 1)
    await asyncio.sleep(1.05)
    assert await storage.acquire_entry("other", 5, 60)
    assert "short" not in storage._windows and "fresh" not in storage._windows
    assert (await storage.get_moving_window("other", 5, 60))[1] == 1


@pytest.fixture(params=["memory", "redis"])
def storage_uri(request: pytest.FixtureRequest) -> str:
    if request.param == "memory":
        return "memory://"
    return request.getfixturevalue("pg_redis").redis_url


async def test_a_fixed_window_take_is_given_back(storage_uri: str) -> None:
    limiter = RateLimiter(storage_uri, f"t-{uuid.uuid4().hex}")
    day = RateLimitItemPerDay(3)
    taken = [await limiter.take("q", day) for _ in range(3)]
    assert [t.remaining for t in taken] == [2, 1, 0]
    await limiter.give_back(taken[0].hold)  # type: ignore[arg-type]
    assert (await limiter.peek("q", day)).remaining == 1
    again = await limiter.take("q", day)
    assert again.allowed and again.remaining == 0
    assert not (await limiter.take("q", day)).allowed


async def test_a_call_the_main_window_refuses_gives_its_burst_slot_back(storage_uri: str) -> None:
    limiter = RateLimiter(storage_uri, f"t-{uuid.uuid4().hex}")
    windows = (RateLimitItemPerMinute(1), RateLimitItemPerSecond(5))
    assert (await limiter.hit("k", windows)).allowed
    refused = [await limiter.hit("k", windows) for _ in range(3)]
    assert not any(d.allowed for d in refused)
    # The burst window passed each refused call, then took its count back: a refusal spends nothing.
    assert (await limiter.peek_moving("k", windows[1])).remaining == 4


async def test_a_moving_window_hit_is_given_back(storage_uri: str) -> None:
    limiter = RateLimiter(storage_uri, f"t-{uuid.uuid4().hex}")
    minute = (RateLimitItemPerMinute(2),)
    _, second = [await limiter.hit("m", minute) for _ in range(2)]
    assert not (await limiter.hit("m", minute)).allowed
    await limiter.give_back(second.hold)  # type: ignore[arg-type]
    assert (await limiter.peek_moving("m", minute[0])).remaining == 1
    assert (await limiter.hit("m", minute)).allowed
    assert not (await limiter.hit("m", minute)).allowed


async def test_give_backs_stay_exact_across_processes_on_redis(pg_redis: PgRedis) -> None:
    """Two limiters on one Redis (two replicas): concurrent takes and give-backs
    leave exactly the takes that were kept counted."""
    prefix = f"t-{uuid.uuid4().hex}"
    replicas = [RateLimiter(pg_redis.redis_url, prefix) for _ in range(2)]
    day = RateLimitItemPerDay(1000)
    in_flight = asyncio.Semaphore(16)  # within the client's connection pool

    async def take_and_maybe_give_back(n: int) -> None:
        async with in_flight:
            taken = await replicas[n % 2].take("q", day)
            assert taken.allowed and taken.hold is not None
            if n % 3:
                await replicas[(n + 1) % 2].give_back(taken.hold)

    await asyncio.gather(*(take_and_maybe_give_back(n) for n in range(300)))
    kept = len([n for n in range(300) if n % 3 == 0])
    assert (await replicas[0].peek("q", day)).remaining == 1000 - kept
