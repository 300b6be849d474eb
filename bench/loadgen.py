"""The load generator: runs in its own process, never in the server's.

    python -m bench.loadgen unary-grpc --target 127.0.0.1:50051 [--echo]
    python -m bench.loadgen unary-http --url http://127.0.0.1:8080
    python -m bench.loadgen sse-http   --url http://127.0.0.1:8080 --streams 2000
    python -m bench.loadgen sse-grpc   --target 127.0.0.1:50051 --streams 2000
    python -m bench.loadgen chat-http  --url http://127.0.0.1:8080
    python -m bench.loadgen soak-http  --url http://127.0.0.1:8080 --streams 20000 --wave 400
    python -m bench.loadgen gateway-http --url http://127.0.0.1:8080 --host-header ai.localhost [--stream]

Unary modes keep `--concurrency` requests in flight (gRPC: that many tasks on
one grpc.aio channel, or spread over `--channels` channels; HTTP: that many
keep-alive connections of the raw client in `bench.rawhttp`, each sending
requests back to back) for `--warmup` then `--duration` seconds, and time
only requests completed in the measured window.
Stream modes open `--streams` chats at once and wait for all of them to end;
`soak-http` runs them `--wave` at a time (bench/load_soak.py). `chat-http` is
closed-loop non-streaming `POST /chat`, `gateway-http` closed-loop
`POST /v1/chat/completions` (bench/load_gateway.py).

Stdout protocol, read by `bench.procs.run_loadgen`: `MARK start` and `MARK end` frame
the measured window (the parent samples the server's CPU time there), then one
`RESULT {json}` line. `soak-http` also prints `MARK wave ...` after each wave.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, cast

import grpc
import orjson

from bench.load_gateway import gateway_http
from bench.load_soak import soak_http
from bench.loadcore import HttpWorker, closed_loop, mark, raise_nofile, sse_once, stream_report
from bench.rawhttp import KeepAliveConnection, SseResult, build_request, host_port

SERVICE = "/crispy.v1.ChatService/"


async def unary_grpc(args: argparse.Namespace) -> dict[str, Any]:
    from chorus_contracts.crispy.v1 import chat_pb2

    channels = await _open_channels(args.target, args.channels)
    channel = channels[0]
    metadata = (("x-tenant-id", args.tenant),)
    # Raw bytes in and out: the client neither builds nor parses messages per call.
    histories = [c.unary_unary(SERVICE + "GetSessionHistory") for c in channels]
    history = histories[0]
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

    def op_on(call: Any) -> Callable[[], Awaitable[object]]:
        return lambda: cast(Awaitable[object], call(payload, metadata=metadata))

    # Requests in flight are spread round-robin over the channels.
    ops = [op_on(histories[i % len(histories)]) for i in range(args.concurrency)]
    result = await closed_loop(ops, args.warmup, args.duration)
    result["channels"] = len(channels)
    for c in channels:
        await c.close()
    return result


async def _open_channels(target: str, count: int) -> list[grpc.aio.Channel]:
    """`count` channels, each on its own TCP connection.

    grpc shares one connection between channels to the same target through the
    global subchannel pool; a local pool per channel gives each its own. With
    `chorus serve --workers N` the kernel (SO_REUSEPORT) hands each connection to
    one worker, so one connection would load a single worker.
    """
    options = [("grpc.use_local_subchannel_pool", 1)] if count > 1 else []
    channels = [grpc.aio.insecure_channel(target, options=options) for _ in range(max(count, 1))]
    await asyncio.wait_for(asyncio.gather(*(c.channel_ready() for c in channels)), 15)
    return channels


async def unary_http(args: argparse.Namespace) -> dict[str, Any]:
    host, port = host_port(args.url)
    headers = {"x-tenant-id": args.tenant}
    session_id = str(uuid.uuid4())
    chat_host, chat_port = host_port(args.setup_url or args.url)
    chat = await KeepAliveConnection.open(chat_host, chat_port)
    body = orjson.dumps({"sessionId": session_id, "message": "hello", "stream": False})
    status, reply = await chat.request(
        build_request("POST", chat_host, chat_port, "/chat", {**headers, "Content-Type": "application/json"}, body)
    )
    assert status == 200, (status, reply)
    chat.close()
    setup = await KeepAliveConnection.open(host, port)
    raw = build_request("GET", host, port, f"/chat/{session_id}/history", headers)
    status, reply = await setup.request(raw)
    assert status == 200 and len(orjson.loads(reply)["messages"]) == 2, (status, reply)
    setup.close()
    workers = [HttpWorker(host, port, lambda: raw) for _ in range(args.concurrency)]
    return await closed_loop([w.op for w in workers], args.warmup, args.duration)


async def chat_http(args: argparse.Namespace) -> dict[str, Any]:
    """Non-streaming `POST /chat`, each request in a new session: the same work (and writes) every time."""
    host, port = host_port(args.url)
    headers = {"x-tenant-id": args.tenant, "Content-Type": "application/json"}
    message = args.message

    def make_request() -> bytes:
        body = orjson.dumps({"sessionId": str(uuid.uuid4()), "message": message, "stream": False})
        return build_request("POST", host, port, "/chat", headers, body)

    setup = await KeepAliveConnection.open(host, port)
    status, reply = await setup.request(make_request())
    assert status == 200 and orjson.loads(reply).get("response"), (status, reply)
    setup.close()
    workers = [HttpWorker(host, port, make_request) for _ in range(args.concurrency)]
    return await closed_loop([w.op for w in workers], args.warmup, args.duration)


# --- concurrent streams -------------------------------------------------------


def _limited(limit: int) -> Callable[[Callable[[], Awaitable[SseResult]]], Awaitable[SseResult]]:
    """Runs each stream at once (limit 0), or with at most `limit` open at a time."""
    gate = asyncio.Semaphore(limit) if limit > 0 else None

    async def run(one: Callable[[], Awaitable[SseResult]]) -> SseResult:
        if gate is None:
            return await one()
        async with gate:
            return await one()

    return run


async def sse_http(args: argparse.Namespace) -> dict[str, Any]:
    nofile = raise_nofile(args.streams + 100)
    if nofile < args.streams + 50:
        raise SystemExit(f"open-file limit {nofile} is too low for {args.streams} streams")
    host, port = host_port(args.url)
    headers = {"x-tenant-id": args.tenant, "Content-Type": "application/json", "Accept": "text/event-stream"}
    clock = time.perf_counter
    mark("start")
    cpu0, t0 = time.process_time(), clock()
    deadline = t0 + args.timeout
    in_flight = _limited(args.in_flight)

    async def one() -> SseResult:
        body = orjson.dumps({"sessionId": str(uuid.uuid4()), "message": args.message, "stream": True})
        raw = build_request("POST", host, port, "/chat", headers, body, close=True)
        return await sse_once(host, port, raw, t0, deadline, args.first_token_only)

    results = list(await asyncio.gather(*(in_flight(one) for _ in range(args.streams))))
    elapsed, cpu = clock() - t0, time.process_time() - cpu0
    mark("end")
    return stream_report(results, elapsed, cpu)


async def sse_grpc(args: argparse.Namespace) -> dict[str, Any]:
    from chorus_contracts.crispy.v1 import chat_pb2

    raise_nofile(1024)
    channel = grpc.aio.insecure_channel(args.target)
    await asyncio.wait_for(channel.channel_ready(), 15)
    metadata = (("x-tenant-id", args.tenant),)
    chat = channel.unary_stream(SERVICE + "Chat")  # raw bytes out
    clock = time.perf_counter
    mark("start")
    cpu0, t0 = time.process_time(), clock()
    in_flight = _limited(args.in_flight)

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
                        if args.first_token_only:
                            call.cancel()
                            break
                elif tag == 2:
                    r.events["done"] = r.events.get("done", 0) + 1
        except grpc.aio.AioRpcError as exc:
            r.error = f"{exc.code().name}: {(exc.details() or '')[:80]}"
            if not r.tokens and not r.events:
                r.headers_at = 0.0  # refused before any response: never an open stream
        r.finished_at = clock() - started
        if not r.error and not r.events.get("done") and not (args.first_token_only and r.tokens):
            r.error = "stream ended without a done event"
        r.ok = not r.error
        return r

    results = list(await asyncio.gather(*(in_flight(one) for _ in range(args.streams))))
    elapsed, cpu = clock() - t0, time.process_time() - cpu0
    mark("end")
    await channel.close()
    return stream_report(results, elapsed, cpu)


# --- entry point ------------------------------------------------------------------

MODES: dict[str, tuple[Callable[[argparse.Namespace], Coroutine[Any, Any, dict[str, Any]]], bool]] = {
    # mode: (coroutine, runs on uvloop)
    "unary-grpc": (unary_grpc, False),
    "unary-http": (unary_http, True),
    "sse-http": (sse_http, True),
    "sse-grpc": (sse_grpc, False),
    "chat-http": (chat_http, True),
    "soak-http": (soak_http, True),
    "gateway-http": (gateway_http, True),
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench.loadgen", description=__doc__)
    parser.add_argument("mode", choices=sorted(MODES))
    parser.add_argument("--target", help="gRPC address host:port")
    parser.add_argument("--url", help="REST base URL http://host:port")
    parser.add_argument("--setup-url", default="", help="unary-http: create the session here (default --url)")
    parser.add_argument("--tenant", default="bench")
    parser.add_argument("--echo", action="store_true", help="target is bench.echo_server: no session set-up")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--channels", type=int, default=1, help="unary-grpc: spread the load over this many channels")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--streams", type=int, default=2000)
    parser.add_argument("--in-flight", type=int, default=0, help="sse modes: at most this many open (0: all at once)")
    parser.add_argument(
        "--first-token-only", action="store_true", help="sse modes: hang up after the first token (TTFT samples)"
    )
    parser.add_argument("--timeout", type=float, default=120.0, help="stream modes: give up on streams after this")
    parser.add_argument("--message", default="hello")
    parser.add_argument("--wave", type=int, default=400, help="soak-http: streams open at once")
    parser.add_argument("--ack", action="store_true", help="soak-http: after each wave, wait for a line on stdin")
    parser.add_argument("--host-header", default="", help="gateway-http: the Host header (default host:port)")
    parser.add_argument("--model", default="@cf/meta/llama-3.1-8b-instruct", help="gateway-http: the model id")
    parser.add_argument("--stream", action="store_true", help="gateway-http: ask for an SSE answer")
    parser.add_argument("--bearer", default="", help="gateway-http: send `Authorization: Bearer` this (LiteLLM)")
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
