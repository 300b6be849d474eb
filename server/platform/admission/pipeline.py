"""Admission: request id, client address, the method's rule, then the service's policies."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rest_bridge.dialects import Dialect
from rest_bridge.metadata import HTTP_METHOD_KEY
from rest_bridge.method_rules import MethodRule, load_method_rules
from rest_bridge.request_ids import new_request_id
from server.platform.admission.call import CallInfo, give_back
from server.platform.admission.client_address import ClientAddresses
from server.platform.admission.policies import Policy
from server.platform.errors import ERROR_DOMAIN, ChorusError, FieldViolation, invalid_argument, permission_denied

# Services outside any surface: the default dialect's header.
REQUEST_ID_KEY = Dialect.request_id_header.decode()
_MAX_REQUEST_ID = 200


def _request_id(given: str) -> str:
    # Echo a sane caller-supplied id; replace anything else.
    if given and len(given) <= _MAX_REQUEST_ID and given.isprintable():
        return given
    return new_request_id()


def _http_method(metadata: Mapping[str, str], rule: MethodRule) -> str | None:
    """The verb of the bridge's route, checked against the method's routes.

    A plain gRPC client can send this metadata too. It cannot claim a verb the
    method has no route for; a verb it can claim is one the method answers over
    REST anyway, where the bridge would set it, so a policy deciding by the verb
    (GET-only keys) gives such a client nothing the bridge would refuse it."""
    claimed = metadata.get(HTTP_METHOD_KEY)
    if claimed is None:
        return None
    if claimed not in rule.http_verbs:
        message = f"{HTTP_METHOD_KEY} {claimed!r} is not a verb of this method's HTTP routes"
        raise invalid_argument(message, (FieldViolation(HTTP_METHOD_KEY, message),))
    return claimed


def _no_rule() -> ChorusError:
    # Start-up refuses to serve a method without a rule; this is the same answer at call time.
    return permission_denied("This method has no access rule", reason="NO_RULE")


@dataclass(frozen=True, slots=True)
class _Plan:
    service: str
    id_key: str  # the metadata key of the service's request id
    rule: MethodRule | None
    gates: tuple[Policy, ...]  # the service's policies but the metered ones


def _metered(policy: Policy) -> bool:
    return bool(getattr(policy, "metered", False))


class Pipeline:
    def __init__(
        self,
        policies: Mapping[str, Sequence[Policy]],
        client_addresses: ClientAddresses,
        request_id_keys: Mapping[str, str] | None = None,
        error_domains: Mapping[str, str] | None = None,
        rules: Mapping[str, MethodRule] | None = None,
    ) -> None:
        """`request_id_keys`: service -> the metadata key of its request id, where
        its document names another than `x-request-id` (MCoS: `x-correlation-id`).
        `error_domains`: service -> the `ErrorInfo.domain` of its errors (its surface).
        `rules`: gRPC path -> the method's rule; the generated table by default."""
        self.rules = load_method_rules() if rules is None else rules
        # Metered policies (quotas) run last; a replayed idempotent call skips them.
        self._gates = {name: tuple(p for p in steps if not _metered(p)) for name, steps in policies.items()}
        self._meters = {name: tuple(p for p in steps if _metered(p)) for name, steps in policies.items()}
        self._client_addresses = client_addresses
        self._request_id_keys = dict(request_id_keys or {})
        self._error_domains = dict(error_domains or {})
        self._plans: dict[str, _Plan] = {}

    def request_id_key(self, service: str) -> str:
        return self._request_id_keys.get(service, REQUEST_ID_KEY)

    def error_domain(self, service: str) -> str:
        return self._error_domains.get(service, ERROR_DOMAIN)

    def _plan(self, method: str) -> _Plan:
        """What admission needs of `method`, worked out on its first call."""
        plan = self._plans.get(method)
        if plan is None:
            service = method[1:].split("/", 1)[0]
            plan = _Plan(service, self.request_id_key(service), self.rules.get(method), self._gates.get(service, ()))
            if plan.rule is not None:  # served methods only: a client can name any path
                self._plans[method] = plan
        return plan

    async def admit(
        self, method: str, metadata: dict[str, str], peer: str, *, meter: bool = True, request: Any = None
    ) -> CallInfo:
        """Runs the policies of the method's service (without the metered ones
        when `meter` is false: see `meter()`); raises ChorusError with `headers`
        set to what the response must still carry. A method without a rule is refused."""
        plan = self._plan(method)
        id_key = plan.id_key
        request_id = _request_id(metadata.get(id_key, ""))
        rule = plan.rule
        try:
            if rule is None:
                raise _no_rule()
            http_method = _http_method(metadata, rule) if HTTP_METHOD_KEY in metadata else None
        except ChorusError as exc:
            exc.headers[id_key] = request_id
            raise
        call = CallInfo(
            method=method,
            metadata=metadata,
            client_ip=self._client_addresses.resolve(peer, metadata),
            request_id=request_id,
            rule=rule,
            http_method=http_method,
            request=request,
            service=plan.service,
        )
        call.response_headers[id_key] = request_id
        if plan.gates:
            await self._run(call, plan.gates)
        if meter:
            await self.meter(call)
        return call

    async def meter(self, call: CallInfo) -> None:
        """The metered policies, run once the call is known to do work (not a replay)."""
        meters = self._meters.get(call.service)
        if meters:
            await self._run(call, meters)

    @staticmethod
    async def _run(call: CallInfo, policies: Sequence[Policy]) -> None:
        try:
            for policy in policies:
                await policy(call)
        except ChorusError as exc:
            # Refused: the call does no work, so what its policies took (quotas) goes back.
            await give_back(call)
            exc.headers.update(call.response_headers)
            raise
