"""Health of what serves the assistant, each checked for real.

- storage: a `SELECT 1` on the database within a deadline;
- model: the chat model's provider answers its cheap probe (the builtin model
  is in-process; an OpenAI-compatible upstream lists its models);
- realtime (the streaming path): the event loop that writes every stream
  wakes a yielded task promptly.

Results are cached for a few seconds so a health poller cannot turn into
load on the database or a paid upstream.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, TypeAlias

from server.platform.models.registry import ModelRegistry
from server.platform.models.types import ModelError
from server.platform.storage.database import Database

State: TypeAlias = Literal["healthy", "degraded", "unhealthy"]

_CHECK_TIMEOUT = 2.0  # seconds a component may take to answer
_LOOP_LAG_DEGRADED = 0.25  # seconds of event-loop lag that slows every stream
_CACHE_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class HealthReport:
    status: State  # healthy; degraded when the model or streaming is; unhealthy without storage
    storage: State
    model: State
    realtime: State


class ComponentHealth:
    def __init__(self, db: Database, models: ModelRegistry, model_id: str) -> None:
        self._db = db
        self._models = models
        self._model_id = model_id or None
        self._cached: tuple[float, HealthReport] | None = None
        self._lock = asyncio.Lock()

    async def report(self) -> HealthReport:
        async with self._lock:
            now = time.monotonic()
            if self._cached is not None and now - self._cached[0] < _CACHE_SECONDS:
                return self._cached[1]
            storage, model, realtime = await asyncio.gather(
                _within_deadline(self._db.ping), _within_deadline(self._probe_model), _loop_state()
            )
            if storage != "healthy":
                overall: State = "unhealthy"
            elif model != "healthy" or realtime != "healthy":
                overall = "degraded"
            else:
                overall = "healthy"
            report = HealthReport(overall, storage, model, realtime)
            self._cached = (time.monotonic(), report)
            return report

    async def _probe_model(self) -> None:
        await self._models.probe(self._model_id)


async def _within_deadline(check: Callable[[], Awaitable[None]]) -> State:
    try:
        await asyncio.wait_for(check(), _CHECK_TIMEOUT)
    except (TimeoutError, ModelError, OSError):
        return "unhealthy"
    except Exception:  # a driver error of any kind means the component is down
        return "unhealthy"
    return "healthy"


async def _loop_state() -> State:
    started = time.monotonic()
    await asyncio.sleep(0)
    return "healthy" if time.monotonic() - started < _LOOP_LAG_DEGRADED else "degraded"
