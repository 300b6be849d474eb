"""One OpenAI-compatible upstream over httpx: its client, headers, timeouts,
retry pacing and how its failures read as ModelErrors.

Shared by the chat provider and the embedder, which differ only in the
route they call and how they read the answer.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from server.platform.models.openai_wire import error_message
from server.platform.models.types import ModelError
from server.platform.trace_context import traced_client

_TRANSIENT_STATUSES = frozenset({408, 429})
_MAX_BACKOFF = 2.0
# Error kinds worth another attempt (when nothing has reached the consumer yet).
TRANSIENT_KINDS = frozenset({"unavailable", "timeout"})


class UpstreamHttp:
    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        accept: str,
        timeout: float,
        connect_timeout: float,
        max_retries: int,
        headers: Mapping[str, str] | None = None,
        client: httpx.AsyncClient | None = None,
        retry_backoff: float = 0.2,
    ) -> None:
        """`timeout` bounds each wait for upstream bytes, `connect_timeout` each
        connection attempt. A passed `client` is shared and left open by `aclose`."""
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        self.base_url = base_url.rstrip("/")
        self.timeout = httpx.Timeout(timeout, connect=connect_timeout)
        self.max_retries = max_retries
        self._retry_backoff = retry_backoff
        self.headers = {"Accept": accept, "Content-Type": "application/json"}
        self.headers.update(headers or {})
        if api_key:
            self.headers["Authorization"] = f"Bearer {api_key}"
        self._owns_client = client is None
        self.client = client if client is not None else traced_client(timeout=self.timeout)

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path}"

    def retry_delay(self, attempt: int) -> float:
        """Seconds to wait before retry number `attempt + 1` (exponential, capped)."""
        return min(self._retry_backoff * 2**attempt, _MAX_BACKOFF)

    async def aclose(self) -> None:
        if self._owns_client:
            await self.client.aclose()


def status_error(response: httpx.Response) -> ModelError:
    return status_failure(response.status_code, response.content, response.reason_phrase)


def status_failure(status: int, body: bytes, reason: str = "") -> ModelError:
    """A non-2xx answer as a ModelError: 5xx, 408 and 429 are worth a retry."""
    message = error_message(body) or reason
    if status >= 500 or status in _TRANSIENT_STATUSES:
        return ModelError(f"upstream unavailable (HTTP {status}): {message}", kind="unavailable")
    if status >= 400:
        return ModelError(f"upstream rejected the request (HTTP {status}): {message}", kind="rejected")
    return ModelError(f"upstream answered HTTP {status}", kind="bad_response")


def transport_error(exc: httpx.HTTPError) -> ModelError:
    # str(exc) names the failure (and at most the URL), never request headers.
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return ModelError(f"upstream timed out: {detail}", kind="timeout")
    if isinstance(exc, httpx.DecodingError):
        return ModelError(f"upstream response could not be decoded: {detail}", kind="bad_response")
    return ModelError(f"upstream unreachable: {detail}", kind="unavailable")
