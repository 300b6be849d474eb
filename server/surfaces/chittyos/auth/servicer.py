"""chittyos.auth.v1.AuthService: token minting, verification, refresh and session revocation."""

from __future__ import annotations

import grpc
from chorus_contracts.chittyos.auth.v1 import auth_pb2, auth_pb2_grpc

from server.platform.admission.call import current_call, current_tenant_id
from server.platform.admission.credentials import bearer_credential, credential_required
from server.platform.errors import ChorusError, invalid_argument, permission_denied
from server.surfaces.chittyos.auth.access_tokens import AccessTokenService, IssuedToken, invalid_token
from server.surfaces.chittyos.auth.policies import ADMIN_PERMISSION, AdminKey

FEATURES = ("jwt-tokens", "rbac", "session-management")


def _token_fields(issued: IssuedToken) -> dict[str, object]:
    return {
        "access_token": issued.token,
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
        "scope": issued.scope,
    }


class ChittyAuthService(auth_pb2_grpc.AuthServiceServicer):
    def __init__(self, tokens: AccessTokenService, admin: AdminKey) -> None:
        self._tokens = tokens
        self._admin = admin

    async def GetHealth(
        self, request: auth_pb2.GetHealthRequest, context: grpc.aio.ServicerContext
    ) -> auth_pb2.GetHealthResponse:
        return auth_pb2.GetHealthResponse(service="auth", status="healthy", features=FEATURES)

    async def CreateToken(
        self, request: auth_pb2.CreateTokenRequest, context: grpc.aio.ServicerContext
    ) -> auth_pb2.CreateTokenResponse:
        # Admin credential: checked by the RequireAdmin policy before this runs.
        if not request.chitty_id:
            raise invalid_argument("ChittyID required", reason="CHITTY_ID_REQUIRED")
        issued = await self._tokens.mint(
            current_tenant_id(),
            request.chitty_id,
            list(request.permissions),
            request.expires_in if request.HasField("expires_in") else None,
            request.session_id,
        )
        return auth_pb2.CreateTokenResponse(**_token_fields(issued))  # type: ignore[arg-type]

    async def VerifyToken(
        self, request: auth_pb2.VerifyTokenRequest, context: grpc.aio.ServicerContext
    ) -> auth_pb2.VerifyTokenResponse:
        token = bearer_credential(current_call().metadata)
        if not token:
            raise invalid_token()
        claims = await self._tokens.verify(current_tenant_id(), token)
        return auth_pb2.VerifyTokenResponse(
            valid=True, chitty_id=claims.subject, permissions=claims.permissions, expires=claims.expires
        )

    async def RefreshToken(
        self, request: auth_pb2.RefreshTokenRequest, context: grpc.aio.ServicerContext
    ) -> auth_pb2.RefreshTokenResponse:
        token = bearer_credential(current_call().metadata)
        if not token:
            raise invalid_token()
        issued = await self._tokens.refresh(current_tenant_id(), token)
        return auth_pb2.RefreshTokenResponse(**_token_fields(issued))  # type: ignore[arg-type]

    async def RevokeSession(
        self, request: auth_pb2.RevokeSessionRequest, context: grpc.aio.ServicerContext
    ) -> auth_pb2.RevokeSessionResponse:
        await self._authorize_revoke(request.session_id)
        try:
            await self._tokens.revoke_session(current_tenant_id(), request.session_id)
        except ChorusError as exc:
            exc.info["sessionId"] = request.session_id
            raise
        return auth_pb2.RevokeSessionResponse(revoked=True, session_id=request.session_id)

    async def _authorize_revoke(self, session_id: str) -> None:
        """The admin key, a token of that session, or a token with the admin permission."""
        credential = bearer_credential(current_call().metadata)
        if self._admin.matches(credential):
            return
        if not credential:
            raise credential_required("token")
        claims = await self._tokens.verify(current_tenant_id(), credential)
        if claims.session_id != session_id and ADMIN_PERMISSION not in claims.permissions:
            error = permission_denied("Forbidden", reason="PERMISSION_DENIED")
            error.info["message"] = "A token may revoke only its own session"
            raise error
