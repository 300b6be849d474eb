"""The top frames of a py-spy profile of `chorus serve` under the unary load, as text.

    .venv/bin/python -m bench.profile_top grpc       # GetSessionHistory over direct gRPC
    .venv/bin/python -m bench.profile_top http       # GET /chat/{id}/history, default transport
    .venv/bin/python -m bench.profile_top http --env CHORUS_REST__TRANSPORT=grpc
    .venv/bin/python -m bench.profile_top --collapsed /tmp/x.txt   # only summarise a recording

Starts a fresh server, runs the same load as `make bench --only unary` with
py-spy recording the measured window (GIL-holding samples, collapsed stacks),
then prints the frames with the most samples on top of the stack ("self") and
the frames most often anywhere on it ("total"), as a share of all samples.
These are the numbers a change to the request path is judged by, next to the
side-by-side req/s of `make bench`.
"""

from __future__ import annotations

import argparse
import re
import tempfile
from collections import Counter
from pathlib import Path

from bench.procs import chorus, run_loadgen
from bench.runs import BenchOptions, unary_args

_LINE = re.compile(r"^(?P<stack>.*) (?P<count>\d+)$")
# `func (path/to/file.py:123)`: the line number is dropped so one function is one row.
_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(:\d+)?\)$")


def _frame_name(frame: str) -> str:
    found = _FRAME.match(frame)
    if not found:
        return frame
    path = found.group("file")
    for marker in ("site-packages/", "/perf-path/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{found.group('func')} ({path})"


def summarise(collapsed: Path, top: int = 25) -> str:
    own: Counter[str] = Counter()
    anywhere: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        found = _LINE.match(line)
        if not found:
            continue
        count = int(found.group("count"))
        frames = [_frame_name(f) for f in found.group("stack").split(";")]
        # py-spy's first frame names the process/thread; drop it.
        frames = [f for f in frames if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            anywhere[frame] += count
    if total == 0:
        return "no samples"
    lines = [f"{total} samples (GIL held)", "", "self %  | frame"]
    lines += [f"{100 * n / total:6.1f}  | {name}" for name, n in own.most_common(top)]
    lines += ["", "total % | frame"]
    lines += [f"{100 * n / total:6.1f}  | {name}" for name, n in anywhere.most_common(top)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", nargs="?", choices=("grpc", "http"), default="grpc")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help="server environment")
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--collapsed", type=Path, help="summarise this recording instead of recording one")
    parser.add_argument("--keep", type=Path, help="also keep the recording here")
    args = parser.parse_args()
    if args.collapsed is not None:
        print(summarise(args.collapsed, args.top))
        return
    env = dict(item.split("=", 1) for item in args.env)
    options = BenchOptions(concurrency=args.concurrency, duration=args.duration)
    with tempfile.TemporaryDirectory() as tmp:
        profile = args.keep or Path(tmp) / "profile.txt"
        with chorus(env=env) as server:
            address = ["--url", server.rest_url] if args.mode == "http" else ["--target", server.grpc_addr]
            result = run_loadgen(f"unary-{args.mode}", [*address, *unary_args(options)], server, profile=profile)
        print(f"{result['rps']:.0f} req/s, p50 {result['p50_ms']:.1f} ms, server CPU {100 * result['server_cpu']:.0f}%")
        print(summarise(profile, args.top))


if __name__ == "__main__":
    main()
