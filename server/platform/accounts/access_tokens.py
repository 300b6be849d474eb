"""Access tokens: short-lived HS256 JWTs naming a user of a tenant.

Decoding pins the algorithm (HS256 alone: `alg: none` and algorithm
confusion are refused), and requires the signature, expiry, issuer, audience
and subject.
"""

from __future__ import annotations

from dataclasses import dataclass

import jwt

from server.platform.clock import Clock
from server.platform.errors import unauthenticated

ALGORITHM = "HS256"
_REQUIRED = ["exp", "iat", "sub", "iss", "aud"]


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: str
    tenant_id: str


class AccessTokens:
    def __init__(self, secret: str, issuer: str, clock: Clock, lifetime_s: int) -> None:
        """`issuer`: also the audience; tokens of another deployment are refused."""
        self._secret = secret
        self._issuer = issuer
        self._clock = clock
        self.lifetime_s = lifetime_s

    def issue(self, tenant_id: str, user_id: str) -> str:
        now = self._clock.now_ms() // 1000
        claims = {
            "sub": user_id,
            "tid": tenant_id,
            "iss": self._issuer,
            "aud": self._issuer,
            "iat": now,
            "exp": now + self.lifetime_s,
            "typ": "access",
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def verify(self, token: str) -> AccessClaims:
        """The token's claims; UNAUTHORIZED for a forged, expired or malformed one."""
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=self._issuer,
                issuer=self._issuer,
                options={"require": _REQUIRED, "verify_iat": False},
                leeway=0,
            )
        except jwt.ExpiredSignatureError:
            raise unauthenticated("Token has expired") from None
        except jwt.InvalidTokenError:
            raise unauthenticated("Invalid token") from None
        # The library checks `exp` against the wall clock; the platform clock decides too (tests move it).
        if claims.get("typ") != "access" or int(claims["exp"]) <= self._clock.now_ms() // 1000:
            raise unauthenticated("Invalid token")
        return AccessClaims(str(claims["sub"]), str(claims.get("tid", "")))
