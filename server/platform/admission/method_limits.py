"""Rate limits of their own per method: a login's 5 per 15 minutes, a mail's 1 per minute.

Each limited method names its windows; a call counts per client address, or,
where the method's rule keys its limit by a request field (`rate_limit:
{key_field: "email"}`), per value of that field whoever sends it (so one
address gets one mail a minute, from however many clients). The counts live
in the platform's limiter: moving windows, exact across processes and
replicas when it is on Redis. A refusal is 429 with Retry-After.
"""

from __future__ import annotations

from collections.abc import Mapping

from limits import RateLimitItem

from rest_bridge.dialects.base import DEFAULT_RATE_LIMIT_HEADERS, RateLimitHeaders
from rest_bridge.method_rules import MethodRule
from server.platform.admission.call import CallInfo
from server.platform.admission.policies import rate_limited
from server.platform.admission.rate_limit import RateLimiter, rate_headers
from server.platform.admission.rules import rate_limit_demand


class MethodRateLimits:
    def __init__(
        self,
        limiter: RateLimiter,
        namespace: str,
        windows: Mapping[str, tuple[RateLimitItem, ...]],
        headers: RateLimitHeaders = DEFAULT_RATE_LIMIT_HEADERS,
    ) -> None:
        """`windows`: gRPC method path -> the windows that must all hold (the first is reported)."""
        self._limiter = limiter
        self._namespace = namespace
        self._windows = dict(windows)
        self._headers = headers

    def enforces(self, rule: MethodRule) -> set[str]:
        demand = rate_limit_demand(rule)
        return {demand} if demand and rule.grpc_path in self._windows else set()

    def _key(self, call: CallInfo) -> str:
        limit = call.rule.rate_limit
        if limit is not None and limit.key_field:
            value = getattr(call.request, limit.key_field, "") if call.request is not None else ""
            return f"{self._namespace}:{call.method}:{limit.key_field}={str(value).strip().lower()}"
        return f"{self._namespace}:{call.method}:ip={call.client_ip}"

    async def __call__(self, call: CallInfo) -> None:
        windows = self._windows.get(call.method)
        if windows is None or call.rule.rate_limit is None:
            return
        decision = await self._limiter.hit(self._key(call), windows)
        call.response_headers.update(rate_headers(decision, self._headers))
        if not decision.allowed:
            raise rate_limited(decision)
