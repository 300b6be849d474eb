"""What a job type declares: its handler, timeout, attempts, backoff, per-key
concurrency and what happens when the process running it dies."""

from __future__ import annotations

import enum
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


class LeaseLost(enum.Enum):
    """What a job becomes when its lease expires (the process running it died or hung):
    RETRY runs it again (an attempt is spent) while attempts remain; FAIL ends it as
    `failed` with the reason `LEASE_EXPIRED_REASON`."""

    RETRY = "retry"
    FAIL = "fail"


LEASE_EXPIRED_REASON = "the process running it stopped (its lease expired)"


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delay before retry n (n = 1 after the first failed attempt).

    With `schedule`, retry n waits `schedule[n-1]` seconds (the last repeats), like
    Svix's fixed webhook schedule; otherwise `base * 2**(n-1)` capped at `cap`. Each
    delay is spread by `jitter` (a fraction: 0.2 = ±20%) so that jobs which failed
    together do not retry together.
    """

    base: float = 1.0
    cap: float = 3600.0
    schedule: tuple[float, ...] = ()
    jitter: float = 0.2

    def delay(self, retry: int, rng: random.Random | None = None) -> float:
        if self.schedule:
            plain = self.schedule[min(retry, len(self.schedule)) - 1]
        else:
            plain = min(self.cap, self.base * 2 ** (retry - 1))
        spread = plain * self.jitter
        return max(0.0, plain + (rng or random).uniform(-spread, spread))


# Svix's webhook schedule: the first attempt at once, then retries after 5 s, 5 min,
# 30 min, 2 h, 5 h, 10 h and 10 h (eight attempts: `max_attempts=SVIX_ATTEMPTS`).
SVIX_RETRY_DELAYS = (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)
SVIX_ATTEMPTS = 1 + len(SVIX_RETRY_DELAYS)


@dataclass(frozen=True, slots=True)
class JobContext:
    """What a handler gets: the job's identity, payload and which attempt this is (from 1)."""

    id: str
    kind: str
    key: str | None
    payload: dict[str, Any]
    attempt: int
    max_attempts: int


Handler = Callable[[JobContext], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class JobType:
    """One kind of job. `timeout` (seconds) ends an attempt as failed; `max_attempts`
    bounds the attempts, a lease that expired included; `concurrency` limits how many
    jobs of this kind with one key run at once across every replica (None: no limit)."""

    kind: str
    handler: Handler
    timeout: float = 60.0
    max_attempts: int = 5
    backoff: Backoff = field(default_factory=Backoff)
    on_lease_lost: LeaseLost = LeaseLost.RETRY
    concurrency: int | None = None


class PermanentFailure(Exception):
    """Raised by a handler: fail the job now with this reason, no retry."""


@dataclass(frozen=True, slots=True)
class Schedule:
    """A periodic job: `kind` with `payload` once every `interval_ms` of the clock,
    across every replica (one job per period, see `periodic`)."""

    name: str
    kind: str
    interval_ms: int
    payload: dict[str, Any] = field(default_factory=dict)


def svix_backoff(delays: Sequence[float] = SVIX_RETRY_DELAYS, jitter: float = 0.1) -> Backoff:
    """Svix's webhook schedule, each delay spread by ±`jitter`."""
    return Backoff(schedule=tuple(delays), jitter=jitter)
