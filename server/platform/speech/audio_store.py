"""Synthesized audio kept in the data directory, fetched back by signed, expiring URL.

Files live at `<data_dir>/audio/<tenant digest>/<id>.<format>` (the digest keeps
tenant ids out of paths). A clip is served only on a token that names its
tenant, id and format and has not expired: an HS256 JWT whose key is the
`url_secret` setting or, unset, a random key created once in
`<data_dir>/audio/url-signing.key` (so every worker on that directory shares
it). Clips older than their lifetime are pruned as new ones are written.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import grpc
import jwt

from server.platform.errors import ChorusError

_CLIP_NAME = re.compile(r"([0-9a-f]{32})\.([a-z0-9]{2,5})")
_AUDIENCE = "chorus-audio"


def _not_found() -> ChorusError:
    # One answer for a missing clip, a wrong token and an expired one: nothing to probe.
    return ChorusError(grpc.StatusCode.NOT_FOUND, "NOT_FOUND", "Audio not found or its link has expired")


@dataclass(frozen=True, slots=True)
class StoredClip:
    clip_id: str
    audio_format: str
    token: str
    expires_at: int  # Unix seconds

    @property
    def file_name(self) -> str:
        return f"{self.clip_id}.{self.audio_format}"


class AudioStore:
    def __init__(self, root: Path, *, lifetime_s: int, secret: str = "") -> None:
        self._root = root
        self._lifetime_s = lifetime_s
        self._secret = secret.encode()

    @functools.cached_property
    def _key(self) -> bytes:
        # Made on first use: a server that never speaks needs no writable audio directory.
        if self._secret:
            return self._secret
        self._root.mkdir(parents=True, exist_ok=True)
        return _shared_key(self._root / "url-signing.key")

    def save(self, tenant_id: str, data: bytes, audio_format: str) -> StoredClip:
        folder = self._folder(tenant_id)
        folder.mkdir(parents=True, exist_ok=True)
        self._prune(folder)
        clip_id = uuid.uuid4().hex
        part = folder / f".{clip_id}.part"
        part.write_bytes(data)
        part.replace(folder / f"{clip_id}.{audio_format}")  # readers never see half a file
        expires_at = int(time.time()) + self._lifetime_s
        claims = {"aud": _AUDIENCE, "sub": f"{clip_id}.{audio_format}", "tenant": tenant_id, "exp": expires_at}
        token = jwt.encode(claims, self._key, algorithm="HS256")
        return StoredClip(clip_id, audio_format, token, expires_at)

    def load(self, file_name: str, token: str) -> tuple[str, bytes]:
        """The clip's format and bytes, if `token` grants `file_name` and has not expired."""
        match = _CLIP_NAME.fullmatch(file_name)
        if match is None or not token:
            raise _not_found()
        try:
            claims = jwt.decode(token, self._key, algorithms=["HS256"], audience=_AUDIENCE)
        except jwt.PyJWTError:
            raise _not_found() from None
        if not secrets.compare_digest(str(claims.get("sub", "")), file_name):
            raise _not_found()
        path = self._folder(str(claims.get("tenant", ""))) / file_name
        try:
            return match.group(2), path.read_bytes()
        except FileNotFoundError:
            raise _not_found() from None

    def _folder(self, tenant_id: str) -> Path:
        return self._root / hashlib.sha256(tenant_id.encode()).hexdigest()[:32]

    def _prune(self, folder: Path) -> None:
        oldest = time.time() - self._lifetime_s
        for path in folder.iterdir():
            try:
                if path.stat().st_mtime < oldest:
                    path.unlink()
            except FileNotFoundError:
                pass  # another worker pruned it first


def _shared_key(path: Path) -> bytes:
    """The key in `path`, created (0600) by whichever process gets there first."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # the creator may not have written it yet
            key = path.read_bytes()
            if key:
                return key
            time.sleep(0.01)
        raise RuntimeError(f"{path} is empty") from None
    key = secrets.token_hex(32).encode()
    with os.fdopen(fd, "wb") as out:
        out.write(key)
    return key
