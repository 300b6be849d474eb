"""What every load-generator mode shares: the stdout protocol, fd limits, closed-loop load, stream tallies."""

from __future__ import annotations

import asyncio
import resource
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import grpc

from bench.rawhttp import KeepAliveConnection, SseResult, SseStream
from bench.stats import ms, percentile

Op = Callable[[], Awaitable[object]]


def mark(what: str) -> None:
    print(f"MARK {what}", flush=True)


def raise_nofile(needed: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else max(soft, needed)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# --- closed-loop unary load ---------------------------------------------------


async def closed_loop(ops: list[Op], warmup: float, duration: float) -> dict[str, Any]:
    """Runs each op back to back in its own task; times the ops that complete in the window."""
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    state = {"measuring": False, "stop": False}
    clock = time.perf_counter

    async def worker(op: Op) -> None:
        while not state["stop"]:
            t0 = clock()
            try:
                await op()
            except Exception as exc:
                if state["measuring"]:
                    errors[error_kind(exc)] += 1
                await asyncio.sleep(0.001)
                continue
            if state["measuring"]:
                latencies.append(clock() - t0)

    tasks = [asyncio.create_task(worker(op)) for op in ops]
    await asyncio.sleep(warmup)
    mark("start")
    cpu0, t0 = time.process_time(), clock()
    state["measuring"] = True
    await asyncio.sleep(duration)
    state["measuring"] = False
    elapsed, cpu = clock() - t0, time.process_time() - cpu0
    mark("end")
    state["stop"] = True
    await asyncio.wait(tasks, timeout=30)
    return {
        "count": len(latencies),
        "errors": sum(errors.values()),
        "error_kinds": dict(errors.most_common(5)),
        "seconds": elapsed,
        "rps": len(latencies) / elapsed,
        "p50_ms": ms(percentile(latencies, 50)),
        "p90_ms": ms(percentile(latencies, 90)),
        "p99_ms": ms(percentile(latencies, 99)),
        "client_cpu": cpu / elapsed,
        "concurrency": len(ops),
    }


def error_kind(exc: BaseException) -> str:
    if isinstance(exc, grpc.aio.AioRpcError):
        return f"{exc.code().name}: {(exc.details() or '')[:80]}"
    return f"{type(exc).__name__}: {str(exc)[:80]}"


def stream_report(results: list[SseResult], elapsed: float, cpu: float) -> dict[str, Any]:
    ok = [r for r in results if r.ok]
    errors = Counter(r.error[:100] for r in results if not r.ok)
    # Streams open at once: +1 when a stream's response headers arrive, -1 when it ends.
    sweep: list[tuple[float, int]] = []
    for r in results:
        if r.headers_at and r.status == 200:
            sweep += [(r.started_at + r.headers_at, 1), (r.started_at + r.finished_at, -1)]
    open_now = peak = 0
    for _, delta in sorted(sweep):
        open_now += delta
        peak = max(peak, open_now)
    ttft = [r.first_token_at for r in results if r.first_token_at]
    durations = [r.finished_at for r in ok]
    headers = [r.headers_at for r in results if r.headers_at]
    tokens = sum(r.tokens for r in results)
    return {
        "streams": len(results),
        "ok": len(ok),
        "errors": len(results) - len(ok),
        "error_kinds": dict(errors.most_common(5)),
        "peak_open": peak,
        "headers_p50_ms": ms(percentile(headers, 50)),
        "headers_p99_ms": ms(percentile(headers, 99)),
        "ttft_p50_ms": ms(percentile(ttft, 50)),
        "ttft_p99_ms": ms(percentile(ttft, 99)),
        "duration_p50_ms": ms(percentile(durations, 50)),
        "duration_p99_ms": ms(percentile(durations, 99)),
        "tokens": tokens,
        "tokens_per_stream": sum(r.tokens for r in ok) / len(ok) if ok else 0,
        "tokens_per_s": tokens / elapsed,
        "seconds": elapsed,
        "client_cpu": cpu / elapsed,
    }


class HttpWorker:
    """One keep-alive connection sending requests back to back (reconnecting after a drop).

    `make_request` gives the raw bytes of each request; `check` may reject a 200
    body by returning why (it then counts as an error).
    """

    def __init__(
        self,
        host: str,
        port: int,
        make_request: Callable[[], bytes],
        check: Callable[[bytes], str | None] | None = None,
    ) -> None:
        self._host, self._port, self._make_request, self._check = host, port, make_request, check
        self._conn: KeepAliveConnection | None = None

    async def op(self) -> None:
        if self._conn is None:
            self._conn = await KeepAliveConnection.open(self._host, self._port)
        try:
            status, body = await self._conn.request(self._make_request())
        except ConnectionError:
            self._conn = None
            raise
        if status != 200:
            raise RuntimeError(f"HTTP {status}")
        if self._check is not None and (problem := self._check(body)):
            raise RuntimeError(problem)


async def sse_once(
    host: str, port: int, raw: bytes, t0: float, deadline: float, first_token_only: bool = False
) -> SseResult:
    """One SSE chat on its own connection, until it ends or `deadline` (perf_counter time) passes.

    `t0` is when the run started: the result's `started_at` counts from it.
    """
    loop = asyncio.get_running_loop()
    clock = time.perf_counter
    started = clock()
    try:
        _, stream = await asyncio.wait_for(
            loop.create_connection(lambda: SseStream(raw, started, started - t0, first_token_only), host, port),
            deadline - clock(),
        )
    except (OSError, TimeoutError) as exc:
        error = f"connect: {type(exc).__name__} {exc}"
        return SseResult(error=error, started_at=started - t0, finished_at=clock() - started)
    try:
        return await asyncio.wait_for(asyncio.shield(stream.finished), max(deadline - clock(), 0.001))
    except TimeoutError:
        stream.abort(f"timeout after {clock() - started:.0f} s")
        return stream.result
