"""The FastAPI peer's row of the unary part, and its target: Chorus REST req/s over FastAPI's.

`bench/fastapi_peer.py` reads the same session from the same database as the
Chorus rows: a `chorus serve` in a fresh data dir creates the schema, the
tenant and (through the load generator's set-up `POST /chat`) the session,
then the peer serves `GET /chat/{id}/history` from that data dir's database.
That Chorus stays up, idle, while the peer is measured; only the peer's CPU
is counted.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from bench.procs import Server, _module_server, chorus
from bench.runs import BenchOptions, Row, measure, unary_args
from bench.stats import fmt, ratio
from tests.support import backends

PEER_TARGET = 2.0  # Chorus REST (default transport) req/s / FastAPI req/s
SERVER = "FastAPI + SQLAlchemy async, uvicorn (bench/fastapi_peer.py)"


@contextmanager
def fastapi_peer() -> Iterator[Server]:
    with chorus(name="chorus (schema and session for the peer)") as owner:
        assert owner.data_dir is not None
        url = backends.database_url(owner.data_dir / "chorus.db")
        ready = r"fastapi_peer: listening on (\S+)"
        with _module_server("fastapi", "bench.fastapi_peer", ready, "--database-url", url) as (pid, addr, output):
            yield Server("fastapi", pid, rest_url=addr, output=output, setup_url=owner.rest_url)


def run_fastapi_row(o: BenchOptions) -> Row:
    return measure(
        o, "REST `GET /chat/{id}/history`", SERVER, fastapi_peer(), "unary-http", unary_args(o), unary_args(o, 1)
    )


def fastapi_targets(unary: list[Row], peer: Row) -> list[tuple[str, str, str, str]]:
    """Each Chorus REST row's req/s over the peer's; the target is on the default transport's."""
    rest = [row for row in unary if row.label.startswith("REST")]
    default = next((row for row in rest if "(default)" in row.server), rest[0] if rest else None)
    out = []
    p = peer.result
    for row in rest:
        r = row.result
        measured = ratio(r["rps"], p["rps"])
        where = row.server.split(", ", 1)[-1]
        if row is default:
            verdict = "met" if measured >= PEER_TARGET else "**MISSED**"
            if r["errors"] or p["errors"]:
                verdict += " (with errors)"
            target = f"≥ {PEER_TARGET:g}x"
        else:
            verdict, target = "info", "—"
        targets = (f"Chorus REST ({where}) req/s / FastAPI req/s", f"{fmt(measured, 2)}x", target, verdict)
        out.append(targets)
    return out
