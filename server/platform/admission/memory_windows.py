"""In-process moving windows that cost the same per hit whatever the limit.

`limits`' MemoryStorage keeps a moving window as a list of entries, newest
first: each hit inserts at the front (moving the whole list), and every hit
schedules a sweep task that bisects each key's list in a worker thread and
copies it. A tenant allowed 100,000 requests a minute then pays a
100,000-entry move, a task and a thread hop per request (measured by
bench/bench_pipeline.py). Here a window is a deque of hit times, newest
first: a hit appends on the left, expired times drop off the right when the
key is next touched, and keys left idle are swept at most every few seconds,
on the event loop, with no task or thread.

Same semantics as the library's moving window (a hit counts only when the
window has room for all of it; a refused hit counts nothing). Fixed windows
(quotas) stay the library's.
"""

from __future__ import annotations

import time
from collections import deque

from limits.aio.storage import MemoryStorage

# How often idle keys are looked at, in seconds (their windows are empty by then).
_SWEEP_EVERY = 5.0


class MemoryWindows(MemoryStorage):
    def __init__(self, sweep_every: float = _SWEEP_EVERY) -> None:
        """`sweep_every`: seconds between looks at idle keys."""
        super().__init__()
        # key -> (the window's length in seconds, hit times newest first)
        self._windows: dict[str, tuple[float, deque[float]]] = {}
        self._sweep_every = sweep_every
        self._next_sweep = time.time() + sweep_every

    def _live(self, key: str, expiry: float, now: float) -> deque[float]:
        """The key's hit times still inside its window."""
        # Sweep first: a sweep after the lookup would drop the (still empty) window of a new key.
        if now >= self._next_sweep:
            self._sweep(now)
        found = self._windows.get(key)
        if found is None:
            times: deque[float] = deque()
            self._windows[key] = (expiry, times)
        else:
            times = found[1]
            oldest = now - expiry
            while times and times[-1] < oldest:
                times.pop()
        return times

    def _sweep(self, now: float) -> None:
        self._next_sweep = now + self._sweep_every
        idle = [key for key, (expiry, times) in self._windows.items() if not times or times[0] < now - expiry]
        for key in idle:
            del self._windows[key]

    async def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        now = time.time()
        times = self._live(key, expiry, now)
        if len(times) + amount > limit:
            return False
        times.extendleft((now,) * amount)
        return True

    async def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        """(the oldest hit still in the window, or now; how many hits are in it)."""
        now = time.time()
        found = self._windows.get(key)
        if found is None:
            return now, 0
        times = self._live(key, expiry, now)
        return (times[-1], len(times)) if times else (now, 0)

    def give_back(self, key: str, amount: int) -> None:
        """Uncounts the `amount` newest hits of `key` (all hits of a key are alike)."""
        found = self._windows.get(key)
        if found is None:
            return
        times = found[1]
        for _ in range(min(amount, len(times))):
            times.popleft()

    async def clear(self, key: str) -> None:
        self._windows.pop(key, None)
        await super().clear(key)

    async def reset(self) -> int | None:
        self._windows.clear()
        return await super().reset()
