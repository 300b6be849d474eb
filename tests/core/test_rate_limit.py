"""The moving-window limiter: minute limit, burst window, refusals cost nothing."""

from __future__ import annotations

from limits import RateLimitItemPerMinute, RateLimitItemPerSecond

from server.pipeline.rate_limit import RateLimiter


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
    assert decisions[-1].remaining == 98  # the refused call was not counted
    assert decisions[-1].retry_after == 1
