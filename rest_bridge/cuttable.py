"""Tasks that shutdown may cut, told apart from every other cancellation.

Both halves of a graceful stop need this: the gRPC server's open calls
(server/platform/grpc/open_calls.py) and the bridge's open event streams
(`BridgeApp.cut_streams`). A task `cut()` cancels is marked, so its own
handler can tell "the server is stopping: end properly" from "the client
went away", and take the cancellation back to do so.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator


class CuttableTasks:
    def __init__(self, reason: str | None = None) -> None:
        self._reason = reason  # the cancellation's message, for tracebacks
        self._tasks: set[asyncio.Task[object]] = set()
        self._cut: set[asyncio.Task[object]] = set()

    @contextlib.contextmanager
    def tracking(self) -> Iterator[asyncio.Task[object]]:
        """The current task, open to `cut()` for the duration of the block."""
        task = self.add_current()
        try:
            yield task
        finally:
            self.discard(task)

    def add_current(self) -> asyncio.Task[object]:
        """`tracking()` without a context manager (hot paths): pair it with `discard`."""
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        return task

    def discard(self, task: asyncio.Task[object]) -> None:
        self._tasks.discard(task)
        self._cut.discard(task)

    def absorb_cut(self, task: asyncio.Task[object]) -> bool:
        """In the task's cancellation handler: True when `cut()` cancelled it, and then the
        cancellation is taken back, so the task may still end properly."""
        if task not in self._cut:
            return False
        task.uncancel()
        return True

    def cut(self) -> int:
        """Cancels every task being tracked; returns how many there are."""
        for task in self._tasks - self._cut:
            self._cut.add(task)
            task.cancel(self._reason)
        return len(self._cut)
