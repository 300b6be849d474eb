"""The bench parts: which servers start, which load generator runs against them."""

from __future__ import annotations

import re
import sys
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.procs import Server, chorus, echo_server, run_loadgen
from bench.proctree import tree_memory

LOOPBACK = {"CHORUS_REST__TRANSPORT": "grpc"}


@dataclass(frozen=True)
class BenchOptions:
    concurrency: int = 16
    warmup: float = 1.0
    duration: float = 5.0
    streams: int = 2000
    token_delay: float = 0.05
    sse_timeout: float = 120.0
    message: str = "hello"
    # Record a py-spy flame graph of the server during each measured window into this directory.
    py_spy_dir: Path | None = None
    # workers part: `chorus serve --workers N` for each N (N > 1 with Redis).
    worker_counts: tuple[int, ...] = (1, 2)
    # soak part: this many SSE chats, `soak_wave` open at once, on `soak_workers` workers.
    soak_streams: int = 4000
    soak_wave: int = 400
    soak_token_delay: float = 0.01
    soak_workers: int = 1
    # gateway part: content chunks in each answer of the bench upstream.
    gateway_tokens: int = 20


@dataclass
class Row:
    """One measured line of the report."""

    label: str
    server: str
    result: dict[str, Any]
    problems: list[str] = field(default_factory=list)
    # Unary rows: the same call with one request in flight (latency without queueing).
    unloaded: dict[str, Any] | None = None


@dataclass
class EchoPart:
    chorus: Row
    echo: Row
    reused: bool  # `chorus` is the unary part's gRPC row, not measured again


def progress(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def measure(
    o: BenchOptions,
    label: str,
    server_desc: str,
    start: AbstractContextManager[Server],
    mode: str,
    args: list[str],
    unloaded_args: list[str] | None = None,
) -> Row:
    """Starts the server, runs the load generator (first with `unloaded_args` if given), stops the server."""
    progress(f"{label} [{server_desc}] ...")
    unloaded = None
    profile = None
    if o.py_spy_dir is not None:
        slug = re.sub(r"[^a-z0-9]+", "-", f"{mode} {server_desc}".lower()).strip("-")
        profile = o.py_spy_dir / f"{slug}.svg"
    with start as server:
        address = ["--url", server.rest_url] if mode.endswith("http") else ["--target", server.grpc_addr]
        if server.setup_url:
            address += ["--setup-url", server.setup_url]
        if unloaded_args is not None:
            unloaded = run_loadgen(mode, [*address, *unloaded_args], server)
            progress(f"  1 in flight: {_summary(unloaded)}")
        result = run_loadgen(mode, [*address, *args], server, profile=profile)
        # Peak resident memory of the server's processes over the whole row (VmHWM).
        result["server_hwm_kib"] = sum(m.hwm_kib for m in tree_memory(server.pid).values())
    if profile is not None and profile.exists():
        progress(f"  profile: {profile}")
    row = Row(label, server_desc, result, server.problems(), unloaded)
    progress(f"  {_summary(result)}")
    return row


def _summary(result: dict[str, Any]) -> str:
    if "rps" in result:
        return f"{result['rps']:.0f} req/s, p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms"
    return (
        f"{result['ok']}/{result['streams']} ok, peak open {result['peak_open']}, "
        f"TTFT p50 {result['ttft_p50_ms']:.1f} ms"
    )


def unary_args(o: BenchOptions, concurrency: int | None = None) -> list[str]:
    c = o.concurrency if concurrency is None else concurrency
    return ["--concurrency", str(c), "--warmup", str(o.warmup), "--duration", str(o.duration)]


def _grpc_row(o: BenchOptions) -> Row:
    return measure(
        o, "gRPC `GetSessionHistory`", "chorus serve", chorus(), "unary-grpc", unary_args(o), unary_args(o, 1)
    )


def run_unary(o: BenchOptions) -> list[Row]:
    """Each row on its own fresh server: gRPC direct, bridge in-process (the default), bridge over loopback gRPC."""
    return [
        _grpc_row(o),
        measure(
            o,
            "REST `GET /chat/{id}/history`",
            "chorus serve, bridge → in-process handlers (default)",
            chorus(),
            "unary-http",
            unary_args(o),
            unary_args(o, 1),
        ),
        measure(
            o,
            "REST `GET /chat/{id}/history`",
            "chorus serve, bridge → loopback gRPC",
            chorus(env=LOOPBACK),
            "unary-http",
            unary_args(o),
            unary_args(o, 1),
        ),
    ]


def run_echo(o: BenchOptions, chorus_grpc: Row | None) -> EchoPart:
    reused = chorus_grpc is not None
    base = chorus_grpc if chorus_grpc is not None else _grpc_row(o)
    echo = measure(
        o,
        "gRPC bare echo (same path)",
        "bench/echo_server.py",
        echo_server(),
        "unary-grpc",
        [*unary_args(o), "--echo"],
        [*unary_args(o, 1), "--echo"],
    )
    return EchoPart(base, echo, reused)


# TTFT without load, before each burst: streams one at a time, each hung up after its first token.
TTFT_SAMPLES = 50


def run_sse(o: BenchOptions) -> list[Row]:
    config = f'[models.providers.builtin]\nkind = "builtin"\ntoken_delay = {o.token_delay}\n'
    args = ["--streams", str(o.streams), "--timeout", str(o.sse_timeout), "--message", o.message]
    ttft = ["--streams", str(TTFT_SAMPLES), "--in-flight", "1", "--first-token-only", "--message", o.message]
    return [
        measure(
            o,
            "REST `POST /chat` SSE",
            "chorus serve, bridge → in-process handlers (default)",
            chorus(config),
            "sse-http",
            args,
            ttft,
        ),
        measure(
            o,
            "REST `POST /chat` SSE",
            "chorus serve, bridge → loopback gRPC",
            chorus(config, env=LOOPBACK),
            "sse-http",
            args,
            ttft,
        ),
        measure(o, "gRPC `Chat` stream", "chorus serve", chorus(config), "sse-grpc", args, ttft),
    ]
