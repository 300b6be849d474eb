"""Load generator mode `gateway-http`: closed-loop `POST /v1/chat/completions`.

    python -m bench.loadgen gateway-http --url http://127.0.0.1:8080 --host-header ai.localhost [--stream]

The same request goes to Chorus's AI gateway or straight to the upstream, so
the two can be compared. Each request's latency runs to the last byte of the
answer: the JSON body, or with `--stream` the whole SSE body up to
`data: [DONE]`. An answer that is not a completion counts as an error.
"""

from __future__ import annotations

import argparse
from typing import Any

import orjson

from bench.loadcore import HttpWorker, closed_loop
from bench.rawhttp import KeepAliveConnection, build_request, host_port

PATH = "/v1/chat/completions"


def check_json(body: bytes) -> str | None:
    if b'"choices"' not in body or b'"error"' in body:
        return "not a chat.completion: " + body[:80].decode(errors="replace")
    return None


def check_stream(body: bytes) -> str | None:
    if not body.rstrip().endswith(b"data: [DONE]"):
        return "stream did not end with [DONE]: " + body[-80:].decode(errors="replace")
    if b'"error"' in body:
        return "error in stream: " + body[body.find(b'"error"') :][:80].decode(errors="replace")
    if b"chat.completion.chunk" not in body:
        return "no chat.completion.chunk in stream"
    return None


async def gateway_http(args: argparse.Namespace) -> dict[str, Any]:
    host, port = host_port(args.url)
    request: dict[str, Any] = {
        "model": args.model,
        "messages": [{"role": "user", "content": args.message}],
        "stream": args.stream,
    }
    if args.stream:
        request["stream_options"] = {"include_usage": True}
    headers = {"Content-Type": "application/json"}
    if args.bearer:
        headers["Authorization"] = f"Bearer {args.bearer}"
    if args.stream:
        headers["Accept"] = "text/event-stream"
    raw = build_request("POST", host, port, PATH, headers, orjson.dumps(request), host_header=args.host_header)
    check = check_stream if args.stream else check_json
    setup = await KeepAliveConnection.open(host, port)
    status, body = await setup.request(raw)
    setup.close()
    problem = check(body) if status == 200 else f"HTTP {status}: {body[:200]!r}"
    if problem:
        raise SystemExit(f"gateway-http: the first request failed: {problem}")
    workers = [HttpWorker(host, port, lambda: raw, check) for _ in range(args.concurrency)]
    result = await closed_loop([w.op for w in workers], args.warmup, args.duration)
    result["response_bytes"] = len(body)
    return result
