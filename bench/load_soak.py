"""Load generator mode `soak-http`: a fixed number of SSE chats, in waves, to show leaks.

    python -m bench.loadgen soak-http --url http://127.0.0.1:8080 --streams 20000 --wave 400

`--streams` chats (`POST /chat`, `"stream": true`, a new session each, one
connection each) are run `--wave` at a time: a wave opens all of its streams
at once and waits until every one ends (or `--timeout` after the wave began).
After each wave it prints `MARK wave I OK N` and, with `--ack`, waits for a
line on stdin: the parent samples the server's memory there, between waves,
with no stream open.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from collections import Counter
from typing import Any

import orjson

from bench.loadcore import mark, raise_nofile, sse_once
from bench.rawhttp import SseResult, build_request, host_port
from bench.stats import ms, percentile


async def soak_http(args: argparse.Namespace) -> dict[str, Any]:
    wave_size = max(1, min(args.wave, args.streams))
    nofile = raise_nofile(wave_size + 100)
    if nofile < wave_size + 50:
        raise SystemExit(f"open-file limit {nofile} is too low for waves of {wave_size} streams")
    host, port = host_port(args.url)
    headers = {"x-tenant-id": args.tenant, "Content-Type": "application/json", "Accept": "text/event-stream"}
    loop = asyncio.get_running_loop()
    clock = time.perf_counter

    def one(t0: float, deadline: float) -> asyncio.Future[SseResult]:
        body = orjson.dumps({"sessionId": str(uuid.uuid4()), "message": args.message, "stream": True})
        raw = build_request("POST", host, port, "/chat", headers, body, close=True)
        return asyncio.ensure_future(sse_once(host, port, raw, t0, deadline))

    errors: Counter[str] = Counter()
    durations: list[float] = []
    ttft: list[float] = []
    waves: list[dict[str, Any]] = []
    ok = tokens = 0
    streaming = cpu = 0.0  # seconds spent in waves (not waiting for the parent)
    mark("start")
    left = args.streams
    while left > 0:
        n = min(wave_size, left)
        left -= n
        cpu0, t0 = time.process_time(), clock()
        results = await asyncio.gather(*(one(t0, t0 + args.timeout) for _ in range(n)))
        seconds = clock() - t0
        streaming += seconds
        cpu += time.process_time() - cpu0
        wave_ok = 0
        for r in results:
            tokens += r.tokens
            if r.ok:
                wave_ok += 1
                durations.append(r.finished_at)
                if r.first_token_at:
                    ttft.append(r.first_token_at)
            else:
                errors[r.error[:100]] += 1
        ok += wave_ok
        waves.append({"streams": n, "ok": wave_ok, "seconds": seconds})
        mark(f"wave {len(waves)} {wave_ok} {n}")
        if args.ack:
            await loop.run_in_executor(None, sys.stdin.readline)
    mark("end")
    return {
        "streams": args.streams,
        "wave_size": wave_size,
        "ok": ok,
        "errors": args.streams - ok,
        "error_kinds": dict(errors.most_common(5)),
        "waves": waves,
        "streams_per_s": args.streams / streaming if streaming else 0.0,
        "tokens": tokens,
        "duration_p50_ms": ms(percentile(durations, 50)),
        "duration_p99_ms": ms(percentile(durations, 99)),
        "ttft_p50_ms": ms(percentile(ttft, 50)),
        "ttft_p99_ms": ms(percentile(ttft, 99)),
        "seconds": streaming,
        "client_cpu": cpu / streaming if streaming else 0.0,
    }
