"""Cloudflare Access JWT assertions: verification, and the development issuer.

Verification pins the algorithm to the signing key's own (so an RSA public
key can never verify an HS256 token), checks the signature, `aud`, `iss`,
and `exp`/`nbf`/`iat` against the injected clock with a small leeway, and
requires `sub`, the principal that owns every row.

Without a configured JWKS, Chorus is its own development identity provider:
an ES256 key kept in `<data_dir>/mcos-dev-jwks.json` signs the tokens that
`chorus mcos token` mints. Configuring `mcos.access.jwks_file` or `jwks_url`
turns that off.
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from server.platform.clock import Clock
from server.platform.storage.secret_files import read_or_create_secret
from server.surfaces.mcos.access.jwks import FileKeys, KeysUnavailable, SigningKeys, UrlKeys
from server.surfaces.mcos.settings import McosAccessSettings

DEV_JWKS_FILE = "mcos-dev-jwks.json"
# Times are checked against the injected clock, not PyJWT's.
_DECODE_OPTIONS: Any = {
    "require": ["exp", "sub", "aud", "iss"],
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
}


@dataclass(frozen=True, slots=True)
class AccessIdentity:
    sub: str
    email: str


class AssertionRejected(Exception):
    """The assertion is missing, malformed, forged or expired; the message says which."""


class AccessAssertionVerifier:
    def __init__(self, keys: SigningKeys, settings: McosAccessSettings, clock: Clock) -> None:
        self._keys = keys
        self._audience = settings.audience
        self._issuer = settings.issuer
        self._algorithms = frozenset(settings.algorithms)
        self._leeway = settings.leeway
        self._clock = clock

    async def verify(self, token: str) -> AccessIdentity:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError:
            raise AssertionRejected("Malformed access token") from None
        algorithm, kid = header.get("alg"), header.get("kid")
        if algorithm not in self._algorithms:
            raise AssertionRejected("Access token algorithm not allowed")
        if kid is not None and not isinstance(kid, str):
            raise AssertionRejected("Malformed access token")
        try:
            key = await self._keys.key(kid)
        except KeysUnavailable as exc:
            raise AssertionRejected(f"Cannot verify access tokens: {exc}") from None
        if key is None:
            raise AssertionRejected("Access token signed by an unknown key")
        if key.algorithm_name != algorithm:
            raise AssertionRejected("Access token algorithm does not match its key")
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[algorithm],
                audience=self._audience,
                issuer=self._issuer,
                options=_DECODE_OPTIONS,
            )
        except jwt.InvalidAudienceError:
            raise AssertionRejected("Access token audience mismatch") from None
        except jwt.InvalidIssuerError:
            raise AssertionRejected("Access token issuer mismatch") from None
        except jwt.MissingRequiredClaimError as exc:
            raise AssertionRejected(f"Access token lacks the {exc.claim!r} claim") from None
        except jwt.InvalidTokenError:
            raise AssertionRejected("Invalid access token signature") from None
        self._check_times(claims)
        sub = claims["sub"]
        if not isinstance(sub, str) or not sub or len(sub) > 200:
            raise AssertionRejected("Access token `sub` must be a non-empty string")
        email = claims.get("email")
        return AccessIdentity(sub, email if isinstance(email, str) else "")

    def _check_times(self, claims: dict[str, Any]) -> None:
        now = self._clock.now_ms() / 1000
        exp: Any = claims.get("exp")
        nbf: Any = claims.get("nbf")
        if not _is_number(exp) or (nbf is not None and not _is_number(nbf)):
            raise AssertionRejected("Access token times must be numbers")
        if now > exp + self._leeway:
            raise AssertionRejected("Access token expired")
        if nbf is not None and now + self._leeway < nbf:
            raise AssertionRejected("Access token not valid yet")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def signing_keys(settings: McosAccessSettings, data_dir: Path) -> SigningKeys:
    if settings.jwks_url:
        return UrlKeys(
            settings.jwks_url,
            cache_seconds=settings.jwks_cache_seconds,
            min_refresh=settings.jwks_min_refresh,
            timeout=settings.jwks_timeout,
        )
    if settings.jwks_file:
        return FileKeys(Path(settings.jwks_file))
    dev_key_set(data_dir)
    return FileKeys(data_dir / DEV_JWKS_FILE)


# --- the development identity provider ---


def dev_key_set(data_dir: Path) -> dict[str, Any]:
    """The dev JWKS (private key included), created on first use with mode 0600."""

    def generate() -> str:
        jwk = ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP256R1()), as_dict=True)
        jwk.update({"kid": f"chorus-dev-{secrets.token_hex(4)}", "alg": "ES256", "use": "sig"})
        return json.dumps({"keys": [jwk]})

    document: dict[str, Any] = json.loads(read_or_create_secret(data_dir / DEV_JWKS_FILE, generate))
    return document


def mint_dev_assertion(
    data_dir: Path,
    settings: McosAccessSettings,
    sub: str,
    *,
    email: str = "",
    now: int,
    expires_in: int = 3600,
) -> str:
    """A token signed with the dev key, shaped like Cloudflare Access's."""
    jwk = dev_key_set(data_dir)["keys"][0]
    key = ECAlgorithm.from_jwk(jwk)
    claims: dict[str, Any] = {
        "sub": sub,
        "aud": [settings.audience],
        "iss": settings.issuer,
        "iat": now,
        "nbf": now,
        "exp": now + expires_in,
        "type": "app",
        "identity_nonce": uuid.uuid4().hex,
    }
    if email:
        claims["email"] = email
    return jwt.encode(claims, key, algorithm="ES256", headers={"kid": jwk["kid"]})  # type: ignore[arg-type]
