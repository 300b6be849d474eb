"""Key material for signing and verifying access tokens.

HS256 uses one shared secret: the configured one, or a random one kept in
`<data_dir>/jwt-secret` (mode 0600) so tokens survive a restart. RS256 and
ES256 sign with a private key and verify with its public key (PEM files;
the public key is derived when only the private one is given).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key

from server.platform.storage.secret_files import read_or_create_secret

_MIN_SECRET_BYTES = 32  # RFC 7518 §3.2: an HS256 key at least as long as the hash


@dataclass(frozen=True)
class TokenKeys:
    algorithm: str
    signing_key: Any
    verifying_key: Any


class TokenKeyError(ValueError):
    """The configured key material is unusable; the message says why."""


def load_token_keys(
    algorithm: str, secret: str, private_key_file: str, public_key_file: str, data_dir: Path
) -> TokenKeys:
    if algorithm == "HS256":
        value = secret or _persistent_secret(data_dir / "jwt-secret")
        if len(value.encode()) < _MIN_SECRET_BYTES:
            raise TokenKeyError(f"chittyos.auth.jwt_secret: at least {_MIN_SECRET_BYTES} bytes are required for HS256")
        return TokenKeys(algorithm, value, value)
    if not private_key_file:
        raise TokenKeyError(f"chittyos.auth.private_key_file: required for {algorithm}")
    try:
        private = load_pem_private_key(Path(private_key_file).read_bytes(), password=None)
        public = load_pem_public_key(Path(public_key_file).read_bytes()) if public_key_file else private.public_key()
    except (OSError, ValueError, TypeError) as exc:
        raise TokenKeyError(f"chittyos.auth key files: {exc}") from None
    return TokenKeys(algorithm, private, public)


def _persistent_secret(path: Path) -> str:
    return read_or_create_secret(path, lambda: secrets.token_urlsafe(48))
