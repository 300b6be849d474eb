"""Asymmetric signing (RS256, ES256) and key configuration errors."""

from __future__ import annotations

from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.support.chorus_process import ChorusProcess

ADMIN = "asymmetric-admin-key"
AUTH_HOST = {"host": "auth.chitty.cc"}


def _write_keys(directory: Path, algorithm: str) -> tuple[Path, bytes]:
    key = rsa.generate_private_key(65537, 2048) if algorithm == "RS256" else ec.generate_private_key(ec.SECP256R1())
    private = directory / "jwt-private.pem"
    private.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


@pytest.mark.parametrize("algorithm", ["RS256", "ES256"])
def test_asymmetric_tokens(tmp_path: Path, algorithm: str) -> None:
    private, public = _write_keys(tmp_path, algorithm)
    config = f"""
[chittyos.auth]
admin_key = "{ADMIN}"
algorithm = "{algorithm}"
private_key_file = "{private}"
"""
    with ChorusProcess(tmp_path / "data", config_toml=config) as proc, httpx.Client(
        base_url=proc.rest_url, headers=AUTH_HOST, timeout=30
    ) as auth:
        minted = auth.post(
            "/api/auth/token",
            json={"chittyId": "01-P-EO-0001-T-25-C-X", "permissions": ["read"]},
            headers={"authorization": f"Bearer {ADMIN}"},
        )
        token = minted.json()["access_token"]
        assert jwt.get_unverified_header(token)["alg"] == algorithm
        # Anyone holding the public key can check it.
        claims = jwt.decode(token, public, algorithms=[algorithm], audience="chittyos")
        assert claims["sub"] == "01-P-EO-0001-T-25-C-X"
        assert auth.post("/api/auth/verify", headers={"authorization": f"Bearer {token}"}).status_code == 200
        # Algorithm confusion: the public key used as an HMAC secret must not pass.
        import base64
        import hashlib
        import hmac

        def b64(data: bytes) -> str:
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

        header = b64(b'{"alg":"HS256","typ":"JWT"}')
        payload = token.split(".")[1]
        signature = b64(hmac.new(public, f"{header}.{payload}".encode(), hashlib.sha256).digest())
        confused = f"{header}.{payload}.{signature}"
        response = auth.post("/api/auth/verify", headers={"authorization": f"Bearer {confused}"})
        assert response.status_code == 401
        assert response.json() == {"valid": False, "error": "Invalid or expired token"}


@pytest.mark.parametrize(
    ("config", "named"),
    [
        ('[chittyos.auth]\nalgorithm = "ES256"\n', "chittyos.auth.private_key_file"),
        ('[chittyos.auth]\nalgorithm = "RS256"\nprivate_key_file = "/nonexistent.pem"\n', "chittyos.auth key files"),
        ('[chittyos.auth]\njwt_secret = "short"\n', "chittyos.auth.jwt_secret"),
    ],
)
def test_bad_key_configuration_stops_the_start(tmp_path: Path, config: str, named: str) -> None:
    proc = ChorusProcess(tmp_path / "bad", config_toml=config)
    with pytest.raises(RuntimeError) as failed:
        proc.start(timeout=20)
    assert named in str(failed.value)
