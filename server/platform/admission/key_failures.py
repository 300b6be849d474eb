"""Lockout of a client address after repeated failed API keys.

Every key that fails to verify counts against the client address it came
from (a moving window on the `limits` library, so Redis shares it between
replicas when configured). Once an address has `failures` of them within
`window` seconds, every key it sends is refused, the right one too, with
429 TOO_MANY_KEY_FAILURES and Retry-After, until the oldest failure leaves
the window. Guessing keys then costs the window per `failures` guesses.
"""

from __future__ import annotations

import grpc
from limits import RateLimitItemPerSecond

from server.config import ApiKeyLockoutSettings
from server.platform.admission.call import CallInfo
from server.platform.admission.rate_limit import RateLimiter
from server.platform.errors import ChorusError

TOO_MANY_KEY_FAILURES = "TOO_MANY_KEY_FAILURES"


def locked_out(retry_after: int) -> ChorusError:
    return ChorusError(
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        TOO_MANY_KEY_FAILURES,
        "Too many failed API key attempts",
        retry_after=float(retry_after),
        info={"message": f"Retry after {retry_after} seconds"},
        headers={"retry-after": str(retry_after)},
    )


class KeyFailures:
    def __init__(self, limiter: RateLimiter, settings: ApiKeyLockoutSettings) -> None:
        self._limiter = limiter
        self._window = RateLimitItemPerSecond(settings.failures, settings.window)

    @staticmethod
    def _key(call: CallInfo) -> str:
        return f"api-key-failures:{call.client_ip}"

    async def check(self, call: CallInfo) -> None:
        """Raises TOO_MANY_KEY_FAILURES while the call's address is locked out."""
        state = await self._limiter.peek_moving(self._key(call), self._window)
        if not state.allowed:
            raise locked_out(state.retry_after)

    async def failed(self, call: CallInfo) -> None:
        await self._limiter.hit(self._key(call), (self._window,))
