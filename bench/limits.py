"""The physical limits beside Chorus's unary rows, and the ratios issue 12 sets against them.

The echo part measures, next to the bare grpc.aio echo (bench/echo_server.py),
a bare ASGI app on uvicorn (bench/bare_asgi.py): the HTTP limit. The targets
compare rows of one run, side by side:
- Chorus gRPC req/s ≥ 0.5x the bare echo's;
- Chorus REST req/s over the bare ASGI app's, for information.
(The REST ≥ 2x FastAPI target is bench/fastapi_row.py's.)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from bench.procs import Server, _module_server
from bench.runs import BenchOptions, Row, measure, unary_args
from bench.stats import fmt, ratio

GRPC_OVER_ECHO = 0.5  # Chorus gRPC req/s / bare grpc.aio echo req/s

Target = tuple[str, str, str, str]


@contextmanager
def bare_asgi_server() -> Iterator[Server]:
    """`python -m bench.bare_asgi` on an ephemeral port."""
    ready = r"bare-asgi: listening on (\S+)"
    with _module_server("bare-asgi", "bench.bare_asgi", ready) as (pid, url, output):
        yield Server("bare-asgi", pid, rest_url=url, output=output)


def run_bare_asgi(o: BenchOptions) -> Row:
    return measure(
        o,
        "HTTP bare ASGI (same-size body)",
        "bench/bare_asgi.py on uvicorn",
        bare_asgi_server(),
        "unary-http",
        unary_args(o),
        unary_args(o, 1),
    )


def _default_rest(rows: Sequence[Row]) -> Row | None:
    return next((r for r in rows if r.label.startswith("REST") and "(default)" in r.server), None)


def _verdict(measured: float, target: float, *rows: Row) -> str:
    verdict = "met" if measured >= target else "**MISSED**"
    if any(r.result.get("errors") for r in rows):
        verdict += " (with errors)"
    return verdict


def ratio_targets(rows: Sequence[Row], grpc: Row | None, echo: Row | None, bare: Row | None) -> list[Target]:
    """The issue's throughput ratios among `rows` (the unary table) and the two limits."""
    out: list[Target] = []
    rest = _default_rest(rows)
    if rest is not None and bare is not None:
        x = ratio(rest.result["rps"], bare.result["rps"])
        out.append(("Chorus REST (default) req/s / bare ASGI req/s", f"{fmt(x, 2)}x", "—", "info"))
    if grpc is not None and echo is not None:
        x = ratio(grpc.result["rps"], echo.result["rps"])
        out.append(
            (
                "Chorus gRPC req/s / bare echo req/s",
                f"{fmt(x, 2)}x",
                f"≥ {GRPC_OVER_ECHO:g}x",
                _verdict(x, GRPC_OVER_ECHO, grpc, echo),
            )
        )
    return out
