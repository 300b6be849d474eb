"""Merges concurrent embedding calls into batches for one CPU-bound model.

A transformer embeds 32 texts in far less than 32 times the time of one, and
the model must not run on the event loop. So callers queue their texts; one
worker task takes whatever is waiting (up to `max_texts`), runs the model once
in its own single thread (one inference at a time: the model uses every core
itself) and hands each caller its rows. A call larger than `max_texts` runs
alone, in slices. A cancelled caller's rows are computed and dropped.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float32]
# texts -> (one normalised row per text, the token count of each text)
RunModel = Callable[[list[str]], tuple[Matrix, list[int]]]


@dataclass(slots=True)
class _Call:
    texts: Sequence[str]
    future: asyncio.Future[tuple[Matrix, list[int]]]


class MicroBatcher:
    def __init__(self, run: RunModel, *, max_texts: int = 64, thread_name: str = "embedding") -> None:
        self._run = run
        self._max_texts = max_texts
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix=thread_name)
        self._pending: collections.deque[_Call] = collections.deque()
        self._wake = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None

    async def embed(self, texts: Sequence[str]) -> tuple[Matrix, list[int]]:
        loop = asyncio.get_running_loop()
        if self._worker is None or self._worker.done() or self._worker.get_loop() is not loop:
            # First call, or on another event loop than the last worker's (which can no longer run).
            self._pending = collections.deque(c for c in self._pending if c.future.get_loop() is loop)
            self._wake = asyncio.Event()
            self._worker = loop.create_task(self._drain(), name="embedding-batcher")
        call = _Call(texts, loop.create_future())
        self._pending.append(call)
        self._wake.set()
        return await call.future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                batch = self._take()
                texts = [text for call in batch for text in call.texts]
                try:
                    vectors, tokens = await loop.run_in_executor(self._executor, self._run_sliced, texts)
                except Exception as exc:  # the model's failure is each caller's
                    for call in batch:
                        if not call.future.done():
                            call.future.set_exception(exc)
                    continue
                start = 0
                for call in batch:
                    end = start + len(call.texts)
                    if not call.future.done():
                        call.future.set_result((vectors[start:end], tokens[start:end]))
                    start = end

    def _take(self) -> list[_Call]:
        batch = [self._pending.popleft()]
        size = len(batch[0].texts)
        while self._pending and size + len(self._pending[0].texts) <= self._max_texts:
            size += len(self._pending[0].texts)
            batch.append(self._pending.popleft())
        return batch

    def _run_sliced(self, texts: list[str]) -> tuple[Matrix, list[int]]:
        parts = [self._run(texts[i : i + self._max_texts]) for i in range(0, len(texts), self._max_texts)]
        return np.concatenate([p[0] for p in parts]), [n for p in parts for n in p[1]]

    async def aclose(self) -> None:
        # A worker of another (ended) event loop ended with it.
        if self._worker is not None and self._worker.get_loop() is asyncio.get_running_loop():
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
        self._executor.shutdown(wait=False, cancel_futures=True)
