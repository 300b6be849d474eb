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

from rest_bridge.cuttable import CuttableTasks
from server.platform.errors import shutting_down


class OpenCalls:
    def __init__(self) -> None:
        self._calls = CuttableTasks("server shutting down")

    @contextlib.asynccontextmanager
    async def tracked(self) -> AsyncIterator[None]:
        """Around one call's handler: after a `cut()` it raises the shutdown error."""
        with self._calls.tracking() as task:
            try:
                yield
            except (asyncio.CancelledError, GeneratorExit):
                # GeneratorExit: a stream closed by its in-process reader, whose task was cut.
                if not self._calls.absorb_cut(task):
                    raise
                raise shutting_down() from None

    def open(self) -> asyncio.Task[object]:
        """`tracked()` for a unary call's hot path, without a context manager: the current
        task is open to `cut()` until `close(task)`."""
        return self._calls.add_current()

    def close(self, task: asyncio.Task[object]) -> None:
        self._calls.discard(task)

    def failure(self, task: asyncio.Task[object], exc: BaseException) -> Exception | None:
        """What a call still open as `task` ends with when its handler raised `exc`, as
        `tracked()` decides: the shutdown error for a cancellation `cut()` made, the
        exception itself if it is an Exception, else None (re-raise it as it is)."""
        if isinstance(exc, asyncio.CancelledError | GeneratorExit):
            return shutting_down() if self._calls.absorb_cut(task) else None
        return exc if isinstance(exc, Exception) else None

    def cut(self) -> int:
        """Ends every call under way; returns how many there were."""
        return self._calls.cut()
