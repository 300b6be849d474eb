"""The upstream ChittyID authority that a pipeline-mode ID service forwards to.

One `POST {upstream_url}/generate` per call, with the configured API key as
its Bearer credential. There are no retries: generation is not idempotent,
so a retry after a lost answer could mint a second id. Every failure
(unreachable, timed out, non-2xx, an answer that is not the documented JSON
object) raises `UpstreamFailure` with a short description for the caller.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from server.platform.trace_context import traced_client

# An answer is a few hundred bytes; anything this large is not one.
_MAX_ANSWER_BYTES = 1_048_576


class UpstreamFailure(Exception):
    """The upstream authority did not issue an id; `detail` says why."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True, slots=True)
class UpstreamAnswer:
    """The upstream's `/generate` answer; optional fields are None when absent."""

    chitty_id: str
    source: str | None
    note: str | None
    metadata: dict[str, Any] | None
    created: str | None


class ChittyIdUpstream:
    def __init__(self, base_url: str, api_key: str, timeout: float, client: httpx.AsyncClient | None = None) -> None:
        """`timeout` bounds the whole call (connect, send, answer). A passed
        `client` is shared and left open by `aclose`."""
        self._url = base_url.rstrip("/") + "/generate"
        self.host = urlsplit(base_url).hostname or base_url
        self._timeout = timeout
        self._headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self._owns_client = client is None
        self._client = client if client is not None else traced_client(timeout=timeout)

    def __repr__(self) -> str:
        # Deliberately omits headers: they hold the API key.
        return f"ChittyIdUpstream(url={self._url!r})"

    async def generate(self, metadata: dict[str, Any], session_context: dict[str, Any]) -> UpstreamAnswer:
        body = orjson.dumps({"metadata": metadata, "sessionContext": session_context})
        try:
            async with asyncio.timeout(self._timeout):
                status, raw = await self._post(body)
        except (TimeoutError, httpx.TimeoutException):
            raise UpstreamFailure("Central service timed out") from None
        except httpx.HTTPError:
            raise UpstreamFailure("Central service unreachable") from None
        if not 200 <= status < 300:
            raise UpstreamFailure(f"Central service returned {status}")
        return _answer(raw)

    async def _post(self, body: bytes) -> tuple[int, bytes]:
        async with self._client.stream("POST", self._url, content=body, headers=self._headers) as response:
            raw = bytearray()
            async for chunk in response.aiter_bytes():
                raw += chunk
                if len(raw) > _MAX_ANSWER_BYTES:
                    raise UpstreamFailure("Central service returned an invalid response (too large)")
            return response.status_code, bytes(raw)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()


def _answer(raw: bytes) -> UpstreamAnswer:
    invalid = UpstreamFailure("Central service returned an invalid response")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise invalid from None
    if not isinstance(data, dict) or not isinstance(data.get("chittyId"), str):
        raise invalid
    optional: dict[str, Any] = {}
    for key, kind in (("source", str), ("note", str), ("metadata", dict), ("created", str)):
        value = data.get(key)
        if value is not None and not isinstance(value, kind):
            raise invalid
        optional[key] = value
    return UpstreamAnswer(chitty_id=data["chittyId"], **optional)
