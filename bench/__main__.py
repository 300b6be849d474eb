"""`make bench` / `python -m bench`: Chorus end to end, side by side, in one run.

Parts (each starts fresh server processes in temp dirs and stops them):
  unary  GetSessionHistory over direct gRPC vs `GET /chat/{id}/history` through the REST bridge
  echo   the same gRPC call against a bare grpc.aio server (bench/echo_server.py)
  sse    concurrent `POST /chat` SSE streams vs concurrent gRPC `Chat` streams

Prints a Markdown report and writes it to bench/results/latest.md. See bench/README.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.procs import raise_own_nofile
from bench.report import Report, machine_info
from bench.runs import BenchOptions, run_echo, run_sse, run_unary

PARTS = ("unary", "echo", "sse")
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "results" / "latest.md"


def _parts(values: list[str] | None) -> list[str]:
    if not values:
        return list(PARTS)
    chosen = [p.strip() for v in values for p in v.split(",") if p.strip()]
    unknown = [p for p in chosen if p not in PARTS]
    if unknown:
        raise SystemExit(f"--only: unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    return [p for p in PARTS if p in chosen]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", action="append", metavar="PART", help="unary, echo or sse (repeat or comma-separate)")
    parser.add_argument("--concurrency", type=int, default=16, help="unary: requests in flight (default 16)")
    parser.add_argument("--warmup", type=float, default=1.0, help="unary: warm-up seconds (default 1)")
    parser.add_argument("--duration", type=float, default=5.0, help="unary: measured seconds (default 5)")
    parser.add_argument("--streams", type=int, default=2000, help="sse: concurrent streams (default 2000)")
    parser.add_argument(
        "--token-delay", type=float, default=0.05, help="sse: builtin model seconds between tokens (default 0.05)"
    )
    parser.add_argument("--sse-timeout", type=float, default=120.0, help="sse: give up on a stream after this")
    parser.add_argument("--message", default="hello", help="sse: the user message sent (short)")
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
    )
    raise_own_nofile()
    report = Report(machine=machine_info(), options=options, parts=parts)
    if "unary" in parts:
        report.unary = run_unary(options)
    if "echo" in parts:
        chorus_grpc = report.unary[0] if report.unary else None
        report.echo = run_echo(options, chorus_grpc)
    if "sse" in parts:
        report.sse = run_sse(options)
    text = report.render()
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(f"(written to {args.output})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
