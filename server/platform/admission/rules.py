"""Method rules at start-up: every served method has one, and some policy enforces each of its demands.

The rules come from the contracts (`(chorus.api.v1.method)`, generated into
`chorus_contracts.method_rules`; shapes in rest_bridge/method_rules.py). The
pipeline puts the called method's rule on the call (`CallInfo.rule`) and the
policies decide by it. Deny by default: start-up stops, naming the method,
when a served method has no rule, when a rule names a method its surface does
not serve, or when no policy of a method's service enforces one of its
demands (a permission nobody checks would otherwise let every call through).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from rest_bridge.method_rules import MethodRule

# What a rule demands, in words a start-up failure can show.
IDEMPOTENCY_KEY = "Idempotency-Key"


class RuleError(Exception):
    """The rules table and what this process serves disagree; the message names each method."""


def access_demand(rule: MethodRule) -> str | None:
    """None for a public method: nothing to enforce."""
    return None if rule.access.public else f"access ({rule.access})"


def access_of(rule: MethodRule) -> set[str]:
    """What a policy that enforces `rule`'s access says it enforces."""
    demand = access_demand(rule)
    return {demand} if demand else set()


def spent(quota: str) -> str:
    return f"quota {quota!r} (spent)"


def checked(quota: str) -> str:
    return f"quota {quota!r} (checked)"


def rate_limit_demand(rule: MethodRule) -> str | None:
    if rule.rate_limit is None:
        return None
    key = rule.rate_limit.key_field
    return f"rate limit keyed by {key!r}" if key else "rate limit"


def demands(rule: MethodRule) -> frozenset[str]:
    out = {access_demand(rule), rate_limit_demand(rule)}
    out |= {spent(q) for q in rule.spends_quotas} | {checked(q) for q in rule.checks_quotas}
    if rule.honours_idempotency_key:
        out.add(IDEMPOTENCY_KEY)
    return frozenset(d for d in out if d is not None)


def enforced_by(policies: Iterable[Any], rule: MethodRule) -> set[str]:
    """What the policies enforce of `rule`: each may say so with `enforces(rule)`."""
    out: set[str] = set()
    for policy in policies:
        enforces = getattr(policy, "enforces", None)
        if enforces is not None:
            out.update(enforces(rule))
    return out


def check_rules(
    served: Mapping[str, Collection[str]],
    policies: Mapping[str, Sequence[Any]],
    rules: Mapping[str, MethodRule],
    idempotent_services: Collection[str] = (),
) -> None:
    """`served`: service -> the gRPC paths of its methods; `policies`: service -> its
    admission policies; `idempotent_services`: the services that keep idempotency keys.
    Raises RuleError listing every problem."""
    problems: list[str] = []
    paths = {path for methods in served.values() for path in methods}
    for service in sorted(served):
        for path in sorted(served[service]):
            rule = rules.get(path)
            if rule is None:
                problems.append(f"{path} has no rule: give it `option (chorus.api.v1.method) = {{access: ...}}`")
                continue
            enforced = enforced_by(policies.get(service, ()), rule)
            if service in idempotent_services:
                enforced.add(IDEMPOTENCY_KEY)
            for missing in sorted(demands(rule) - enforced):
                problems.append(f"{path} demands {missing}, which no policy of {service} enforces")
    surfaces = {rules[path].surface for path in paths if path in rules}
    for path in sorted(rules):
        if rules[path].surface in surfaces and path not in paths:
            problems.append(f"{path} has a rule but is not served")
    if problems:
        raise RuleError("method rules do not match the served methods:\n  " + "\n  ".join(problems))
