"""Bearer credentials: the admin key and access tokens, checked before a servicer runs."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection, Mapping

import grpc

from server.platform.admission.call import CallInfo
from server.platform.admission.credentials import bearer_credential, credential_required, method_name
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
    """The listed methods need `authorization: Bearer <admin key>`."""

    def __init__(self, admin: AdminKey, methods: Collection[str]) -> None:
        self._admin = admin
        self._methods = frozenset(methods)

    async def __call__(self, call: CallInfo) -> None:
        if method_name(call) not in self._methods:
            return
        if not self._admin.matches(bearer_credential(call.metadata)):
            raise ChorusError(
                grpc.StatusCode.UNAUTHENTICATED,
                "ADMIN_REQUIRED",
                "Admin credential required",
                info={"message": "Include Authorization: Bearer <admin-key> header"},
            )


class RequirePermission:
    """RBAC: each listed method needs a valid access token holding its permission.

    Methods not in `permissions` are public. The verified claims go to
    `call.token`. No token: 401; a bad one: 401 INVALID_TOKEN; a token
    without the permission: 403.
    """

    def __init__(self, tokens: AccessTokenService, permissions: Mapping[str, str]) -> None:
        self._tokens = tokens
        self._permissions = dict(permissions)

    async def __call__(self, call: CallInfo) -> None:
        needed = self._permissions.get(method_name(call))
        if needed is None:
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
