"""Agent Chassis's user sign-in: register, verify, log in, refresh, reset, Google.

Accounts are the platform's (`UserAccounts`, with argon2id passwords); codes,
refresh tokens and access tokens are the platform's too. What is decided here:
which status each failure gets (see the README's "Agent Chassis" section),
what is mailed, and that answers never tell whether an address has an account
where the document's flow lets a stranger ask (password reset, resend).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

import grpc

from server.platform.accounts.access_tokens import AccessTokens
from server.platform.accounts.codes import PASSWORD_RESET, VERIFY_EMAIL, AccountCodes
from server.platform.accounts.google_identity import GoogleIdTokens
from server.platform.accounts.passwords import check_policy, hash_password, verify_password
from server.platform.accounts.refresh_tokens import RefreshTokens
from server.platform.accounts.users import Account, UserAccounts, normalized_email
from server.platform.errors import ChorusError, already_exists, invalid_argument, unauthenticated, unavailable
from server.platform.mail import Mail, Mailer

log = logging.getLogger("chorus.agentchassis")

PLAN = "user"  # Agent Chassis has no plans; the column names the kind of account
RESET_ANSWER = "If an account exists for that address, a password reset code has been sent"
RESEND_ANSWER = "If that address has an unverified account, a new verification code has been sent"


@dataclass(frozen=True, slots=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_in: int


def _bad_code() -> ChorusError:
    return invalid_argument("Invalid or expired code")


def email_not_verified() -> ChorusError:
    return ChorusError(grpc.StatusCode.PERMISSION_DENIED, "EMAIL_NOT_VERIFIED", "Email not verified")


class ChassisAuth:
    def __init__(
        self,
        tenant_id: str,
        users: UserAccounts,
        codes: AccountCodes,
        refresh: RefreshTokens,
        access: AccessTokens,
        mailer: Mailer,
        google: GoogleIdTokens | None,
        code_minutes: float,
    ) -> None:
        self._tenant = tenant_id
        self._users = users
        self._codes = codes
        self._refresh = refresh
        self._access = access
        self._mailer = mailer
        self._google = google
        self._code_minutes = code_minutes
        self._mailing: set[asyncio.Task[None]] = set()

    def _in_background(self, work: Coroutine[Any, Any, None]) -> None:
        """Mail that a stranger may ask for goes out after the answer, so the answer takes
        as long whether the account exists or not."""
        task = asyncio.create_task(work)
        self._mailing.add(task)
        task.add_done_callback(self._mailed)

    def _mailed(self, task: asyncio.Task[None]) -> None:
        self._mailing.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("a mail was not sent: %s", type(task.exception()).__name__)

    async def aclose(self) -> None:
        if self._mailing:
            await asyncio.gather(*self._mailing, return_exceptions=True)

    async def _mail_code(self, account: Account, purpose: str) -> None:
        code = await self._codes.issue(self._tenant, account.id, purpose)
        minutes = f"{self._code_minutes:g}"
        if purpose == VERIFY_EMAIL:
            mail = Mail(
                account.email,
                "Verify your email",
                f"Your verification code is {code}\n\nIt expires in {minutes} minutes.",
            )
        else:
            mail = Mail(
                account.email,
                "Reset your password",
                f"Your password reset code is {code}\n\nIt expires in {minutes} minutes. "
                "If you did not ask for it, ignore this mail.",
            )
        await self._mailer.send(mail)

    async def register(self, email: str, password: str, display_name: str) -> Account:
        normalized_email(email)
        check_policy(password)
        hashed = await hash_password(password)
        try:
            account = await self._users.create(self._tenant, email, display_name, PLAN, password_hash=hashed)
        except ChorusError as exc:
            if exc.code == grpc.StatusCode.ALREADY_EXISTS:
                raise already_exists("Email already registered") from None
            raise
        await self._mail_code(account, VERIFY_EMAIL)
        return account

    async def verify_email(self, email: str, code: str) -> Account:
        found = await self._users.find(self._tenant, email)
        if found is None:
            raise _bad_code()
        account = found[0]
        if account.email_verified:
            return account
        if not await self._codes.redeem(self._tenant, account.id, VERIFY_EMAIL, code):
            raise _bad_code()
        return await self._users.mark_verified(self._tenant, account.id)

    async def resend_verification(self, email: str) -> str:
        normalized_email(email)
        found = await self._users.find(self._tenant, email)
        if found is not None and not found[0].email_verified:
            self._in_background(self._mail_code(found[0], VERIFY_EMAIL))
        return RESEND_ANSWER

    async def _tokens(self, user_id: str) -> Tokens:
        refresh = await self._refresh.issue(self._tenant, user_id)
        return Tokens(self._access.issue(self._tenant, user_id), refresh, self._access.lifetime_s)

    async def login(self, email: str, password: str) -> Tokens:
        found = await self._users.find(self._tenant, email)
        account, stored = found if found is not None else (None, None)
        # Verified whether or not the account exists: the same work either way.
        if not await verify_password(stored, password) or account is None:
            raise unauthenticated("Incorrect email or password")
        if not account.email_verified:
            raise email_not_verified()
        return await self._tokens(account.id)

    async def refresh(self, token: str) -> Tokens:
        rotated = await self._refresh.rotate(self._tenant, token)
        return Tokens(self._access.issue(self._tenant, rotated.user_id), rotated.token, self._access.lifetime_s)

    async def google(self, id_token: str) -> Tokens:
        if self._google is None:
            raise unavailable("Google sign-in is not configured")
        identity = await self._google.verify(id_token)
        found = await self._users.find(self._tenant, identity.email)
        if found is None:
            try:
                account = await self._users.create(self._tenant, identity.email, identity.name, PLAN, verified=True)
            except ChorusError as exc:
                if exc.code != grpc.StatusCode.ALREADY_EXISTS:
                    raise
                again = await self._users.find(self._tenant, identity.email)
                assert again is not None, "it exists"
                account = again[0]
        else:
            # Google vouches for the address: an account registered with it is now verified.
            account = await self._users.mark_verified(self._tenant, found[0].id)
        return await self._tokens(account.id)

    async def password_reset(self, email: str) -> str:
        normalized_email(email)
        found = await self._users.find(self._tenant, email)
        if found is not None:
            self._in_background(self._mail_code(found[0], PASSWORD_RESET))
        return RESET_ANSWER

    async def password_reset_confirm(self, email: str, code: str, new_password: str) -> str:
        check_policy(new_password, "new_password")
        found = await self._users.find(self._tenant, email)
        if found is None or not await self._codes.redeem(self._tenant, found[0].id, PASSWORD_RESET, code):
            raise _bad_code()
        account = found[0]
        await self._users.set_password_hash(self._tenant, account.id, await hash_password(new_password))
        # The mailed code proves the address too.
        await self._users.mark_verified(self._tenant, account.id)
        await self._refresh.revoke_user(self._tenant, account.id)
        return "Password has been reset"

    async def me(self, user_id: str) -> Account:
        return await self._users.get(self._tenant, user_id)
