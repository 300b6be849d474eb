"""Bearer credentials: the admin key and access tokens, checked before a servicer runs."""

from __future__ import annotations

import hashlib
import hmac

import grpc

from rest_bridge.method_rules import MethodRule
from server.platform.admission.call import CallInfo
from server.platform.admission.credentials import bearer_credential, credential_required
from server.platform.admission.rules import access_of
from server.platform.errors import ChorusError, permission_denied
from server.surfaces.chittyos.auth.access_tokens import AccessTokenService

# A token with this permission may do what any permission allows.
ADMIN_PERMISSION = "admin"


class AdminKey:
    """The bootstrap admin credential, kept only as a SHA-256 and compared in constant time."""

    def __init__(self, secret: str) -> None:
        self._digest = hashlib.sha256(secret.encode()).digest() if secret else None

    def matches(self, credential: str) -> bool:
        if self._digest is None or not credential:
            return False
        return hmac.compare_digest(self._digest, hashlib.sha256(credential.encode()).digest())


class RequireAdmin:
    """Methods whose rule needs the `admin` permission need `authorization: Bearer <admin key>`."""

    def __init__(self, admin: AdminKey) -> None:
        self._admin = admin

    def enforces(self, rule: MethodRule) -> set[str]:
        return access_of(rule) if rule.access.permission == ADMIN_PERMISSION else set()

    async def __call__(self, call: CallInfo) -> None:
        if call.rule.access.permission != ADMIN_PERMISSION:
            return
        if not self._admin.matches(bearer_credential(call.metadata)):
            raise ChorusError(
                grpc.StatusCode.UNAUTHENTICATED,
                "ADMIN_REQUIRED",
                "Admin credential required",
                info={"message": "Include Authorization: Bearer <admin-key> header"},
            )


class RequirePermission:
    """RBAC: a method whose rule names a permission needs a valid access token holding it
    (or `admin`). The verified claims go to `call.token`. No token: 401; a bad one:
    401 INVALID_TOKEN; a token without the permission: 403.
    """

    def __init__(self, tokens: AccessTokenService) -> None:
        self._tokens = tokens

    def enforces(self, rule: MethodRule) -> set[str]:
        return access_of(rule) if rule.access.permission else set()

    async def __call__(self, call: CallInfo) -> None:
        needed = call.rule.access.permission
        if not needed:
            return
        credential = bearer_credential(call.metadata)
        if not credential:
            raise credential_required("token")
        assert call.caller is not None, "a tenant policy must run first"
        claims = await self._tokens.verify(call.caller.tenant.id, credential)
        call.token = claims
        if needed not in claims.permissions and ADMIN_PERMISSION not in claims.permissions:
            error = permission_denied("Forbidden", reason="PERMISSION_DENIED")
            error.info["message"] = f"This route needs the '{needed}' permission"
            raise error
