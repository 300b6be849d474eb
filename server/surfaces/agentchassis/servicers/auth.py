"""agentchassis.v1.AuthService."""

from __future__ import annotations

import grpc
from chorus_contracts.agentchassis.v1 import auth_pb2, auth_pb2_grpc

from server.platform.accounts.users import Account
from server.platform.errors import unauthenticated
from server.surfaces.agentchassis.admission import is_user
from server.surfaces.agentchassis.auth import ChassisAuth, Tokens
from server.surfaces.agentchassis.servicers.common import caller_id, timestamp


def user_of(account: Account) -> auth_pb2.User:
    return auth_pb2.User(
        id=account.id,
        email=account.email,
        display_name=account.name,
        email_verified=account.email_verified,
        created_at=timestamp(account.created_at_ms),
    )


def tokens_of(tokens: Tokens) -> auth_pb2.Tokens:
    return auth_pb2.Tokens(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        token_type="bearer",
        expires_in=tokens.expires_in,
    )


class AgentChassisAuthService(auth_pb2_grpc.AuthServiceServicer):
    def __init__(self, auth: ChassisAuth) -> None:
        self._auth = auth

    async def Register(
        self, request: auth_pb2.RegisterRequest, context: grpc.aio.ServicerContext
    ) -> auth_pb2.RegisterResponse:
        account = await self._auth.register(request.email, request.password, request.display_name)
        return auth_pb2.RegisterResponse(user=user_of(account))

    async def VerifyEmail(
        self, request: auth_pb2.VerifyEmailRequest, context: grpc.aio.ServicerContext
    ) -> auth_pb2.VerifyEmailResponse:
        return auth_pb2.VerifyEmailResponse(user=user_of(await self._auth.verify_email(request.email, request.code)))

    async def ResendVerification(
        self, request: auth_pb2.ResendVerificationRequest, context: grpc.aio.ServicerContext
    ) -> auth_pb2.ResendVerificationResponse:
        return auth_pb2.ResendVerificationResponse(message=await self._auth.resend_verification(request.email))

    async def Login(self, request: auth_pb2.LoginRequest, context: grpc.aio.ServicerContext) -> auth_pb2.LoginResponse:
        return auth_pb2.LoginResponse(tokens=tokens_of(await self._auth.login(request.email, request.password)))

    async def Refresh(
        self, request: auth_pb2.RefreshRequest, context: grpc.aio.ServicerContext
    ) -> auth_pb2.RefreshResponse:
        return auth_pb2.RefreshResponse(tokens=tokens_of(await self._auth.refresh(request.refresh_token)))

    async def Google(
        self, request: auth_pb2.GoogleRequest, context: grpc.aio.ServicerContext
    ) -> auth_pb2.GoogleResponse:
        return auth_pb2.GoogleResponse(tokens=tokens_of(await self._auth.google(request.id_token)))

    async def PasswordReset(
        self, request: auth_pb2.PasswordResetRequest, context: grpc.aio.ServicerContext
    ) -> auth_pb2.PasswordResetResponse:
        return auth_pb2.PasswordResetResponse(message=await self._auth.password_reset(request.email))

    async def PasswordResetConfirm(
        self, request: auth_pb2.PasswordResetConfirmRequest, context: grpc.aio.ServicerContext
    ) -> auth_pb2.PasswordResetConfirmResponse:
        message = await self._auth.password_reset_confirm(request.email, request.code, request.new_password)
        return auth_pb2.PasswordResetConfirmResponse(message=message)

    async def Me(self, request: auth_pb2.MeRequest, context: grpc.aio.ServicerContext) -> auth_pb2.MeResponse:
        user = caller_id()
        if not is_user(user):
            raise unauthenticated("GET /auth/me needs a user's access token, not the API key")
        return auth_pb2.MeResponse(user=user_of(await self._auth.me(user)))
