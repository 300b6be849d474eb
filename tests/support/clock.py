"""A clock for tests."""

from __future__ import annotations


class ManualClock:
    """A clock tests move by hand; satisfies server.platform.clock.Clock.

    `now` is the current time in epoch milliseconds: set it, or add to it.
    """

    def __init__(self, now_ms: int) -> None:
        self.now = now_ms

    def now_ms(self) -> int:
        return self.now
