"""One SQLite connection, owned by a thread of its own, running jobs in batches.

A job costs its statements and one round trip to the thread: no pool
checkout, no greenlet, one hand-over each way (aiosqlite takes one per
driver call: execute, fetch, close). Jobs that arrive while the thread is
busy queue up and are answered together, with one wake-up of the event loop
for the batch. A job, once taken, runs to its end whatever happens to its
caller; a caller that was cancelled meanwhile just gets no answer.

`Database` keeps two: one read-only for reads (autocommit, so each statement
reads the latest committed state and no snapshot stays open between calls;
under WAL a read never waits for a writer), one for `Database.transaction`
(whose waits for another process's write lock block that thread, not the
event loop, nor the reads).
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
Job = Callable[[sqlite3.Connection], Any]

# How long `close` waits for the jobs queued before it (each is a few short statements).
_CLOSE_SECONDS = 10.0

_Request = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Job]
_Answer = tuple["asyncio.Future[Any]", Any, BaseException | None]


def _deliver(answers: list[_Answer]) -> None:
    for future, result, error in answers:
        if future.done():  # its caller was cancelled meanwhile
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)


class SqliteThread:
    def __init__(self, path: str, configure: Callable[[sqlite3.Connection], None], name: str) -> None:
        self._path = path
        self._configure = configure
        self._name = name
        self._requests: queue.SimpleQueue[_Request | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def run(self, job: Job) -> asyncio.Future[Any]:
        """`job(connection)`'s result, once the thread has run it."""
        if self._thread is None:
            self._start()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._requests.put((loop, future, job))
        return future

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None:
                ready: queue.SimpleQueue[BaseException | None] = queue.SimpleQueue()
                thread = threading.Thread(target=self._serve, args=(ready,), name=self._name, daemon=True)
                thread.start()
                error = ready.get()
                if error is not None:
                    raise error
                self._thread = thread

    def _serve(self, ready: queue.SimpleQueue[BaseException | None]) -> None:
        try:
            conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False, cached_statements=256)
            self._configure(conn)
        except BaseException as exc:
            ready.put(exc)
            return
        ready.put(None)
        requests = self._requests
        try:
            while True:
                batch = [requests.get()]
                while True:
                    try:
                        batch.append(requests.get_nowait())
                    except queue.Empty:
                        break
                answers: dict[asyncio.AbstractEventLoop, list[_Answer]] = {}
                stop = False
                for request in batch:
                    if request is None:
                        stop = True
                        continue
                    loop, future, job = request
                    try:
                        answer: _Answer = (future, job(conn), None)
                    except Exception as exc:  # the caller's to handle; the connection stays usable
                        answer = (future, None, exc)
                    answers.setdefault(loop, []).append(answer)
                for loop, batch_answers in answers.items():
                    with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
                        loop.call_soon_threadsafe(_deliver, batch_answers)
                if stop:
                    break
        finally:
            conn.close()

    def close(self) -> None:
        """Stops the thread once the jobs queued before have been answered."""
        thread = self._thread
        if thread is not None:
            self._requests.put(None)
            thread.join(_CLOSE_SECONDS)
            self._thread = None
