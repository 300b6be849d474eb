"""The observers the platform's parts report to, recording into `Metrics`:
model calls, database and Redis calls, the event loop's lag, the job queue."""

from __future__ import annotations

import asyncio
import logging
from time import perf_counter
from typing import Any

from server.platform.observability.metrics import Metrics

log = logging.getLogger("chorus.metrics")


class _ModelCall:
    __slots__ = ("model", "provider", "start")

    def __init__(self, model: str, provider: str) -> None:
        self.model, self.provider, self.start = model, provider, perf_counter()


class ModelMeter:
    """A ModelObserver (server/platform/models/registry.py): tokens, first-token delay,
    upstream latency and errors, labelled by configured model id and provider name."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def started(self, model: str, provider: str) -> _ModelCall:
        return _ModelCall(model, provider)

    def first_text(self, watch: _ModelCall) -> None:
        self._metrics.first_token.labels(watch.model).observe(perf_counter() - watch.start)

    def usage(self, watch: _ModelCall, prompt_tokens: int, completion_tokens: int) -> None:
        tokens = self._metrics.tokens
        tokens.labels(watch.model, "input").inc(prompt_tokens)
        tokens.labels(watch.model, "output").inc(completion_tokens)

    def ended(self, watch: _ModelCall, error: str | None) -> None:
        self._metrics.upstream_duration.labels(watch.provider).observe(perf_counter() - watch.start)
        if error is not None:
            self._metrics.upstream_errors.labels(watch.provider, error).inc()


class CallTimer:
    """A StorageObserver: each operation's duration into one histogram's child."""

    def __init__(self, histogram: Any) -> None:
        self._histogram = histogram
        self._children: dict[str, Any] = {}

    def started(self, operation: str) -> tuple[Any, float]:
        child = self._children.get(operation)
        if child is None:
            child = self._children[operation] = self._histogram.labels(operation)
        return child, perf_counter()

    def ended(self, watch: tuple[Any, float]) -> None:
        child, start = watch
        child.observe(perf_counter() - start)


class Observers:
    """Fans one watch out to several observers (metrics and traces)."""

    def __init__(self, *observers: Any) -> None:
        self._observers = observers

    def started(self, *args: Any) -> list[Any]:
        return [o.started(*args) for o in self._observers]

    def first_text(self, watch: list[Any]) -> None:
        for o, w in zip(self._observers, watch, strict=True):
            if hasattr(o, "first_text"):
                o.first_text(w)

    def usage(self, watch: list[Any], prompt_tokens: int, completion_tokens: int) -> None:
        for o, w in zip(self._observers, watch, strict=True):
            if hasattr(o, "usage"):
                o.usage(w, prompt_tokens, completion_tokens)

    def ended(self, watch: list[Any], *args: Any) -> None:
        for o, w in zip(self._observers, watch, strict=True):
            o.ended(w, *args)

    def resume(self, watch: list[Any]) -> list[tuple[Any, Any]]:
        return [(o, o.resume(w)) for o, w in zip(self._observers, watch, strict=True) if hasattr(o, "resume")]

    def pause(self, tokens: list[tuple[Any, Any]]) -> None:
        for o, token in reversed(tokens):
            o.pause(token)


LAG_INTERVAL = 0.25


async def watch_loop_lag(metrics: Metrics, interval: float = LAG_INTERVAL) -> None:
    """Sleeps `interval` over and over; how much later than asked it wakes is the lag."""
    loop = asyncio.get_running_loop()
    lag = metrics.loop_lag
    while True:
        asked = loop.time()
        await asyncio.sleep(interval)
        lag.observe(max(0.0, loop.time() - asked - interval))


async def refresh_job_gauges(metrics: Metrics, db: Any, now_ms: int) -> None:
    """The job queue's depth and oldest age, read now (at scrape time)."""
    from server.platform.jobs.store import queue_stats

    try:
        async with asyncio.timeout(2.0):
            depth, age = await queue_stats(db, now_ms)
    except Exception as exc:  # a scrape must not fail on a slow or missing database: /readyz says so
        log.warning("metrics: could not read the job queue: %s", exc)
        return
    metrics.jobs_depth.set(depth)
    metrics.jobs_age.set(age)
