"""What metrics cost per request (issue 18's target: ≤ 20 µs), side by side with metrics off.

    .venv/bin/python -m bench.bench_observability [--calls 20000]   (and `make bench`, part `metrics`)

A real Chorus (every surface, SQLite in a temp dir, `[admin]` on an ephemeral port)
is built as `chorus serve` builds it. On this event loop, with no network:

- *REST*: Crispy's `GET /health` through the bridge's ASGI app and the in-process
  transport (route match, admission, handler, JSON response), once with the
  bridge's request observer off and once on (counter, latency and two size
  histograms; route template labels bound on the first request).
- *gRPC*: the server's handler for `GetHealth` (admission wrapper included), bare
  and inside the metrics wrapper the gRPC server registers.

Each line is the mean CPU time of the event loop's thread per request over `--calls`
requests after 1,000 warm-up ones: chunks of 500, off and on alternating, the median
chunk of each, best of `--repeat` runs.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chorus_contracts.crispy.v1 import chat_pb2

from rest_bridge.inprocess import _LocalContext
from server.app import SURFACES, Chorus
from server.config import TenantSeed, compose_settings
from server.platform.observability.requests import GrpcMeter

TENANT = "bench"
METHOD = "/crispy.v1.ChatService/GetHealth"
PEER = "ipv4:127.0.0.1:40000"
TARGET_US = 20.0


@dataclass
class MetricsRow:
    name: str
    off_us: float
    on_us: float

    @property
    def cost_us(self) -> float:
        return self.on_us - self.off_us


async def _time(op: Callable[[], Awaitable[Any]], calls: int) -> float:
    start = time.thread_time()
    for _ in range(calls):
        await op()
    return (time.thread_time() - start) / calls * 1e6


CHUNK = 500


async def _side_by_side(
    off: Callable[[], Awaitable[Any]], on: Callable[[], Awaitable[Any]], calls: int, repeat: int
) -> tuple[float, float]:
    """Chunks of CHUNK requests, off and on alternating so both see the same machine;
    the median chunk of each, best of `repeat` runs."""
    for _ in range(1000):
        await off()
        await on()
    best_off = best_on = float("inf")
    for _ in range(repeat):
        offs, ons = [], []
        for _ in range(max(1, calls // CHUNK)):
            offs.append(await _time(off, CHUNK))
            ons.append(await _time(on, CHUNK))
        best_off = min(best_off, statistics.median(offs))
        best_on = min(best_on, statistics.median(ons))
    return best_off, best_on


async def measure(calls: int, repeat: int) -> list[MetricsRow]:
    with tempfile.TemporaryDirectory(prefix="chorus-metrics-") as tmp:
        settings = compose_settings(SURFACES)(
            data_dir=Path(tmp),
            grpc={"host": "127.0.0.1", "port": 0},
            rest={"host": "127.0.0.1", "port": 0, "transport": "inprocess"},
            admin={"enabled": True, "port": 0},
        )
        chorus = Chorus(settings)
        await chorus.start_grpc()
        await chorus.start_rest("")
        try:
            platform = chorus._platform
            assert platform is not None
            seed = TenantSeed(id=TENANT, allow_unauthenticated=True)
            await platform.tenants.create_tenant(seed, rate_per_minute=10**9, burst_per_second=10**9)
            bridge = chorus._bridge
            meter = bridge.observer
            assert meter is not None
            scope = {
                "type": "http",
                "method": "GET",
                "path": "/health",
                "raw_path": b"/health",
                "query_string": b"",
                "headers": [(b"host", b"localhost"), (b"x-tenant-id", TENANT.encode())],
                "client": ("127.0.0.1", 40000),
            }
            request_message = {"type": "http.request", "body": b"", "more_body": False}

            async def receive() -> dict[str, Any]:
                return request_message

            statuses: set[int] = set()

            async def send(message: Any) -> None:
                if message["type"] == "http.response.start":
                    statuses.add(message["status"])

            async def rest_off() -> None:
                bridge.observer = None
                await bridge(dict(scope), receive, send)

            async def rest_on() -> None:
                bridge.observer = meter
                await bridge(dict(scope), receive, send)

            handler = chorus._wrapped["crispy.v1.ChatService"][METHOD]
            measured = GrpcMeter(chorus.observability.metrics, False, {"crispy.v1.ChatService": "crispy"}).wrap(
                METHOD, handler
            )
            metadata = (("x-tenant-id", TENANT),)
            request = chat_pb2.GetHealthRequest()

            async def grpc_off() -> Any:
                return await handler.unary_unary(request, _LocalContext(metadata, PEER))

            async def grpc_on() -> Any:
                return await measured.unary_unary(request, _LocalContext(metadata, PEER))

            rest = await _side_by_side(rest_off, rest_on, calls, repeat)
            assert statuses == {200}, f"GET /health answered {statuses}"
            grpc_row = await _side_by_side(grpc_off, grpc_on, calls, repeat)
            bridge.observer = meter
            return [
                MetricsRow("REST `GET /health` (bridge, in-process)", *rest),
                MetricsRow("gRPC `GetHealth` handler", *grpc_row),
            ]
        finally:
            await chorus.stop()


def metrics_section(rows: list[MetricsRow]) -> list[str]:
    out = [
        "## Metrics cost per request (bench/bench_observability.py)",
        "",
        "CPU µs of the event loop's thread per request, metrics off and on, side by side in one run.",
        "",
        "| Request | Off µs | On µs | Metrics µs | Target | Result |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        result = "met" if r.cost_us <= TARGET_US else "**MISSED**"
        out.append(f"| {r.name} | {r.off_us:.1f} | {r.on_us:.1f} | {r.cost_us:.1f} | ≤ {TARGET_US:g} | {result} |")
    out.append("")
    return out


def run_metrics(calls: int = 20_000, repeat: int = 3) -> list[MetricsRow]:
    try:
        import uvloop

        return uvloop.run(measure(calls, repeat))
    except ImportError:
        return asyncio.run(measure(calls, repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print("\n".join(metrics_section(run_metrics(args.calls, args.repeat))))


if __name__ == "__main__":
    main()
