"""Access tokens: signed JWTs grouped in revocable sessions.

A token carries its subject (a ChittyID), permissions, session id and
tenant. Verification pins the configured algorithm (so `alg: none` and
algorithm confusion fail), checks the signature, issuer, audience and
expiry (against the injected clock), then that the session still stands:
revoking a session rejects all of its tokens at once.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import grpc
import jwt

from server.platform.clock import Clock
from server.platform.errors import ChorusError, not_found
from server.platform.validation import Violations
from server.surfaces.chittyos.auth.session_store import AuthSessionStore
from server.surfaces.chittyos.auth.token_keys import TokenKeys
from server.surfaces.chittyos.id.chitty_ids import INVALID_FORMAT, is_valid_chitty_id

_PERMISSION = re.compile(r"^[a-z][a-z0-9:_-]{0,63}$")
_SESSION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
_MAX_PERMISSIONS = 32
_REQUIRED_CLAIMS = ["sub", "sid", "tid", "exp", "iat", "iss", "aud", "jti"]
DEFAULT_PERMISSIONS = ("read",)


@dataclass(frozen=True, slots=True)
class AccessClaims:
    """What a verified token says."""

    subject: str
    permissions: tuple[str, ...]
    session_id: str
    expires: int  # seconds since the epoch
    lifetime: int  # seconds the token was issued for (a refresh reuses it)


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    expires_in: int
    permissions: tuple[str, ...]

    @property
    def scope(self) -> str:
        return " ".join(self.permissions)


@dataclass(frozen=True, slots=True)
class TokenPolicy:
    issuer: str
    audience: str
    default_expires_in: int
    max_expires_in: int


def invalid_token() -> ChorusError:
    return ChorusError(grpc.StatusCode.UNAUTHENTICATED, "INVALID_TOKEN", "Invalid or expired token")


class AccessTokenService:
    def __init__(self, keys: TokenKeys, policy: TokenPolicy, sessions: AuthSessionStore, clock: Clock) -> None:
        self._keys = keys
        self._policy = policy
        self._sessions = sessions
        self._clock = clock

    async def mint(
        self,
        tenant_id: str,
        subject: str,
        permissions: Sequence[str],
        expires_in: int | None,
        session_id: str = "",
    ) -> IssuedToken:
        """Issues a token for `subject`, a ChittyID (the caller has checked it is present)."""
        granted = tuple(dict.fromkeys(permissions)) or DEFAULT_PERMISSIONS
        lifetime = self._policy.default_expires_in if expires_in is None else expires_in
        problems = Violations()
        if not is_valid_chitty_id(subject):
            problems.add("chittyId", INVALID_FORMAT)
        if len(granted) > _MAX_PERMISSIONS:
            problems.add("permissions", f"At most {_MAX_PERMISSIONS} permissions")
        for i, permission in enumerate(granted):
            if not _PERMISSION.match(permission):
                problems.add(f"permissions.{i}", "Lower-case letters, digits, ':', '_' or '-', at most 64")
        if not 1 <= lifetime <= self._policy.max_expires_in:
            problems.add("expiresIn", f"Must be between 1 and {self._policy.max_expires_in} seconds")
        if session_id and not _SESSION_ID.match(session_id):
            problems.add("sessionId", "Letters, digits, '.', '_', ':' or '-', at most 64")
        problems.raise_if_any("Invalid token request")
        session_id = session_id or f"session-{uuid.uuid4()}"
        session = await self._sessions.create_or_join(tenant_id, session_id, subject, self._clock.now_ms())
        if session.revoked:
            raise ChorusError(grpc.StatusCode.FAILED_PRECONDITION, "SESSION_REVOKED", "Session revoked")
        if session.subject != subject:
            raise ChorusError(grpc.StatusCode.ALREADY_EXISTS, "SESSION_CONFLICT", "Session belongs to another ChittyID")
        return self._sign(tenant_id, subject, granted, lifetime, session_id)

    def _sign(
        self, tenant_id: str, subject: str, permissions: tuple[str, ...], lifetime: int, session_id: str
    ) -> IssuedToken:
        now = self._clock.now_ms() // 1000
        claims = {
            "iss": self._policy.issuer,
            "aud": self._policy.audience,
            "sub": subject,
            "tid": tenant_id,
            "sid": session_id,
            "permissions": list(permissions),
            "scope": " ".join(permissions),
            "iat": now,
            "exp": now + lifetime,
            "jti": secrets.token_urlsafe(12),
        }
        token = jwt.encode(claims, self._keys.signing_key, algorithm=self._keys.algorithm)
        return IssuedToken(token, lifetime, permissions)

    async def verify(self, tenant_id: str, token: str) -> AccessClaims:
        """The token's claims, or INVALID_TOKEN: bad signature, algorithm, issuer, audience,
        expiry, another tenant, or a revoked session all look the same to the caller."""
        try:
            claims = jwt.decode(
                token,
                self._keys.verifying_key,
                algorithms=[self._keys.algorithm],
                audience=self._policy.audience,
                issuer=self._policy.issuer,
                # Expiry is checked below against the injected clock.
                options={"require": _REQUIRED_CLAIMS, "verify_exp": False, "verify_iat": False},
            )
        except jwt.InvalidTokenError:
            raise invalid_token() from None
        subject, session_id, permissions = claims["sub"], claims["sid"], claims.get("permissions", [])
        exp, iat = claims["exp"], claims["iat"]
        well_formed = (
            isinstance(subject, str)
            and isinstance(session_id, str)
            and isinstance(exp, int)
            and isinstance(iat, int)
            and isinstance(permissions, list)
            and all(isinstance(p, str) for p in permissions)
        )
        if not well_formed or claims["tid"] != tenant_id or exp <= self._clock.now_ms() // 1000:
            raise invalid_token()
        session = await self._sessions.get(tenant_id, session_id)
        if session is None or session.revoked or session.subject != subject:
            raise invalid_token()
        return AccessClaims(subject, tuple(permissions), session_id, exp, max(exp - iat, 1))

    async def refresh(self, tenant_id: str, token: str) -> IssuedToken:
        """A new token for the same session, subject, permissions and lifetime."""
        claims = await self.verify(tenant_id, token)
        lifetime = min(claims.lifetime, self._policy.max_expires_in)
        return self._sign(tenant_id, claims.subject, claims.permissions, lifetime, claims.session_id)

    async def revoke_session(self, tenant_id: str, session_id: str) -> None:
        if not await self._sessions.revoke(tenant_id, session_id, self._clock.now_ms()):
            raise not_found("Session not found", reason="SESSION_NOT_FOUND")
