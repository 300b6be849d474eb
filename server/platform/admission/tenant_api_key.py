"""A policy that demands an API key of one tenant as the Bearer credential.

ChittyOS's `POST /generate` takes `Authorization: Bearer <api-key>`; gRPC
clients send the same value in the `authorization` metadata. The key must be
a live Chorus API key of the given tenant: a revoked, forged or other
tenant's key is refused. `TenantService.resolve` checks it (hash lookup,
constant-time compare). A client address that keeps sending wrong keys is
locked out for a while (`KeyFailures`).
"""

from __future__ import annotations

from rest_bridge.method_rules import MethodRule
from server.platform.admission.call import CallInfo
from server.platform.admission.credentials import bearer_credential
from server.platform.admission.key_failures import KeyFailures
from server.platform.admission.rules import access_of
from server.platform.errors import ChorusError, unauthenticated
from server.platform.tenancy import TenantService

KEY_REQUIRED = "API key required"
KEY_INVALID = "Invalid API key"
HOW_TO_SEND = "Include Authorization: Bearer <api-key> header"


def _refused(error: str, reason: str) -> ChorusError:
    refusal = unauthenticated(error, reason=reason)
    refusal.info = {"message": HOW_TO_SEND}
    return refusal


class RequireTenantApiKey:
    """Methods whose rule is `authenticated` need `authorization: Bearer <api key of tenant_id>`;
    public ones pass untouched."""

    def __init__(self, tenants: TenantService, tenant_id: str, key_failures: KeyFailures) -> None:
        self._tenants = tenants
        self._key_failures = key_failures
        self._tenant_id = tenant_id

    def enforces(self, rule: MethodRule) -> set[str]:
        return access_of(rule) if rule.access.authenticated else set()

    async def __call__(self, call: CallInfo) -> None:
        if not call.rule.access.authenticated:
            return
        key = bearer_credential(call.metadata)
        if not key:
            raise _refused(KEY_REQUIRED, "API_KEY_REQUIRED")
        await self._key_failures.check(call)
        try:
            call.caller = await self._tenants.resolve(tenant_id=self._tenant_id, api_key=key, host="")
        except ChorusError:
            await self._key_failures.failed(call)
            raise _refused(KEY_INVALID, "INVALID_API_KEY") from None
