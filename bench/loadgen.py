"""The load generator: runs in its own process, never in the server's.

    python -m bench.loadgen unary-grpc --target 127.0.0.1:50051 [--echo]
    python -m bench.loadgen unary-http --url http://127.0.0.1:8080
    python -m bench.loadgen sse-http   --url http://127.0.0.1:8080 --streams 2000
    python -m bench.loadgen sse-grpc   --target 127.0.0.1:50051 --streams 2000

Unary modes keep `--concurrency` requests in flight (gRPC: that many tasks on
one grpc.aio channel; HTTP: that many keep-alive connections of the raw client
in `bench.rawhttp`, each sending requests back to back) for `--warmup` then
`--duration` seconds, and time only requests completed in the measured window.
Stream modes open `--streams` chats at once and wait for all of them to end.

Stdout protocol, read by `bench.procs.run_loadgen`: `MARK start` and `MARK end` frame
the measured window (the parent samples the server's CPU time there), then one
`RESULT {json}` line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, cast

import grpc
import orjson

from bench.rawhttp import KeepAliveConnection, SseResult, SseStream, build_request, host_port
from bench.stats import ms, percentile

SERVICE = "/crispy.v1.ChatService/"
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
                    errors[_error_kind(exc)] += 1
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


def _error_kind(exc: BaseException) -> str:
    if isinstance(exc, grpc.aio.AioRpcError):
        return f"{exc.code().name}: {(exc.details() or '')[:80]}"
    return f"{type(exc).__name__}: {str(exc)[:80]}"


async def unary_grpc(args: argparse.Namespace) -> dict[str, Any]:
    from crispy.v1 import chat_pb2

    channel = grpc.aio.insecure_channel(args.target)
    await asyncio.wait_for(channel.channel_ready(), 15)
    metadata = (("x-tenant-id", args.tenant),)
    # Raw bytes in and out: the client neither builds nor parses messages per call.
    history = channel.unary_unary(SERVICE + "GetSessionHistory")
    session_id = str(uuid.uuid4())
    if not args.echo:
        chat = channel.unary_stream(
            SERVICE + "Chat",
            request_serializer=chat_pb2.ChatRequest.SerializeToString,
            response_deserializer=chat_pb2.ChatResponse.FromString,
        )
        request = chat_pb2.ChatRequest(session_id=session_id, message="hello", stream=False)
        replies = [r async for r in chat(request, metadata=metadata)]
        assert len(replies) == 1 and replies[0].WhichOneof("event") == "completion", replies
    payload = chat_pb2.GetSessionHistoryRequest(session_id=session_id).SerializeToString()
    first = chat_pb2.GetSessionHistoryResponse.FromString(await history(payload, metadata=metadata))
    assert len(first.messages) == 2, first

    def op() -> Awaitable[object]:
        return cast(Awaitable[object], history(payload, metadata=metadata))

    result = await closed_loop([op] * args.concurrency, args.warmup, args.duration)
    await channel.close()
    return result


class _HttpWorker:
    def __init__(self, host: str, port: int, raw: bytes) -> None:
        self._host, self._port, self._raw = host, port, raw
        self._conn: KeepAliveConnection | None = None

    async def op(self) -> None:
        if self._conn is None:
            self._conn = await KeepAliveConnection.open(self._host, self._port)
        try:
            status, _ = await self._conn.request(self._raw)
        except ConnectionError:
            self._conn = None
            raise
        if status != 200:
            raise RuntimeError(f"HTTP {status}")


async def unary_http(args: argparse.Namespace) -> dict[str, Any]:
    host, port = host_port(args.url)
    headers = {"x-tenant-id": args.tenant}
    session_id = str(uuid.uuid4())
    setup = await KeepAliveConnection.open(host, port)
    body = orjson.dumps({"sessionId": session_id, "message": "hello", "stream": False})
    status, reply = await setup.request(
        build_request("POST", host, port, "/chat", {**headers, "Content-Type": "application/json"}, body)
    )
    assert status == 200, (status, reply)
    raw = build_request("GET", host, port, f"/chat/{session_id}/history", headers)
    status, reply = await setup.request(raw)
    assert status == 200 and len(orjson.loads(reply)["messages"]) == 2, (status, reply)
    setup.close()
    workers = [_HttpWorker(host, port, raw) for _ in range(args.concurrency)]
    return await closed_loop([w.op for w in workers], args.warmup, args.duration)


# --- concurrent streams -------------------------------------------------------


def _stream_report(results: list[SseResult], elapsed: float, cpu: float) -> dict[str, Any]:
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


async def sse_http(args: argparse.Namespace) -> dict[str, Any]:
    nofile = raise_nofile(args.streams + 100)
    if nofile < args.streams + 50:
        raise SystemExit(f"open-file limit {nofile} is too low for {args.streams} streams")
    host, port = host_port(args.url)
    loop = asyncio.get_running_loop()
    headers = {"x-tenant-id": args.tenant, "Content-Type": "application/json", "Accept": "text/event-stream"}
    clock = time.perf_counter
    mark("start")
    cpu0, t0 = time.process_time(), clock()
    deadline = t0 + args.timeout

    async def one() -> SseResult:
        body = orjson.dumps({"sessionId": str(uuid.uuid4()), "message": args.message, "stream": True})
        raw = build_request("POST", host, port, "/chat", headers, body, close=True)
        started = clock()
        try:
            _, stream = await asyncio.wait_for(
                loop.create_connection(lambda: SseStream(raw, started, started - t0), host, port), deadline - clock()
            )
        except (OSError, TimeoutError) as exc:
            error = f"connect: {type(exc).__name__} {exc}"
            return SseResult(error=error, started_at=started - t0, finished_at=clock() - started)
        try:
            return await asyncio.wait_for(asyncio.shield(stream.finished), max(deadline - clock(), 0.001))
        except TimeoutError:
            stream.abort(f"timeout after {args.timeout:.0f} s")
            return stream.result

    results = list(await asyncio.gather(*(one() for _ in range(args.streams))))
    elapsed, cpu = clock() - t0, time.process_time() - cpu0
    mark("end")
    return _stream_report(results, elapsed, cpu)


async def sse_grpc(args: argparse.Namespace) -> dict[str, Any]:
    from crispy.v1 import chat_pb2

    raise_nofile(1024)
    channel = grpc.aio.insecure_channel(args.target)
    await asyncio.wait_for(channel.channel_ready(), 15)
    metadata = (("x-tenant-id", args.tenant),)
    chat = channel.unary_stream(SERVICE + "Chat")  # raw bytes out
    clock = time.perf_counter
    mark("start")
    cpu0, t0 = time.process_time(), clock()

    async def one() -> SseResult:
        payload = chat_pb2.ChatRequest(session_id=str(uuid.uuid4()), message=args.message).SerializeToString()
        started = clock()
        r = SseResult(status=200, started_at=started - t0)
        call = chat(payload, metadata=metadata, timeout=max(t0 + args.timeout - started, 0.001))
        try:
            await call.initial_metadata()
            r.headers_at = clock() - started
            async for message in call:
                # ChatResponse's oneof tag, read from the first byte: 1 token, 2 done, 3 completion.
                tag = message[0] >> 3 if message else 0
                if tag == 1:
                    r.tokens += 1
                    if r.tokens == 1:
                        r.first_token_at = clock() - started
                elif tag == 2:
                    r.events["done"] = r.events.get("done", 0) + 1
        except grpc.aio.AioRpcError as exc:
            r.error = f"{exc.code().name}: {(exc.details() or '')[:80]}"
            if not r.tokens and not r.events:
                r.headers_at = 0.0  # refused before any response: never an open stream
        r.finished_at = clock() - started
        if not r.error and not r.events.get("done"):
            r.error = "stream ended without a done event"
        r.ok = not r.error
        return r

    results = list(await asyncio.gather(*(one() for _ in range(args.streams))))
    elapsed, cpu = clock() - t0, time.process_time() - cpu0
    mark("end")
    await channel.close()
    return _stream_report(results, elapsed, cpu)


# --- entry point ------------------------------------------------------------------

MODES: dict[str, tuple[Callable[[argparse.Namespace], Coroutine[Any, Any, dict[str, Any]]], bool]] = {
    # mode: (coroutine, runs on uvloop)
    "unary-grpc": (unary_grpc, False),
    "unary-http": (unary_http, True),
    "sse-http": (sse_http, True),
    "sse-grpc": (sse_grpc, False),
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench.loadgen", description=__doc__)
    parser.add_argument("mode", choices=sorted(MODES))
    parser.add_argument("--target", help="gRPC address host:port")
    parser.add_argument("--url", help="REST base URL http://host:port")
    parser.add_argument("--tenant", default="bench")
    parser.add_argument("--echo", action="store_true", help="target is bench.echo_server: no session set-up")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--streams", type=int, default=2000)
    parser.add_argument("--timeout", type=float, default=120.0, help="stream modes: give up on streams after this")
    parser.add_argument("--message", default="hello")
    parser.add_argument("--loop", choices=["auto", "asyncio", "uvloop"], default="auto")
    args = parser.parse_args(argv)
    run, prefers_uvloop = MODES[args.mode]
    use_uvloop = args.loop == "uvloop" or (args.loop == "auto" and prefers_uvloop)
    if use_uvloop:
        import uvloop

        result = uvloop.run(run(args))
    else:
        result = asyncio.run(run(args))
    result["loop"] = "uvloop" if use_uvloop else "asyncio"
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
