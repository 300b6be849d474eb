"""Embeddings from any OpenAI-compatible server: `POST {base_url}/embeddings` over httpx.

Embedding a text is idempotent, so transient failures (connection errors,
timeouts, 5xx, 408 and 429) are retried with short exponential backoff up to
`max_retries` times. Vectors come back as `float` arrays; a base64 answer
(some servers ignore `encoding_format`) is decoded too. The upstream's usage
is passed through; without it, prompt tokens are estimated with Chorus's
tokenizer so metering never sees zero.
"""

from __future__ import annotations

import array
import asyncio
import base64
import binascii
import logging
import math
import sys
from collections.abc import Mapping
from typing import Any

import httpx
import orjson

from server.platform.embeddings.types import EmbeddingRequest, EmbeddingResult
from server.platform.models.tokenizer import count_tokens
from server.platform.models.types import ModelError
from server.platform.upstream_http import TRANSIENT_KINDS, UpstreamHttp, status_error, transport_error

logger = logging.getLogger(__name__)


class OpenAICompatibleEmbedder:
    def __init__(
        self,
        name: str,
        base_url: str,
        api_key: str | None,
        *,
        timeout: float,
        connect_timeout: float,
        max_retries: int,
        headers: Mapping[str, str] | None = None,
        client: httpx.AsyncClient | None = None,
        retry_backoff: float = 0.2,
    ) -> None:
        """`timeout` bounds each wait for upstream bytes, `connect_timeout` each
        connection attempt. A passed `client` is shared and left open by `aclose`."""
        self.name = name
        self._http = UpstreamHttp(
            base_url,
            api_key,
            accept="application/json",
            timeout=timeout,
            connect_timeout=connect_timeout,
            max_retries=max_retries,
            headers=headers,
            client=client,
            retry_backoff=retry_backoff,
        )
        self.base_url = self._http.base_url
        self._url = self._http.url("embeddings")

    def __repr__(self) -> str:
        # Deliberately omits headers: they hold the API key.
        return f"OpenAICompatibleEmbedder(name={self.name!r}, base_url={self.base_url!r})"

    async def embed(self, request: EmbeddingRequest) -> EmbeddingResult:
        body: dict[str, Any] = {"model": request.model, "input": list(request.texts), "encoding_format": "float"}
        if request.dimensions is not None:
            body["dimensions"] = request.dimensions
        content = orjson.dumps(body)
        attempt = 0
        while True:
            try:
                return await self._attempt(content, request)
            except (ModelError, httpx.HTTPError) as exc:
                error = exc if isinstance(exc, ModelError) else transport_error(exc)
                transient = error.kind in TRANSIENT_KINDS
                if not transient or attempt >= self._http.max_retries:
                    raise ModelError(f"{self.name}: {error.message}", kind=error.kind) from exc
            delay = self._http.retry_delay(attempt)
            attempt += 1
            logger.warning(
                "embedding provider %s: %s (%s); retry %d/%d in %.2fs",
                self.name,
                error.kind,
                error.message,
                attempt,
                self._http.max_retries,
                delay,
            )
            await asyncio.sleep(delay)

    async def _attempt(self, content: bytes, request: EmbeddingRequest) -> EmbeddingResult:
        response = await self._http.client.post(
            self._url, content=content, headers=self._http.headers, timeout=self._http.timeout
        )
        if response.status_code >= 300:
            raise status_error(response)
        try:
            payload = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise ModelError("upstream embeddings answer is not JSON", kind="bad_response") from None
        return _parse_result(payload, request)

    async def aclose(self) -> None:
        await self._http.aclose()


def _parse_result(payload: Any, request: EmbeddingRequest) -> EmbeddingResult:
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, list) or len(data) != len(request.texts):
        count = len(data) if isinstance(data, list) else "no"
        raise ModelError(f"upstream returned {count} embeddings for {len(request.texts)} inputs", kind="bad_response")
    vectors: list[list[float] | None] = [None] * len(data)
    for position, item in enumerate(data):
        if not isinstance(item, dict):
            raise ModelError("upstream embedding item is not an object", kind="bad_response")
        index = item.get("index", position)
        if not isinstance(index, int) or not 0 <= index < len(data) or vectors[index] is not None:
            raise ModelError(f"upstream embedding has a bad index: {index!r}", kind="bad_response")
        vectors[index] = _vector(item.get("embedding"))
    usage = payload.get("usage")
    tokens = usage.get("prompt_tokens") if isinstance(usage, dict) else None
    if not isinstance(tokens, int):
        tokens = sum(count_tokens(text) for text in request.texts)
    return EmbeddingResult([v for v in vectors if v is not None], tokens)


def _vector(value: Any) -> list[float]:
    floats = _floats(value)
    if not all(map(math.isfinite, floats)):
        raise ModelError("upstream embedding has non-finite values", kind="bad_response")
    return floats


def _floats(value: Any) -> list[float]:
    if isinstance(value, list) and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in value):
        return [float(x) for x in value]
    if isinstance(value, str):
        try:
            raw = base64.b64decode(value, validate=True)
        except binascii.Error:
            raise ModelError("upstream embedding is not valid base64", kind="bad_response") from None
        if len(raw) % 4:
            raise ModelError("upstream base64 embedding is not float32 values", kind="bad_response")
        floats = array.array("f", raw)
        if sys.byteorder != "little":
            floats.byteswap()
        return floats.tolist()
    raise ModelError("upstream embedding is neither a number array nor base64", kind="bad_response")
