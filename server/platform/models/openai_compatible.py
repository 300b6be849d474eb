"""A model provider for any OpenAI-compatible server (vLLM, llama.cpp, Ollama, LiteLLM, OpenAI).

It streams `POST {base_url}/chat/completions` over kept-alive connections
(`HttpStreamPool`: this is the gateway's hot path; `probe` uses httpx) and
turns the SSE chunks into ModelEvents. Failures before the first streamed event
(connection errors, timeouts, 5xx, 408 and 429) are retried with short
exponential backoff, because the consumer has seen nothing yet; once an
event went out, a failure is raised as is, since a retry would duplicate
text the user already saw.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from contextlib import aclosing

import httpx
import orjson

from server.platform.http_stream_pool import HttpStreamPool, UpstreamError
from server.platform.models.openai_wire import ChunkAssembler, chat_request_body
from server.platform.models.sse_decode import SseDataDecoder
from server.platform.models.tokenizer import count_prompt_tokens
from server.platform.models.types import ModelError, ModelEvent, ModelRequest
from server.platform.upstream_http import (
    TRANSIENT_KINDS,
    UpstreamHttp,
    status_error,
    status_failure,
    transport_error,
)

logger = logging.getLogger(__name__)


class OpenAICompatibleProvider:
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
        """`timeout` bounds each wait for upstream bytes (so a stalled stream
        fails), `connect_timeout` each connection attempt. A passed `client`
        (httpx, for `probe`) is shared and left open by `aclose`."""
        self.name = name
        self._http = UpstreamHttp(
            base_url,
            api_key,
            accept="text/event-stream",
            timeout=timeout,
            connect_timeout=connect_timeout,
            max_retries=max_retries,
            headers=headers,
            client=client,
            retry_backoff=retry_backoff,
        )
        self.base_url = self._http.base_url
        self._pool = HttpStreamPool(self.base_url, connect_timeout=connect_timeout, read_timeout=timeout)
        self._chat_head = self._pool.request_head("POST", "chat/completions", self._http.headers)

    def __repr__(self) -> str:
        # Deliberately omits headers: they hold the API key.
        return f"OpenAICompatibleProvider(name={self.name!r}, base_url={self.base_url!r})"

    async def stream(self, request: ModelRequest) -> AsyncIterator[ModelEvent]:
        body = orjson.dumps(chat_request_body(request))
        attempt = 0
        while True:
            started = False
            try:
                async with aclosing(self._attempt(body, request)) as events:
                    async for event in events:
                        started = True
                        yield event
                return
            except (ModelError, UpstreamError) as exc:
                error = exc if isinstance(exc, ModelError) else ModelError(exc.message, kind=exc.kind)
                transient = error.kind in TRANSIENT_KINDS
                if started or not transient or attempt >= self._http.max_retries:
                    raise ModelError(
                        f"{self.name}: {error.message}",
                        kind=error.kind,
                        retryable=transient and not started,
                    ) from exc
            delay = self._http.retry_delay(attempt)
            attempt += 1
            logger.warning(
                "model provider %s: %s before the first token (%s); retry %d/%d in %.2fs",
                self.name,
                error.kind,
                error.message,
                attempt,
                self._http.max_retries,
                delay,
            )
            await asyncio.sleep(delay)

    async def _attempt(self, body: bytes, request: ModelRequest) -> AsyncGenerator[ModelEvent, None]:
        """One HTTP request. Leaving this generator (finished, failed, closed
        by the consumer or cancelled) closes the response, so the upstream
        sees the disconnect and stops generating."""
        async with self._pool.open(self._chat_head, body) as response:
            if response.status >= 300:
                raise status_failure(response.status, await response.read())
            content_type = response.headers.get(b"content-type", b"")
            if not content_type.startswith(b"text/event-stream"):
                named = content_type.decode("latin-1") or "no content type"
                raise ModelError(f"upstream answered {named}, not text/event-stream", kind="bad_response")
            assembler = ChunkAssembler()
            decoder = SseDataDecoder()
            # Read to the end even after [DONE] so the connection can be reused.
            while (received := await response.next_chunk()) is not None:
                for data in decoder.feed(received):
                    for event in assembler.feed(data):
                        yield event
            for event in assembler.finish(lambda: count_prompt_tokens(request.messages, request.tools)):
                yield event

    async def probe(self) -> None:
        """Lists the upstream's models (`GET /models`): reachable and accepting our key."""
        try:
            response = await self._http.client.get(
                self._http.url("models"), headers=self._http.headers, timeout=self._http.timeout
            )
        except httpx.HTTPError as exc:
            raise transport_error(exc) from None
        if response.status_code != 200:
            raise status_error(response)

    async def aclose(self) -> None:
        await self._pool.aclose()
        await self._http.aclose()
