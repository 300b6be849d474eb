"""Admission policy: a surface's per-user quotas, as each method's rule names them.

Runs after the identity policy. Sends the spent quota's `X-RateLimit-*`
headers on every response of a limited method; over the limit the call
fails with the quotas' refusal, before any work, and counts nothing. A call
that fails later (invalid, not found, a tool failing) gives its use back.
A quota the rule only checks (`checks_quotas`) must not be used up; the call
spends it itself.
"""

from __future__ import annotations

from functools import partial

from rest_bridge.method_rules import MethodRule
from server.platform.admission.call import CallInfo
from server.platform.admission.quotas import Quotas
from server.platform.admission.rate_limit import rate_headers
from server.platform.admission.rules import checked, spent


class QuotaPolicy:
    # Runs after the idempotency check: a replayed call uses no quota.
    metered = True

    def __init__(self, quotas: Quotas) -> None:
        self._quotas = quotas

    def enforces(self, rule: MethodRule) -> set[str]:
        """The quotas of `rule` this policy counts: a name it does not know stops start-up."""
        return {spent(q) for q in rule.spends_quotas if self._quotas.counts(q)} | {
            checked(q) for q in rule.checks_quotas if self._quotas.counts(q, checked=True)
        }

    async def __call__(self, call: CallInfo) -> None:
        rule = call.rule
        if not (rule.spends_quotas or rule.checks_quotas):
            return
        assert call.caller is not None and call.caller.user_id, "the identity policy must run first"
        principal = call.caller.user_id
        for name in rule.checks_quotas:
            await self._quotas.check(name, principal)
        # Over one quota, the pipeline gives back those taken before it.
        for name in rule.spends_quotas:
            decision = await self._quotas.take(name, principal)
            call.response_headers.update(rate_headers(decision, self._quotas.headers))
            call.refunds.append(partial(self._quotas.give_back, decision))
