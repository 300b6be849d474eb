"""The trace context that upstream HTTP requests carry (W3C `traceparent`, `tracestate`).

Tracing (server/platform/observability/tracing.py) sets `current_headers` and
`continued_span` when it is on; off, they stay None and requests go out as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import httpx

# The W3C trace context headers (and gRPC metadata keys).
TRACE_KEYS = ("traceparent", "tracestate")

current_headers: Callable[[], dict[str, str]] | None = None
# (span name, stored headers, attributes) -> a span continuing that trace, current inside the block.
continued_span: Callable[[str, Mapping[str, str], Mapping[str, Any]], AbstractContextManager[Any]] | None = None


def header_lines() -> bytes:
    """The headers as raw HTTP/1.1 lines, for clients that write their own request head."""
    if current_headers is None:
        return b""
    return b"".join(f"{k}: {v}\r\n".encode("latin-1") for k, v in current_headers().items())


async def add_to_request(request: Any) -> None:
    """An httpx (or httpx2, the MCP SDK's) request hook: the request continues the current trace."""
    if current_headers is not None:
        request.headers.update(current_headers())


def traced_client(**options: object) -> httpx.AsyncClient:
    """An httpx client whose requests carry the current trace context."""
    return httpx.AsyncClient(event_hooks={"request": [add_to_request]}, **options)  # type: ignore[arg-type]


def captured() -> dict[str, str]:
    """The current trace context, to store with work done later (a job); empty when tracing
    is off or outside any request."""
    return current_headers() if current_headers is not None else {}


@contextmanager
def resumed(name: str, stored: Mapping[str, str], **attributes: Any) -> Iterator[tuple[dict[str, str], Any]]:
    """Work deferred from a request, continuing its trace: yields (the headers its upstream
    HTTP request carries, its span or None). Tracing on: a `name` span in the stored trace,
    and its context; off: the stored headers as they were (another replica may have traced
    the request). Nothing stored (the work began outside any request): no headers, no span."""
    if not stored:
        yield {}, None
    elif continued_span is None:
        yield {k: v for k, v in stored.items() if k in TRACE_KEYS}, None
    else:
        with continued_span(name, stored, attributes) as span:
            yield captured(), span
