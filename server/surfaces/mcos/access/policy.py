"""Admission policy: the Cloudflare Access assertion names the caller.

`cf-access-jwt-assertion` (the `CF-Access-JWT-Assertion` header) must hold a
valid assertion; its `sub` becomes `call.caller.user_id`, within the
surface's one tenant. Methods whose rule is public skip the check.
"""

from __future__ import annotations

from rest_bridge.method_rules import MethodRule
from server.platform.admission.call import CallInfo
from server.platform.admission.rules import access_of
from server.platform.errors import unauthenticated
from server.platform.tenancy import Caller, Tenant
from server.surfaces.mcos.access.assertions import AccessAssertionVerifier, AssertionRejected

ASSERTION_KEY = "cf-access-jwt-assertion"


class CloudflareAccess:
    def __init__(self, verifier: AccessAssertionVerifier, tenant: Tenant) -> None:
        self._verifier = verifier
        self._tenant = tenant

    def enforces(self, rule: MethodRule) -> set[str]:
        # An assertion proves who the caller is; it carries no permissions.
        return access_of(rule) if rule.access.authenticated else set()

    async def __call__(self, call: CallInfo) -> None:
        if call.rule.access.public:
            call.caller = Caller(self._tenant, None)
            return
        token = call.metadata.get(ASSERTION_KEY, "").strip()
        if not token:
            raise unauthenticated("Missing CF-Access-JWT-Assertion header")
        try:
            identity = await self._verifier.verify(token)
        except AssertionRejected as exc:
            raise unauthenticated(str(exc)) from None
        call.caller = Caller(self._tenant, identity.sub)
