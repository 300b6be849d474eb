"""An asyncio event loop in a thread of its own, for work that must not share the server's loop.

The MCP client runs there. Chorus serves on uvloop, and libuv starts a
subprocess with fork(): with gRPC's threads running, the child sometimes
crashes (SIGSEGV) before it execs the MCP server. asyncio's own loop starts
subprocesses with vfork(), which is safe. Its subprocess watcher
(ThreadedChildWatcher) works from any thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_JOIN_TIMEOUT = 5.0


class LoopThread:
    def __init__(self, name: str) -> None:
        self.loop = asyncio.SelectorEventLoop()  # asyncio's own, never uvloop: see above
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            self.loop.close()

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Runs `coro` on this thread's loop; cancelling the caller cancels it there too."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    async def stop(self) -> None:
        """Stops the loop (after what it is running has been finished by the caller) and joins the thread."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        await asyncio.to_thread(self._thread.join, _JOIN_TIMEOUT)
