"""SQLite reads on one long-lived connection, run by a thread of its own.

A read costs the query and one round trip to the thread: no pool checkout,
no greenlet, one hand-over each way (aiosqlite takes one per driver call:
execute, fetch, close). Reads that arrive while the thread is busy queue up
and are answered together, with one wake-up of the event loop for the batch.

The connection is read-only (`query_only`) and in autocommit mode, so each
statement reads the latest committed state and no read holds a snapshot
open between calls. Under WAL a read never waits for a writer.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

# How long `close` waits for the reads queued before it (each is one short statement).
_CLOSE_SECONDS = 10.0

_Request = tuple[asyncio.AbstractEventLoop, "asyncio.Future[list[Any]]", str, tuple[Any, ...]]
_Answer = tuple["asyncio.Future[list[Any]]", list[Any] | None, BaseException | None]


def _deliver(answers: list[_Answer]) -> None:
    for future, rows, error in answers:
        if future.done():  # the reader was cancelled meanwhile
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(rows)  # type: ignore[arg-type]


class SqliteReads:
    def __init__(self, path: str, configure: Callable[[sqlite3.Connection], None]) -> None:
        self._path = path
        self._configure = configure
        self._requests: queue.SimpleQueue[_Request | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def fetch(self, sql: str, args: tuple[Any, ...]) -> asyncio.Future[list[Any]]:
        """The rows of one statement (the driver's tuples), once the thread has run it."""
        if self._thread is None:
            self._start()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[Any]] = loop.create_future()
        self._requests.put((loop, future, sql, args))
        return future

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None:
                ready: queue.SimpleQueue[BaseException | None] = queue.SimpleQueue()
                thread = threading.Thread(target=self._run, args=(ready,), name="chorus-sqlite-reads", daemon=True)
                thread.start()
                error = ready.get()
                if error is not None:
                    raise error
                self._thread = thread

    def _run(self, ready: queue.SimpleQueue[BaseException | None]) -> None:
        try:
            conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False, cached_statements=256)
            self._configure(conn)
            conn.execute("PRAGMA query_only=ON")
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
                    loop, future, sql, args = request
                    try:
                        answer: _Answer = (future, conn.execute(sql, args).fetchall(), None)
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
        """Stops the thread once the reads queued before have been answered."""
        thread = self._thread
        if thread is not None:
            self._requests.put(None)
            thread.join(_CLOSE_SECONDS)
            self._thread = None
