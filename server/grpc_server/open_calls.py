"""The calls under way, so that shutdown ends them with its own status.

When the grace period after SIGTERM runs out, grpc would cancel what is
still running with a bare UNAVAILABLE "Cancelling all calls" (and the bridge
would cut its SSE streams mid-frame). Instead `cut()` cancels each call's
task first; the call keeps what it must (a chat stores the reply cut short),
then ends with UNAVAILABLE `SHUTTING_DOWN`, which the bridge renders as an
in-band error event in the surface's dialect.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from server.errors import shutting_down

_CUT = "server shutting down"


class OpenCalls:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[object]] = set()
        self._cut: set[asyncio.Task[object]] = set()

    @contextlib.asynccontextmanager
    async def tracked(self) -> AsyncIterator[None]:
        """Around one call's handler: after a `cut()` it raises the shutdown error."""
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            yield
        except (asyncio.CancelledError, GeneratorExit):
            # GeneratorExit: a stream closed by its in-process reader, whose task was cut.
            if task not in self._cut:
                raise
            task.uncancel()
            raise shutting_down() from None
        finally:
            self._tasks.discard(task)
            self._cut.discard(task)

    def cut(self) -> int:
        """Ends every call under way; returns how many there were."""
        for task in self._tasks - self._cut:
            self._cut.add(task)
            task.cancel(_CUT)
        return len(self._cut)
