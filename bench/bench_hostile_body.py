"""What a hostile request body costs the event loop (issue 10, "CPU amplification").

    python bench/bench_hostile_body.py            # both parts
    python bench/bench_hostile_body.py --only loop

Bodies: ~1 MB of `[]` in the AI gateway's `stop` (a google.protobuf.Value),
1 MB of numbers in `/v1/embeddings` `input`, and a legitimate 1 MB
embeddings body of 256 passages for comparison.

- `loop`: the bridge's body decoding (rest_bridge.json_body.decode + the
  codec) on an asyncio loop, with a ticker task recording the longest time
  the loop could not run it (its longest stall) and the call's wall time.
- `server`: a real `chorus serve` (its default bridge transport). Three clients post
  the hostile body three times each while one client polls `GET /health` on
  three surfaces; reports /health latency while idle and under the attack.

Run it against an older checkout to compare (the `server` part needs only
tests/support/chorus_process.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT, ROOT / "gen"):  # runnable without an editable install
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

import httpx  # noqa: E402
import orjson  # noqa: E402

CHAT = {"model": "@cf/meta/llama-3.1-8b-instruct", "messages": [{"role": "user", "content": "hi"}]}
EMBED = {"model": "@cf/baai/bge-base-en-v1.5"}
AI = {"host": "ai.example.com", "content-type": "application/json"}
HEALTH_HOSTS = ({"x-tenant-id": "bench"}, {"host": "ai.example.com"}, {"host": "id.example.com"})


def _with_list(base: dict[str, Any], field: str, items: bytes, count: int) -> bytes:
    head = orjson.dumps(base)[:-1]
    return head + b',"' + field.encode() + b'":[' + b",".join([items] * count) + b"]}"


def bodies() -> dict[str, tuple[str, bytes]]:
    """name -> (route, body)."""
    passage = b'"' + b"w " * 2000 + b'"'
    return {
        "330k empty arrays in stop": ("/v1/chat/completions", _with_list(CHAT, "stop", b"[]", 330_000)),
        "500k numbers in input": ("/v1/embeddings", _with_list(EMBED, "input", b"1", 500_000)),
        "256 passages in input (legit)": ("/v1/embeddings", _with_list(EMBED, "input", passage, 256)),
    }


# --- loop: the bridge's decoding under a ticker ----------------------------------------------------


async def _stall_of(call: Callable[[], Any]) -> tuple[float, float]:
    """(longest loop stall, wall time) of awaiting `call()`, in ms."""
    longest = 0.0
    running = True

    async def ticker() -> None:
        nonlocal longest
        last = time.perf_counter()
        while running:
            await asyncio.sleep(0)
            now = time.perf_counter()
            longest = max(longest, now - last)
            last = now

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    started = time.perf_counter()
    with contextlib.suppress(Exception):  # a refusal (JsonMappingError) is an outcome here
        await call()
    wall = time.perf_counter() - started
    running = False
    await task
    return longest * 1e3, wall * 1e3


def run_loop() -> None:
    from chorus_contracts.chittyos.ai.v1 import ai_pb2

    from rest_bridge import json_body
    from rest_bridge.jsoncodec import codec_for

    types = {
        "/v1/chat/completions": ai_pb2.CreateChatCompletionRequest,
        "/v1/embeddings": ai_pb2.CreateEmbeddingsRequest,
    }
    print("## loop: the bridge decoding one body (ms)\n")
    print("| body | bytes | longest loop stall | wall |")
    print("|---|---:|---:|---:|")
    for name, (route, raw) in bodies().items():
        message_type = types[route]
        codec = codec_for(message_type)

        def build(data: Any, message_type: Any = message_type, codec: Any = codec) -> Any:
            message = message_type()
            codec.merge_dict(message, data)
            return message

        stalls, walls = [], []
        for _ in range(3):
            stall, wall = asyncio.run(_stall_of(lambda raw=raw, build=build: json_body.decode(raw, build)))
            stalls.append(stall)
            walls.append(wall)
        print(f"| {name} | {len(raw):,} | {min(stalls):.1f} | {min(walls):.1f} |")
    print()


# --- server: /health while hostile bodies are posted ----------------------------------------------


def _health_latencies(url: str, until: Callable[[], bool], minimum: int = 0) -> list[float]:
    latencies = []
    with httpx.Client(base_url=url, timeout=60) as client:
        while not until() or len(latencies) < minimum:
            for headers in HEALTH_HOSTS:
                started = time.perf_counter()
                client.get("/health", headers=headers).raise_for_status()
                latencies.append((time.perf_counter() - started) * 1e3)
    return latencies


def _attack(url: str, route: str, raw: bytes) -> tuple[list[int], list[float], list[float]]:
    """(hostile statuses, hostile latencies, /health latencies meanwhile)."""
    answers: list[int] = []
    timings: list[float] = []
    lock = threading.Lock()

    def attack() -> None:
        with httpx.Client(base_url=url, timeout=120) as client:
            for _ in range(3):
                started = time.perf_counter()
                status = client.post(route, headers=AI, content=raw).status_code
                with lock:
                    answers.append(status)
                    timings.append((time.perf_counter() - started) * 1e3)

    threads = [threading.Thread(target=attack) for _ in range(3)]
    for thread in threads:
        thread.start()
    busy = _health_latencies(url, lambda: not any(t.is_alive() for t in threads))
    for thread in threads:
        thread.join()
    return answers, timings, busy


def run_server() -> None:
    from tests.support.chorus_process import ChorusProcess, run_cli

    print("## server: GET /health (ms) while 3 clients post a body 3 times each\n")
    print("| body | hostile answers | hostile request p50 | /health p50 idle | /health p50 | /health max |")
    print("|---|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        limits = ("--rate-per-minute", "1000000", "--burst-per-second", "100000")
        run_cli(Path(tmp), "tenants", "add", "bench", "--allow-unauthenticated", *limits)
        with ChorusProcess(Path(tmp)) as proc:
            _run_attacks(proc.rest_url)
    print()


def _run_attacks(url: str) -> None:
    idle = _health_latencies(url, lambda: True, minimum=60)
    for name, (route, raw) in bodies().items():
        answers, timings, busy = _attack(url, route, raw)
        statuses = ",".join(sorted({str(a) for a in answers}))
        print(
            f"| {name} | {statuses} | {statistics.median(timings):.0f} | {statistics.median(idle):.1f} "
            f"| {statistics.median(busy):.1f} | {max(busy):.1f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=("loop", "server"))
    args = parser.parse_args()
    if args.only in (None, "loop"):
        run_loop()
    if args.only in (None, "server"):
        run_server()


if __name__ == "__main__":
    main()
