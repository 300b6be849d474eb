"""A test identity provider: Cloudflare-Access-shaped JWTs signed by keys the tests own."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

AUDIENCE = "mcos-test-aud"
ISSUER = "https://chorus-tests.cloudflareaccess.com"


@dataclass
class TestIdp:
    """An RS256 and an ES256 key, published as one JWKS."""

    __test__ = False  # a helper, not a test class

    rsa_key: Any = field(default_factory=lambda: rsa.generate_private_key(65537, 2048))
    ec_key: Any = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    # Key ids are "rsa-<generation>" and "ec-<generation>": a rotated key set has new ids.
    generation: int = 1

    def jwks(self) -> dict[str, Any]:
        rsa_jwk = RSAAlgorithm.to_jwk(self.rsa_key.public_key(), as_dict=True)
        rsa_jwk.update({"kid": f"rsa-{self.generation}", "alg": "RS256", "use": "sig"})
        ec_jwk = ECAlgorithm.to_jwk(self.ec_key.public_key(), as_dict=True)
        ec_jwk.update({"kid": f"ec-{self.generation}", "alg": "ES256", "use": "sig"})
        return {"keys": [rsa_jwk, ec_jwk]}

    def write_jwks(self, path: Path) -> Path:
        path.write_text(json.dumps(self.jwks()))
        return path

    def token(
        self,
        sub: str,
        *,
        algorithm: str = "RS256",
        expires_in: int = 3600,
        audience: str = AUDIENCE,
        issuer: str = ISSUER,
        email: str = "",
        **extra: Any,
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": sub,
            "aud": [audience],
            "iss": issuer,
            "iat": now,
            "exp": now + expires_in,
            "email": email or f"{sub}@example.com",
            **extra,
        }
        key, kid = (self.rsa_key, "rsa") if algorithm == "RS256" else (self.ec_key, "ec")
        kid = f"{kid}-{self.generation}"
        return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": kid})


def new_sub() -> str:
    """A fresh principal: tests use one each, so quotas and data never collide."""
    return f"user_{uuid.uuid4().hex[:12]}"


@dataclass
class User:
    """One principal: its id, its assertion, and clients that send it."""

    sub: str
    token: str
    rest: httpx.Client
    grpc_metadata: tuple[tuple[str, str], ...]
