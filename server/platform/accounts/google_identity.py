"""Google ID tokens, verified against Google's published keys (or any JWKS URL configured).

Checks the RS256 signature with the key the token's `kid` names (PyJWT's
`PyJWKClient` fetches and caches the JWKS; it blocks, so it runs in a worker
thread), then the issuer, the audience (the configured client id), the expiry
and `email_verified`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import jwt

from server.platform.errors import unauthenticated, unavailable

ALGORITHMS = ["RS256"]


@dataclass(frozen=True, slots=True)
class GoogleIdentity:
    subject: str
    email: str
    name: str


class GoogleIdTokens:
    def __init__(self, client_id: str, jwks_url: str, issuers: Sequence[str]) -> None:
        self._client_id = client_id
        self._issuers = list(issuers)
        self._keys = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=3600, timeout=10)

    def _verify(self, token: str) -> GoogleIdentity:
        try:
            key = self._keys.get_signing_key_from_jwt(token)
            claims = jwt.decode(
                token,
                key.key,
                algorithms=ALGORITHMS,
                audience=self._client_id,
                issuer=self._issuers,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise unauthenticated("Google ID token has expired") from None
        except jwt.PyJWKClientConnectionError:
            # Google's keys could not be fetched: the token may be fine, sign-in is not.
            raise unavailable("Google sign-in is unavailable: its signing keys cannot be fetched") from None
        except (jwt.InvalidTokenError, jwt.PyJWKClientError):
            raise unauthenticated("Invalid Google ID token") from None
        if claims.get("email_verified") is not True or not claims.get("email"):
            raise unauthenticated("The Google account's e-mail address is not verified")
        return GoogleIdentity(str(claims["sub"]), str(claims["email"]), str(claims.get("name", "")))

    async def verify(self, token: str) -> GoogleIdentity:
        return await asyncio.to_thread(self._verify, token)
