"""The operator's endpoints, on their own port (`[admin]`), never behind a surface's auth:

- `GET /metrics`: Prometheus text format;
- `GET /livez`: 200 while the process runs its event loop;
- `GET /readyz`: 200 when the database answers, Redis answers (when configured) and the
  schema is at the newest migration; 503 naming what failed, and 503 from the moment
  the process starts draining after SIGTERM, so a load balancer stops sending new work
  while open streams finish.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from rest_bridge.asgi import Receive, Scope, Send, send_bytes, send_json
from server.platform.observability.metrics import Metrics

log = logging.getLogger("chorus.admin")

PROMETHEUS_TYPE = b"text/plain; version=0.0.4; charset=utf-8"
CHECK_TIMEOUT = 2.0

Check = Callable[[], Awaitable[None]]


class Readiness:
    """The checks `/readyz` runs, and the drain flag that fails it at once."""

    def __init__(self, checks: dict[str, Check]) -> None:
        self.checks = checks
        self.draining = False

    async def report(self) -> tuple[bool, dict[str, str]]:
        if self.draining:
            return False, {"draining": "the process is shutting down"}
        names = list(self.checks)
        results = await asyncio.gather(*(self._run(self.checks[n]) for n in names))
        report = dict(zip(names, results, strict=True))
        return all(r == "ok" for r in results), report

    @staticmethod
    async def _run(check: Check) -> str:
        try:
            async with asyncio.timeout(CHECK_TIMEOUT):
                await check()
        except TimeoutError:
            return f"no answer within {CHECK_TIMEOUT:g}s"
        except Exception as exc:  # any failure is an answer: not ready, and why
            return f"{type(exc).__name__}: {exc}"[:300]
        return "ok"


class AdminApp:
    """The ASGI app of the admin port."""

    def __init__(
        self,
        readiness: Readiness,
        metrics: Metrics | None,
        before_scrape: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.readiness = readiness
        self._metrics = metrics
        self._before_scrape = before_scrape

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path, verb = scope["path"], scope["method"]
        head_only = verb == "HEAD"
        if verb not in ("GET", "HEAD"):
            await _json(send, 405, {"error": "method not allowed"}, [(b"allow", b"GET, HEAD")])
        elif path == "/livez":
            await _json(send, 200, {"status": "ok"}, head_only=head_only)
        elif path == "/readyz":
            ready, checks = await self.readiness.report()
            body = {"status": "ready" if ready else "not ready", "checks": checks}
            await _json(send, 200 if ready else 503, body, head_only=head_only)
        elif path == "/metrics" and self._metrics is not None:
            if self._before_scrape is not None:
                await self._before_scrape()
            payload = self._metrics.exposition()
            await send_bytes(send, 200, payload, [(b"content-type", PROMETHEUS_TYPE)], head_only=head_only)
        else:
            await _json(send, 404, {"error": "not found"}, head_only=head_only)


async def _json(
    send: Send,
    status: int,
    body: dict[str, Any],
    headers: list[tuple[bytes, bytes]] | None = None,
    *,
    head_only: bool = False,
) -> None:
    await send_json(send, status, orjson.dumps(body), headers or [], head_only=head_only)


def now_ms() -> int:
    return int(time.time() * 1000)
