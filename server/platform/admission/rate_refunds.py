"""Giving back what a rate-limit window counted, on the `limits` library's own storage.

`limits` counts but never uncounts (it has a `decr` in memory only), so this
does it on the same keys the library writes, one atomic step each:
- a fixed window (a counter): decremented by the cost, never below zero, and
  only while it is still the window the cost was counted in;
- a moving window (entry times, newest first): the newest entry is removed,
  while the entry this hold added is still inside the window. All
  entries of a key are alike, so which one goes does not change any count.
On Redis both run as one Lua script or command, so replicas stay exact.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Protocol, cast

from limits import RateLimitItem
from limits.aio.storage import RedisStorage
from limits.aio.storage.redis.redispy import RedispyBridge
from redis.asyncio import Redis

from server.platform.admission.memory_windows import MemoryWindows


@dataclass(frozen=True, slots=True)
class Hold:
    """Units a call counted, so they can be given back if it does no work."""

    key: str
    windows: tuple[RateLimitItem, ...]
    cost: int
    moving: bool
    # When the entries were added (moving windows).
    taken_at: float = 0.0
    # When the window it was counted in resets (fixed windows).
    resets_at: float = 0.0

    def storage_keys(self) -> list[tuple[str, RateLimitItem]]:
        return [(window.key_for(self.key), window) for window in self.windows]

    def entry_alive(self, window: RateLimitItem, now: float) -> bool:
        return self.taken_at > now - window.get_expiry()

    def same_window(self, window: RateLimitItem, reset: float) -> bool:
        # A later window starts after this one ends, so it resets a whole expiry later.
        return reset < self.resets_at + window.get_expiry() / 2


class Refunds(Protocol):
    async def give_back(self, hold: Hold) -> None: ...


class MemoryRefunds:
    def __init__(self, storage: MemoryWindows) -> None:
        self._storage = storage

    async def give_back(self, hold: Hold) -> None:
        now = time.time()
        for key, window in hold.storage_keys():
            if hold.moving:
                if hold.entry_alive(window, now):
                    self._storage.give_back(key, hold.cost)
            elif self._storage.expirations.get(key, 0) > now and hold.same_window(
                window, self._storage.expirations[key]
            ):
                await self._storage.decr(key, hold.cost)


# KEYS[1]: the counter. ARGV: cost, the hold's window reset (epoch s), half the window (s).
_GIVE_BACK_FIXED = """
local count = tonumber(redis.call('get', KEYS[1]) or '0')
if count <= 0 then return 0 end
local ttl = redis.call('pttl', KEYS[1])
if ttl < 0 then return 0 end
local now = redis.call('time')
local reset = tonumber(now[1]) + tonumber(now[2]) / 1000000 + ttl / 1000
if reset >= tonumber(ARGV[2]) + tonumber(ARGV[3]) then return 0 end
return redis.call('decrby', KEYS[1], math.min(count, tonumber(ARGV[1])))
"""


class RedisRefunds:
    def __init__(self, storage: RedisStorage) -> None:
        bridge = storage.bridge
        if not isinstance(bridge, RedispyBridge):  # the RateLimiter always asks for redis-py
            raise TypeError("giving back needs the redis-py implementation of limits' Redis storage")
        self._bridge = bridge
        self._script: Any = None

    async def give_back(self, hold: Hold) -> None:
        connection = cast(Redis, self._bridge.get_connection())
        now = time.time()
        for key, window in hold.storage_keys():
            full_key = self._bridge.prefixed_key(key)
            if hold.moving:
                if hold.entry_alive(window, now):
                    await connection.lpop(full_key, *((hold.cost,) if hold.cost > 1 else ()))
                continue
            if self._script is None:
                self._script = connection.register_script(_GIVE_BACK_FIXED)
            await self._script([full_key], [hold.cost, hold.resets_at, window.get_expiry() / 2])


def refunds_for(storage: Any) -> Refunds:
    if isinstance(storage, MemoryWindows):
        return MemoryRefunds(storage)
    if isinstance(storage, RedisStorage):
        return RedisRefunds(storage)
    raise TypeError(f"no way to give back rate-limit units on {type(storage).__name__}")
