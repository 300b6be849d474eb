"""The trace context that upstream HTTP requests carry (W3C `traceparent`, `tracestate`).

Tracing (server/platform/observability/tracing.py) sets `current_headers` when it is on;
off, it stays None and requests go out as they are.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

current_headers: Callable[[], dict[str, str]] | None = None


def header_lines() -> bytes:
    """The headers as raw HTTP/1.1 lines, for clients that write their own request head."""
    if current_headers is None:
        return b""
    return b"".join(f"{k}: {v}\r\n".encode("latin-1") for k, v in current_headers().items())


async def add_to_request(request: httpx.Request) -> None:
    """An httpx request hook: the request continues the current trace."""
    if current_headers is not None:
        request.headers.update(current_headers())


def traced_client(**options: object) -> httpx.AsyncClient:
    """An httpx client whose requests carry the current trace context."""
    return httpx.AsyncClient(event_hooks={"request": [add_to_request]}, **options)  # type: ignore[arg-type]
