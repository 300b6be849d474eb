"""Work that must finish once started, whatever happens to the task waiting for it.

`asyncio.shield` alone is not enough for this: it keeps the inner task
running, but the cancelled caller stops waiting at once and carries on (to
release a lock, close a pool, answer "not stored") while the work is still
under way. These helpers wait for the work to end first, and only then
re-raise the caller's cancellation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


async def finish(task: asyncio.Future[T]) -> T:
    """`task`'s result (or error), after it has ended; a cancellation of the
    caller meanwhile (any number of them) is raised once it has."""
    interrupted: asyncio.CancelledError | None = None
    while not task.done():
        try:
            # wait() never cancels `task`, nor raises its error.
            await asyncio.wait((task,))
        except asyncio.CancelledError as cancel:
            interrupted = cancel
    if interrupted is not None:
        if not task.cancelled():
            task.exception()  # retrieved: the caller's cancellation wins
        raise interrupted
    return task.result()


async def run_to_completion(work: Coroutine[Any, Any, T]) -> T:
    """Runs `work` in a task of its own and `finish`es it."""
    return await finish(asyncio.ensure_future(work))
