"""The Markdown report: machine header, result tables, targets, server-side problems."""

from __future__ import annotations

import datetime as dt
import math
import os
import platform
from collections import Counter
from dataclasses import dataclass, field

from bench.bench_observability import MetricsRow, metrics_section
from bench.fastapi_row import fastapi_targets
from bench.gateway import Gateway
from bench.jobs import JobsPart, jobs_section
from bench.limits import ratio_targets
from bench.report_scale import error_kinds, gateway_section, soak_section, workers_section
from bench.runs import BenchOptions, EchoPart, Row
from bench.search import SearchPart, search_section
from bench.semantic import Semantic, semantic_section
from bench.soak import Soak
from bench.stats import fmt, pct, ratio
from bench.tts import TtsPart, tts_section
from tests.support import backends

BRIDGE_P50_TARGET = 1.5  # bridge p50 / gRPC p50
STREAMS_TARGET = 10_000  # concurrent streams held on one process ...
STREAMS_RSS_TARGET_MIB = 1536  # ... within this peak resident memory
TTFT_OVER_GRPC_TARGET_MS = 2.0  # REST SSE time to first token above gRPC's


def storage() -> str:
    if backends.POSTGRES:
        return "PostgreSQL + Redis (CHORUS_TEST_BACKEND=postgres: a throwaway cluster, one database per server)"
    return "SQLite, a fresh file per server"


def machine_info() -> str:
    import grpc

    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    cores = f"{os.cpu_count()} cores" + (f" ({model})" if model else "")
    return (
        f"{cores}, {platform.system()} {platform.release()}, Python {platform.python_version()}, "
        f"grpcio {grpc.__version__}; load average at start: {load}"
    )


def _quiet_ttft(row: Row) -> float:
    """TTFT p50 of the streams opened one at a time before the burst (NaN when not run)."""
    return float((row.unloaded or {}).get("ttft_p50_ms", math.nan))


@dataclass
class Report:
    machine: str
    options: BenchOptions
    parts: list[str]
    unary: list[Row] = field(default_factory=list)
    fastapi: Row | None = None  # the FastAPI peer of the REST read (bench/fastapi_row.py)
    echo: EchoPart | None = None
    bare_asgi: Row | None = None  # the HTTP limit (bench/limits.py), measured with the echo part
    sse: list[Row] = field(default_factory=list)
    workers: list[Row] = field(default_factory=list)
    soak: Soak | None = None
    gateway: Gateway | None = None
    semantic: Semantic | None = None
    jobs: JobsPart | None = None
    metrics: list[MetricsRow] | None = None
    tts: TtsPart | None = None
    search: SearchPart | None = None
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def render(self) -> str:
        o = self.options
        out = [
            f"# Chorus bench, {self.started:%Y-%m-%d %H:%M} UTC",
            "",
            f"**Machine:** {self.machine}.  ",
            f"**Storage:** {storage()}.  ",
            "Load generator in its own process (gRPC: grpc.aio, one channel; HTTP: raw asyncio "
            "keep-alive client on uvloop); every row on its own fresh server process and SQLite data dir "
            "(unary rows: the 1-in-flight run first, then the loaded run).",
            "",
        ]
        targets: list[tuple[str, str, str, str]] = []
        if self.unary or self.echo or self.fastapi:
            out += self._unary_section(targets)
        if self.sse:
            out += self._sse_section(targets)
        if self.workers:
            out += workers_section(self.workers, o, targets)
        if self.soak is not None:
            out += soak_section(self.soak, o, targets)
        if self.gateway is not None:
            out += gateway_section(self.gateway, o, targets)
        if self.semantic is not None:
            out += semantic_section(self.semantic, targets)
        if self.jobs is not None:
            out += jobs_section(self.jobs)
        if self.metrics is not None:
            out += metrics_section(self.metrics)
        if self.tts is not None:
            out += tts_section(self.tts)
        if self.search is not None:
            out += search_section(self.search)
        if targets:
            out += ["## Targets", "", "| Check | Measured | Target | Result |", "|---|---|---|---|"]
            out += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in targets]
            out.append("")
        out += self._problems_section()
        options = []
        if self.unary or self.echo:
            options.append(f"concurrency {o.concurrency}, warm-up {o.warmup:g} s, measured {o.duration:g} s")
        if self.sse:
            options.append(
                f"streams {o.streams}, token_delay {o.token_delay:g} s, stream timeout {o.sse_timeout:g} s, "
                f"message {o.message!r}"
            )
        if self.workers:
            options.append(f"workers {', '.join(map(str, o.worker_counts))}")
        if self.soak is not None:
            options.append(
                f"soak {o.soak_streams} streams in waves of {o.soak_wave}, token_delay {o.soak_token_delay:g} s, "
                f"{o.soak_workers} worker(s)"
            )
        if self.gateway is not None:
            options.append(f"gateway concurrency 1 and {o.concurrency}, {o.gateway_tokens} chunks per answer")
        out.append(f"Options: parts {', '.join(self.parts)}; {'; '.join(options)}.")
        return "\n".join(out) + "\n"

    # --- unary ---

    def _unary_section(self, targets: list[tuple[str, str, str, str]]) -> list[str]:
        o = self.options
        rows = list(self.unary) + ([self.fastapi] if self.fastapi else [])
        if self.echo is not None:
            if not self.echo.reused:
                rows.append(self.echo.chorus)
            rows.append(self.echo.echo)
        if self.bare_asgi is not None:
            rows.append(self.bare_asgi)
        out = [
            f"## Unary read: 2-message session history, {o.concurrency} in flight, "
            f"{o.duration:g} s after {o.warmup:g} s warm-up",
            "",
            "| Call | Server | req/s | p50 ms | p90 ms | p99 ms | errors | server CPU | client CPU "
            "| 1 in flight: req/s | p50 ms | p99 ms |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for row in rows:
            r = row.result
            errors = r["errors"] + (row.unloaded["errors"] if row.unloaded else 0)
            out.append(
                f"| {row.label} | {row.server} | {fmt(r['rps'], 0)} | {fmt(r['p50_ms'])} | {fmt(r['p90_ms'])} | "
                f"{fmt(r['p99_ms'])} | {errors} | {pct(r['server_cpu'])} | {pct(r['client_cpu'])} | "
                + (
                    f"{fmt(u['rps'], 0)} | {fmt(u['p50_ms'], 2)} | {fmt(u['p99_ms'], 2)} |"
                    if (u := row.unloaded)
                    else "— | — | — |"
                )
            )
        out.append("")
        out += error_kinds(rows)
        if self.fastapi is not None:
            targets += fastapi_targets(self.unary, self.fastapi)
        grpc_row = self.unary[0] if self.unary else (self.echo.chorus if self.echo else None)
        if grpc_row is not None:
            g = grpc_row.result
            for row in self.unary[1:]:
                r = row.result
                p50 = ratio(r["p50_ms"], g["p50_ms"])
                verdict = "met" if p50 <= BRIDGE_P50_TARGET else "**MISSED**"
                if r["errors"] or g["errors"]:
                    verdict += " (with errors)"
                where = "in-process" if "in-process" in row.server else "loopback gRPC"
                targets.append(
                    (f"Bridge ({where}) p50 / gRPC p50", f"{fmt(p50, 2)}x", f"≤ {BRIDGE_P50_TARGET}x", verdict)
                )
                targets.append(
                    (f"Bridge ({where}) req/s / gRPC req/s", f"{fmt(ratio(r['rps'], g['rps']), 2)}x", "—", "info")
                )
                if row.unloaded and grpc_row.unloaded:
                    unloaded_ratio = ratio(row.unloaded["p50_ms"], grpc_row.unloaded["p50_ms"])
                    targets.append(
                        (f"Bridge ({where}) p50 / gRPC p50, 1 in flight", f"{fmt(unloaded_ratio, 2)}x", "—", "info")
                    )
            echo = self.echo.echo if self.echo is not None else None
            targets += ratio_targets(self.unary, grpc_row, echo, self.bare_asgi)
            if self.echo is not None:
                e = self.echo.echo.result
                targets.append(
                    ("Chorus gRPC p50 / bare echo p50", f"{fmt(ratio(g['p50_ms'], e['p50_ms']), 1)}x", "—", "info")
                )
                eu, gu = self.echo.echo.unloaded, grpc_row.unloaded
                if eu and gu:
                    unloaded_ratio = ratio(gu["p50_ms"], eu["p50_ms"])
                    targets.append(
                        ("Chorus gRPC p50 / bare echo p50, 1 in flight", f"{fmt(unloaded_ratio, 1)}x", "—", "info")
                    )
        return out

    # --- streams ---

    def _sse_section(self, targets: list[tuple[str, str, str, str]]) -> list[str]:
        o = self.options
        offered = o.streams / o.token_delay if o.token_delay > 0 else math.inf
        per_stream = self.sse[0].result.get("tokens_per_stream", 0) if self.sse else 0
        out = [
            f"## Chat streams: {o.streams} opened at once, builtin model, token_delay {o.token_delay:g} s",
            "",
            f"Each reply is ~{per_stream:.0f} tokens, so an unloaded stream lasts about "
            f"{per_stream * o.token_delay:.1f} s; together the streams ask for ~{offered:,.0f} tokens/s.",
            "",
            "| Stream | Server | ok | failed | peak open | headers p50 ms | TTFT p50 ms | TTFT p99 ms "
            "| stream p50 s | stream p99 s | tokens/s | server CPU | client CPU | peak RSS MiB "
            "| TTFT p50 ms, 1 at a time |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for row in self.sse:
            r = row.result
            out.append(
                f"| {row.label} | {row.server} | {r['ok']}/{r['streams']} | {r['errors']} | {r['peak_open']} | "
                f"{fmt(r['headers_p50_ms'], 0)} | {fmt(r['ttft_p50_ms'], 0)} | {fmt(r['ttft_p99_ms'], 0)} | "
                f"{fmt(r['duration_p50_ms'] / 1000, 2)} | {fmt(r['duration_p99_ms'] / 1000, 2)} | "
                f"{fmt(r['tokens_per_s'], 0)} | {pct(r['server_cpu'])} | {pct(r['client_cpu'])} | "
                f"{fmt(r.get('server_hwm_kib', math.nan) / 1024, 0)} | {fmt(_quiet_ttft(row), 2)} |"
            )
        out.append("")
        out += error_kinds(self.sse)
        for row in self.sse:
            r = row.result
            held = r["ok"] == r["streams"] and r["peak_open"] >= r["streams"]
            if r["streams"] < STREAMS_TARGET:
                verdict = f"not tested (ran {r['streams']})"
            else:
                verdict = "met" if held else "**MISSED**"
            where = row.label.split(" ")[0] + (" in-process" if "in-process" in row.server else "")
            targets.append(
                (
                    f"{where} streams held at once",
                    f"{r['ok']}/{r['streams']} ok, peak {r['peak_open']} open",
                    f"{STREAMS_TARGET:,}, no errors",
                    verdict,
                )
            )
            peak_mib = r.get("server_hwm_kib", math.nan) / 1024
            rss_held = held and peak_mib < STREAMS_RSS_TARGET_MIB
            targets.append(
                (
                    f"{where} peak RSS holding the streams",
                    f"{fmt(peak_mib, 0)} MiB for {r['peak_open']:,} open",
                    f"< {STREAMS_RSS_TARGET_MIB:,} MiB at {STREAMS_TARGET:,}",
                    verdict if r["streams"] < STREAMS_TARGET else ("met" if rss_held else "**MISSED**"),
                )
            )
        # The TTFT target compares streams opened one at a time: in the burst, TTFT is the
        # queue behind every other stream's tokens, which says how fast tokens go out, not
        # what a stream's first token costs (listed too, for information).
        grpc = next((row for row in self.sse if row.label.startswith("gRPC")), None)
        for row in self.sse:
            if grpc is None or row is grpc:
                continue
            where = "REST" + (" in-process" if "in-process" in row.server else "")
            quiet, grpc_quiet = _quiet_ttft(row), _quiet_ttft(grpc)
            over = quiet - grpc_quiet
            targets.append(
                (
                    f"{where} TTFT p50 above gRPC's, streams opened one at a time",
                    f"{over:+.2f} ms ({fmt(quiet, 2)} vs {fmt(grpc_quiet, 2)})",
                    f"≤ {TTFT_OVER_GRPC_TARGET_MS:g} ms",
                    "met" if over <= TTFT_OVER_GRPC_TARGET_MS else "**MISSED**",
                )
            )
            burst = row.result["ttft_p50_ms"] - grpc.result["ttft_p50_ms"]
            targets.append(
                (
                    f"{where} TTFT p50 above gRPC's, {o.streams:,} opened at once",
                    f"{burst:+,.0f} ms ({fmt(row.result['ttft_p50_ms'], 0)} vs {fmt(grpc.result['ttft_p50_ms'], 0)})",
                    "—",
                    "info",
                )
            )
        return out

    # --- server output ---

    def _problems_section(self) -> list[str]:
        rows = [*self.unary, *([self.fastapi] if self.fastapi else []), *([self.echo.echo] if self.echo else [])]
        rows += [*self.sse, *self.workers]
        rows += [self.bare_asgi] if self.bare_asgi is not None else []
        if self.echo is not None and not self.echo.reused:
            rows.append(self.echo.chorus)
        if self.soak is not None:
            rows.append(self.soak.row)
        if self.gateway is not None:
            g = self.gateway
            rows += [
                Row("Gateway", "chorus serve", {}, g.problems),
                Row("Gateway", "bench/upstream.py", {}, g.upstream_problems),
            ]
        out: list[str] = []
        for row in rows:
            if not row.problems:
                continue
            counts = Counter(row.problems)
            out.append(f"- {row.label} [{row.server}]: {len(row.problems)} error line(s) in server output:")
            out += [f"  - {n}x `{line[:160]}`" for line, n in counts.most_common(5)]
        if not out:
            return ["Server output: no error lines.", ""]
        return ["## Server-side errors", "", *out, ""]
