"""Signing secrets sealed at rest: signing needs each secret back, so it is encrypted
(Fernet: AES-128-CBC + HMAC) rather than hashed, under the deployment's webhook key."""

from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet

from server.platform.storage.secret_files import read_or_create_secret


class SecretBox:
    def __init__(self, key: str, data_dir: Path) -> None:
        if not key:
            key = read_or_create_secret(data_dir / "webhook-secret.key", lambda: Fernet.generate_key().decode())
        self._fernet = Fernet(key.encode())

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str:
        return self._fernet.decrypt(sealed.encode()).decode()
