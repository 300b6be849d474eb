"""Agent Chassis's credentials: the configured API key, or a user's access token.

`X-API-Key` is accepted only while a key is configured; it is compared as
SHA-256 digests in constant time, and a client address that keeps sending
wrong keys is locked out for a while (the platform's `KeyFailures`). Its calls
act as one principal, `API_KEY_PRINCIPAL`. `Authorization: Bearer` carries an
access token (HS256 JWT) naming a user. A missing or refused credential is 401.
"""

from __future__ import annotations

import hashlib
import hmac

from rest_bridge.method_rules import MethodRule
from server.platform.accounts.access_tokens import AccessTokens
from server.platform.admission.call import CallInfo
from server.platform.admission.credentials import bearer_credential
from server.platform.admission.key_failures import KeyFailures
from server.platform.admission.rules import access_of
from server.platform.errors import unauthenticated
from server.platform.tenancy import Caller, Tenant

API_KEY_PRINCIPAL = "api-key"


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()


class ChassisIdentity:
    def __init__(self, tenant: Tenant, api_key: str, tokens: AccessTokens, key_failures: KeyFailures) -> None:
        self._tenant = tenant
        self._api_key = _digest(api_key) if api_key else None
        self._tokens = tokens
        self._key_failures = key_failures

    def enforces(self, rule: MethodRule) -> set[str]:
        return access_of(rule) if rule.access.authenticated else set()

    async def __call__(self, call: CallInfo) -> None:
        if call.rule.access.public:
            call.caller = Caller(self._tenant, None)
            return
        api_key = call.metadata.get("x-api-key", "").strip()
        token = bearer_credential(call.metadata)
        if api_key and self._api_key is not None:
            await self._key_failures.check(call)
            if not hmac.compare_digest(self._api_key, _digest(api_key)):
                await self._key_failures.failed(call)
                raise unauthenticated("Invalid API key")
            call.caller = Caller(self._tenant, API_KEY_PRINCIPAL)
            return
        if token:
            claims = self._tokens.verify(token)
            if not hmac.compare_digest(claims.tenant_id, self._tenant.id):
                raise unauthenticated("Invalid token")
            call.caller = Caller(self._tenant, claims.user_id)
            return
        if api_key:
            raise unauthenticated("API key authentication is not enabled")
        raise unauthenticated("Not authenticated")


def is_user(caller_id: str) -> bool:
    return caller_id != API_KEY_PRINCIPAL
