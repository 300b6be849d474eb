"""Admission policy: a surface's per-user quotas, by method.

Runs after the identity policy. Sends the taken quota's `X-RateLimit-*`
headers on every response of a limited method; over the limit the call
fails with the quotas' refusal, before any work, and counts nothing. A call
that fails later (invalid, not found, a tool failing) gives its use back.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from server.platform.admission.call import CallInfo
from server.platform.admission.credentials import method_name
from server.platform.admission.quotas import Quotas
from server.platform.admission.rate_limit import rate_headers


class QuotaPolicy:
    # Runs after the idempotency check: a replayed call uses no quota.
    metered = True

    def __init__(
        self,
        quotas: Quotas,
        taken: Mapping[str, str],
        checked: Mapping[str, str] | None = None,
    ) -> None:
        """`taken`: method name -> the quota one call uses. `checked`: method
        name -> a daily quota that must not be used up (spent later, in the call)."""
        self._quotas = quotas
        self._taken = dict(taken)
        self._checked = dict(checked or {})

    async def __call__(self, call: CallInfo) -> None:
        method = method_name(call)
        taken, checked = self._taken.get(method), self._checked.get(method)
        if taken is None and checked is None:
            return
        assert call.caller is not None and call.caller.user_id, "the identity policy must run first"
        principal = call.caller.user_id
        if checked is not None:
            await self._quotas.check(checked, principal)
        if taken is not None:
            decision = await self._quotas.take(taken, principal)
            call.response_headers.update(rate_headers(decision, self._quotas.headers))
            call.refunds.append(partial(self._quotas.give_back, decision))
