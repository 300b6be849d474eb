"""Where Cloudflare Access's signing keys come from: a JWKS file, a JWKS URL,
or the development key Chorus keeps for itself.

A URL is fetched with httpx and trusted for `cache_seconds`; a token naming an
unknown `kid` refetches at once (key rotation), at most once per
`min_refresh` seconds, so forged kids cannot turn into a flood of fetches.
When a refetch fails the last good set stays in use.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from pathlib import Path
from typing import Any, Protocol

import httpx
import jwt
from jwt import PyJWK, PyJWKSet

log = logging.getLogger("chorus.jwks")


class KeysUnavailable(Exception):
    """No signing keys could be loaded."""


class SigningKeys(Protocol):
    async def key(self, kid: str | None) -> PyJWK | None:
        """The key with this id (or the only key, when `kid` is None); None if unknown."""
        ...

    async def aclose(self) -> None: ...


def parse_jwks(document: Any) -> dict[str | None, PyJWK]:
    """Public keys by `kid`; a set of one key also answers to None.

    Private members are dropped: a JWKS that holds private keys (the dev key
    file) verifies with the public half only.
    """
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise KeysUnavailable("not a JWKS document (no `keys` list)")
    public = {"keys": [_public_jwk(k) for k in document["keys"] if isinstance(k, dict)]}
    try:
        keys = PyJWKSet.from_dict(public).keys
    except jwt.PyJWKSetError as exc:
        raise KeysUnavailable(f"no usable keys: {exc}") from None
    by_kid: dict[str | None, PyJWK] = {k.key_id: k for k in keys}
    if len(keys) == 1:
        by_kid[None] = keys[0]
    return by_kid


def _public_jwk(jwk: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in jwk.items() if k not in ("d", "p", "q", "dp", "dq", "qi", "oth")}


class FileKeys:
    """A JWKS file, reread when it changes on disk."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._mtime = -1.0
        self._keys: dict[str | None, PyJWK] = {}

    async def key(self, kid: str | None) -> PyJWK | None:
        try:
            mtime = self._path.stat().st_mtime
        except OSError as exc:
            raise KeysUnavailable(f"{self._path}: {exc.strerror}") from None
        if mtime != self._mtime:
            try:
                document = json.loads(self._path.read_bytes())
            except (OSError, ValueError) as exc:
                raise KeysUnavailable(f"{self._path}: {exc}") from None
            self._keys, self._mtime = parse_jwks(document), mtime
        return self._keys.get(kid)

    async def aclose(self) -> None:
        return None


class UrlKeys:
    """A JWKS URL (Cloudflare Access: https://<team>.cloudflareaccess.com/cdn-cgi/access/certs)."""

    def __init__(self, url: str, *, cache_seconds: float, min_refresh: float, timeout: float) -> None:
        self._url = url
        self._cache_seconds = cache_seconds
        self._min_refresh = min_refresh
        self._client = httpx.AsyncClient(timeout=timeout, follow_redirects=False)
        self._keys: dict[str | None, PyJWK] = {}
        self._fetched_at = float("-inf")  # last successful fetch (monotonic)
        self._tried_at = float("-inf")  # last attempt
        self._lock = asyncio.Lock()

    async def key(self, kid: str | None) -> PyJWK | None:
        now = time.monotonic()
        stale = now - self._fetched_at > self._cache_seconds
        unknown = kid not in self._keys and now - self._tried_at >= self._min_refresh
        if stale or unknown:
            async with self._lock:
                # Another request may have refreshed while this one waited.
                if time.monotonic() - self._tried_at >= min(self._min_refresh, self._cache_seconds):
                    await self._refresh()
        if not self._keys:
            raise KeysUnavailable(f"cannot load signing keys from {self._url}")
        return self._keys.get(kid)

    async def _refresh(self) -> None:
        self._tried_at = time.monotonic()
        try:
            response = await self._client.get(self._url, headers={"accept": "application/json"})
            response.raise_for_status()
            self._keys = parse_jwks(response.json())
            self._fetched_at = time.monotonic()
        except (httpx.HTTPError, ValueError, KeysUnavailable) as exc:
            # Keep serving with the last good keys (if any).
            log.warning("JWKS fetch from %s failed: %s", self._url, exc)

    async def aclose(self) -> None:
        await self._client.aclose()
