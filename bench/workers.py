"""The workers part: a read RPC and the REST chat route on 1 process and on N pre-forked workers.

Every in-flight request has its own connection (gRPC: a channel each), because
with `--workers N` the kernel hands each new connection to one worker
(SO_REUSEPORT): the load spreads over workers only through connections.
"""

from __future__ import annotations

from bench.layouts import Layout, serve
from bench.runs import BenchOptions, Row, measure, unary_args
from tests.support import backends


def layouts(o: BenchOptions) -> list[Layout]:
    """The default one-process layout, then each worker count with Redis (what several workers need).

    1 process + Redis isolates what Redis costs, so the N-worker rows compare with it. On
    CHORUS_TEST_BACKEND=postgres every server has Redis already, so there is no row without it.
    """
    chosen = [] if backends.POSTGRES else [Layout(1, redis=False)]
    chosen += [Layout(n, redis=True) for n in sorted(set(o.worker_counts))]
    return chosen


def run_workers(o: BenchOptions) -> list[Row]:
    rows = []
    load = [*unary_args(o), "--channels", str(o.concurrency)]
    for layout in layouts(o):
        rows.append(measure(o, "gRPC `GetSessionHistory`", layout.describe(), serve(layout), "unary-grpc", load))
    for layout in layouts(o):
        rows.append(
            measure(
                o,
                "REST `POST /chat`, not streamed",
                layout.describe(),
                serve(layout),
                "chat-http",
                [*unary_args(o), "--message", o.message],
            )
        )
    return rows
