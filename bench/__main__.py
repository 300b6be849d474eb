"""`make bench` / `python -m bench`: Chorus end to end, side by side, in one run.

Parts (each starts fresh server processes in temp dirs and stops them):
  unary  GetSessionHistory over direct gRPC vs `GET /chat/{id}/history` through the REST bridge,
         and the same read from a FastAPI + SQLAlchemy app (bench/fastapi_peer.py)
  echo   the same gRPC call against a bare grpc.aio server (bench/echo_server.py), and the same
         HTTP read against a bare ASGI app on uvicorn (bench/bare_asgi.py): the two limits
  sse    concurrent `POST /chat` SSE streams vs concurrent gRPC `Chat` streams
  workers  the read RPC and non-streaming `POST /chat` on 1 process vs `chorus serve --workers N` (+ Redis)
  soak   a fixed number of SSE chats in waves on one server, with the memory of each process per wave
  gateway  ChittyOS `POST /v1/chat/completions` through Chorus vs straight to a local OpenAI-compatible upstream
  semantic  the packaged sentence embedding (relevance vs lexical, speed) and the vector index (recall, p50, store)
  jobs   the platform job queue: enqueue-to-start latency and no-op throughput (bench/jobs.py)
  tts    Crispy `POST /tts` real-time factor vs the Piper engine alone (bench/tts.py)
  metrics  what Prometheus metrics cost per request, off vs on side by side (bench/bench_observability.py)
  search  Crispy `POST /search`: recall on a labelled corpus (semantic vs lexical) and latency (bench/search.py)

Prints a Markdown report and writes it to bench/results/latest.md. See bench/README.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.bench_observability import run_metrics
from bench.fastapi_row import run_fastapi_row
from bench.gateway import run_gateway
from bench.jobs import run_jobs
from bench.limits import run_bare_asgi
from bench.procs import raise_own_nofile
from bench.report import Report, machine_info
from bench.runs import BenchOptions, run_echo, run_sse, run_unary
from bench.search import run_search
from bench.semantic import run_semantic
from bench.soak import run_soak
from bench.tts import run_tts
from bench.workers import run_workers

PARTS = ("unary", "echo", "sse", "workers", "soak", "gateway", "semantic", "jobs", "tts", "metrics", "search")
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "results" / "latest.md"


def _parts(values: list[str] | None) -> list[str]:
    if not values:
        return list(PARTS)
    chosen = [p.strip() for v in values for p in v.split(",") if p.strip()]
    unknown = [p for p in chosen if p not in PARTS]
    if unknown:
        raise SystemExit(f"--only: unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    return [p for p in PARTS if p in chosen]


def _counts(value: str) -> tuple[int, ...]:
    try:
        counts = tuple(int(v) for v in value.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of numbers: {value!r}") from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("worker counts must be 1 or more")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--only", action="append", metavar="PART", help=f"{', '.join(PARTS)} (repeat or comma-separate)"
    )
    parser.add_argument(
        "--concurrency", type=int, default=16, help="unary, workers, gateway: requests in flight (default 16)"
    )
    parser.add_argument(
        "--warmup", type=float, default=1.0, help="unary, workers, gateway: warm-up seconds (default 1)"
    )
    parser.add_argument(
        "--duration", type=float, default=5.0, help="unary, workers, gateway: measured seconds (default 5)"
    )
    parser.add_argument("--streams", type=int, default=2000, help="sse: concurrent streams (default 2000)")
    parser.add_argument(
        "--token-delay", type=float, default=0.05, help="sse: builtin model seconds between tokens (default 0.05)"
    )
    parser.add_argument(
        "--sse-timeout",
        type=float,
        default=120.0,
        help="sse, soak: give up on a stream after this many seconds (soak: per wave)",
    )
    parser.add_argument("--message", default="hello", help="the user message of every chat (short)")
    parser.add_argument(
        "--workers", type=_counts, default=(1, 2), help="workers: comma-separated worker counts (default 1,2)"
    )
    parser.add_argument(
        "--soak-streams", type=int, default=4000, help="soak: SSE chats in all (default 4000; 20000 for a real soak)"
    )
    parser.add_argument("--soak-wave", type=int, default=400, help="soak: chats open at once (default 400)")
    parser.add_argument(
        "--soak-token-delay", type=float, default=0.01, help="soak: builtin model seconds between tokens (default 0.01)"
    )
    parser.add_argument("--soak-workers", type=int, default=1, help="soak: `chorus serve --workers N` (default 1)")
    parser.add_argument(
        "--gateway-tokens", type=int, default=20, help="gateway: content chunks per upstream answer (default 20)"
    )
    parser.add_argument(
        "--job-count", type=int, default=2000, help="jobs: no-op jobs per throughput row (default 2000)"
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where the Markdown report goes")
    parser.add_argument(
        "--py-spy",
        type=Path,
        metavar="DIR",
        help="record a py-spy flame graph (GIL-holding samples) of the server in each measured window into DIR",
    )
    args = parser.parse_args(argv)
    parts = _parts(args.only)
    options = BenchOptions(
        concurrency=args.concurrency,
        warmup=args.warmup,
        duration=args.duration,
        streams=args.streams,
        token_delay=args.token_delay,
        sse_timeout=args.sse_timeout,
        message=args.message,
        py_spy_dir=args.py_spy,
        worker_counts=args.workers,
        soak_streams=args.soak_streams,
        soak_wave=args.soak_wave,
        soak_token_delay=args.soak_token_delay,
        soak_workers=args.soak_workers,
        gateway_tokens=args.gateway_tokens,
    )
    raise_own_nofile()
    report = Report(machine=machine_info(), options=options, parts=parts)
    if "unary" in parts:
        report.unary = run_unary(options)
        report.fastapi = run_fastapi_row(options)
    if "echo" in parts:
        chorus_grpc = report.unary[0] if report.unary else None
        report.echo = run_echo(options, chorus_grpc)
        report.bare_asgi = run_bare_asgi(options)
    if "sse" in parts:
        report.sse = run_sse(options)
    if "workers" in parts:
        report.workers = run_workers(options)
    if "soak" in parts:
        report.soak = run_soak(options)
    if "gateway" in parts:
        report.gateway = run_gateway(options)
    if "semantic" in parts:
        report.semantic = run_semantic()
    if "jobs" in parts:
        report.jobs = run_jobs(args.job_count)
    if "tts" in parts:
        report.tts = run_tts()
    if "metrics" in parts:
        report.metrics = run_metrics()
    if "search" in parts:
        report.search = run_search()
    text = report.render()
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(f"(written to {args.output})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
