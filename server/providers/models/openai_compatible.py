"""A model provider for any OpenAI-compatible server (vLLM, llama.cpp, Ollama, LiteLLM, OpenAI).

It streams `POST {base_url}/chat/completions` over httpx and turns the SSE
chunks into ModelEvents. Failures before the first streamed event
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

from server.providers.models.openai_wire import ChunkAssembler, chat_request_body, error_message
from server.providers.models.sse import SSEDecoder
from server.providers.models.tokenizer import count_prompt_tokens
from server.providers.models.types import ModelError, ModelEvent, ModelRequest

logger = logging.getLogger(__name__)

_TRANSIENT_STATUSES = frozenset({408, 429})
_MAX_BACKOFF = 2.0


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
        is shared and left open by `aclose`."""
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        self.name = name
        self.base_url = base_url.rstrip("/")
        self._url = f"{self.base_url}/chat/completions"
        self._timeout = httpx.Timeout(timeout, connect=connect_timeout)
        self._max_retries = max_retries
        self._retry_backoff = retry_backoff
        self._headers = {"Accept": "text/event-stream", "Content-Type": "application/json"}
        self._headers.update(headers or {})
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self._owns_client = client is None
        self._client = client if client is not None else httpx.AsyncClient(timeout=self._timeout)

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
            except (ModelError, httpx.HTTPError) as exc:
                error = exc if isinstance(exc, ModelError) else _transport_error(exc)
                transient = error.kind in ("unavailable", "timeout")
                if started or not transient or attempt >= self._max_retries:
                    raise ModelError(
                        f"{self.name}: {error.message}",
                        kind=error.kind,
                        retryable=transient and not started,
                    ) from exc
            delay = min(self._retry_backoff * 2**attempt, _MAX_BACKOFF)
            attempt += 1
            logger.warning(
                "model provider %s: %s before the first token (%s); retry %d/%d in %.2fs",
                self.name,
                error.kind,
                error.message,
                attempt,
                self._max_retries,
                delay,
            )
            await asyncio.sleep(delay)

    async def _attempt(self, body: bytes, request: ModelRequest) -> AsyncGenerator[ModelEvent, None]:
        """One HTTP request. Leaving this generator (finished, failed, closed
        by the consumer or cancelled) closes the response, so the upstream
        sees the disconnect and stops generating."""
        async with self._client.stream(
            "POST", self._url, content=body, headers=self._headers, timeout=self._timeout
        ) as response:
            if response.status_code >= 300:
                await response.aread()
                raise _status_error(response)
            content_type = response.headers.get("content-type", "")
            if not content_type.startswith("text/event-stream"):
                raise ModelError(
                    f"upstream answered {content_type or 'no content type'}, not text/event-stream",
                    kind="bad_response",
                )
            decoder, assembler = SSEDecoder(), ChunkAssembler()
            # Read to the end even after [DONE] so the connection can be reused.
            async for text in response.aiter_text():
                for sse in decoder.feed(text):
                    for event in assembler.feed(sse.data):
                        yield event
            for sse in decoder.close():
                for event in assembler.feed(sse.data):
                    yield event
            for event in assembler.finish(lambda: count_prompt_tokens(request.messages, request.tools)):
                yield event

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()


def _status_error(response: httpx.Response) -> ModelError:
    status = response.status_code
    message = error_message(response.content) or response.reason_phrase
    if status >= 500 or status in _TRANSIENT_STATUSES:
        return ModelError(f"upstream unavailable (HTTP {status}): {message}", kind="unavailable")
    if status >= 400:
        return ModelError(f"upstream rejected the request (HTTP {status}): {message}", kind="rejected")
    return ModelError(f"upstream answered HTTP {status}", kind="bad_response")


def _transport_error(exc: httpx.HTTPError) -> ModelError:
    # str(exc) names the failure (and at most the URL), never request headers.
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return ModelError(f"upstream timed out: {detail}", kind="timeout")
    if isinstance(exc, httpx.DecodingError):
        return ModelError(f"upstream response could not be decoded: {detail}", kind="bad_response")
    return ModelError(f"upstream unreachable: {detail}", kind="unavailable")
