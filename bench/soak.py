"""The soak part: a fixed number of SSE chats in waves on one `chorus serve`, watching memory.

The server's process tree is sampled from /proc before any stream, after every
wave (no stream open then: the load generator waits) and at the end. Memory
that keeps growing from wave to wave, after the first wave has warmed caches
and pools, is a leak.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from bench.layouts import Layout, serve
from bench.procs import run_loadgen
from bench.proctree import Memory, tree_memory
from bench.runs import BenchOptions, Row, progress


@dataclass
class Soak:
    row: Row
    # (label, memory of each process by pid), in time order: "before", "wave 1", ..., "wave N".
    samples: list[tuple[str, dict[int, Memory]]] = field(default_factory=list)
    root_pid: int = 0

    def pids(self) -> list[int]:
        """Every process seen in any sample, the root first."""
        seen: dict[int, None] = {}
        for _, by_pid in self.samples:
            seen.update(dict.fromkeys(by_pid))
        return sorted(seen, key=lambda pid: (pid != self.root_pid, pid))


def run_soak(o: BenchOptions) -> Soak:
    layout = Layout(o.soak_workers, redis=o.soak_workers > 1)
    config = f'[models.providers.builtin]\nkind = "builtin"\ntoken_delay = {o.soak_token_delay}\n'
    waves = math.ceil(o.soak_streams / max(o.soak_wave, 1))
    label = f"REST `POST /chat` SSE, {o.soak_streams:,} streams in waves of {o.soak_wave}"
    progress(f"{label} [{layout.describe()}] ...")
    args = [
        *("--streams", str(o.soak_streams), "--wave", str(o.soak_wave)),
        *("--timeout", str(o.sse_timeout), "--message", o.message),
    ]
    with serve(layout, config) as server:
        soak = Soak(Row(label, layout.describe(), {}), [("before", tree_memory(server.pid))], server.pid)

        def on_wave(rest: str) -> None:
            number, ok, count = rest.split()[:3]
            soak.samples.append((f"wave {number}", tree_memory(server.pid)))
            if int(number) == 1 or int(number) % max(1, waves // 10) == 0 or int(number) == waves:
                rss = sum(m.rss_kib for m in soak.samples[-1][1].values()) / 1024
                progress(f"  wave {number}/{waves}: {ok}/{count} ok, RSS of all processes {rss:,.0f} MiB")

        url = ["--url", server.rest_url]
        result = run_loadgen("soak-http", [*url, *args], server, timeout=waves * o.sse_timeout + 60, on_wave=on_wave)
    soak.row.result = result
    soak.row.problems = server.problems()
    progress(f"  {result['ok']}/{result['streams']} ok, {result['streams_per_s']:,.0f} streams/s")
    return soak
