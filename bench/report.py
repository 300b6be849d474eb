"""The Markdown report: machine header, result tables, targets, server-side problems."""

from __future__ import annotations

import datetime as dt
import math
import os
import platform
from collections import Counter
from dataclasses import dataclass, field

from bench.runs import BenchOptions, EchoPart, Row

BRIDGE_P50_TARGET = 1.5  # bridge p50 / gRPC p50
STREAMS_TARGET = 2000  # concurrent streams held on one process


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


def _f(value: float, digits: int = 1) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:,.{digits}f}"


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def _ratio(a: float, b: float) -> float:
    return a / b if b and not math.isnan(a) and not math.isnan(b) else math.nan


@dataclass
class Report:
    machine: str
    options: BenchOptions
    parts: list[str]
    unary: list[Row] = field(default_factory=list)
    echo: EchoPart | None = None
    sse: list[Row] = field(default_factory=list)
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def render(self) -> str:
        o = self.options
        out = [
            f"# Chorus bench, {self.started:%Y-%m-%d %H:%M} UTC",
            "",
            f"**Machine:** {self.machine}.  ",
            "Load generator in its own process (gRPC: grpc.aio, one channel; HTTP: raw asyncio "
            "keep-alive client on uvloop); every row on its own fresh server process and SQLite data dir "
            "(unary rows: the 1-in-flight run first, then the loaded run).",
            "",
        ]
        targets: list[tuple[str, str, str, str]] = []
        if self.unary or self.echo:
            out += self._unary_section(targets)
        if self.sse:
            out += self._sse_section(targets)
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
        out.append(f"Options: parts {', '.join(self.parts)}; {'; '.join(options)}.")
        return "\n".join(out) + "\n"

    # --- unary ---

    def _unary_section(self, targets: list[tuple[str, str, str, str]]) -> list[str]:
        o = self.options
        rows = list(self.unary)
        if self.echo is not None:
            if not self.echo.reused:
                rows.append(self.echo.chorus)
            rows.append(self.echo.echo)
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
                f"| {row.label} | {row.server} | {_f(r['rps'], 0)} | {_f(r['p50_ms'])} | {_f(r['p90_ms'])} | "
                f"{_f(r['p99_ms'])} | {errors} | {_pct(r['server_cpu'])} | {_pct(r['client_cpu'])} | "
                + (
                    f"{_f(u['rps'], 0)} | {_f(u['p50_ms'], 2)} | {_f(u['p99_ms'], 2)} |"
                    if (u := row.unloaded)
                    else "— | — | — |"
                )
            )
        out.append("")
        out += _error_kinds(rows)
        grpc_row = self.unary[0] if self.unary else (self.echo.chorus if self.echo else None)
        if grpc_row is not None:
            g = grpc_row.result
            for row in self.unary[1:]:
                r = row.result
                p50 = _ratio(r["p50_ms"], g["p50_ms"])
                verdict = "met" if p50 <= BRIDGE_P50_TARGET else "**MISSED**"
                if r["errors"] or g["errors"]:
                    verdict += " (with errors)"
                where = "in-process" if "in-process" in row.server else "loopback gRPC"
                targets.append(
                    (f"Bridge ({where}) p50 / gRPC p50", f"{_f(p50, 2)}x", f"≤ {BRIDGE_P50_TARGET}x", verdict)
                )
                targets.append(
                    (f"Bridge ({where}) req/s / gRPC req/s", f"{_f(_ratio(r['rps'], g['rps']), 2)}x", "—", "info")
                )
                if row.unloaded and grpc_row.unloaded:
                    ratio = _ratio(row.unloaded["p50_ms"], grpc_row.unloaded["p50_ms"])
                    targets.append((f"Bridge ({where}) p50 / gRPC p50, 1 in flight", f"{_f(ratio, 2)}x", "—", "info"))
            if self.echo is not None:
                e = self.echo.echo.result
                targets.append(
                    ("Chorus gRPC req/s / bare echo req/s", f"{_f(_ratio(g['rps'], e['rps']), 2)}x", "—", "info")
                )
                targets.append(
                    ("Chorus gRPC p50 / bare echo p50", f"{_f(_ratio(g['p50_ms'], e['p50_ms']), 1)}x", "—", "info")
                )
                eu, gu = self.echo.echo.unloaded, grpc_row.unloaded
                if eu and gu:
                    ratio = _ratio(gu["p50_ms"], eu["p50_ms"])
                    targets.append(("Chorus gRPC p50 / bare echo p50, 1 in flight", f"{_f(ratio, 1)}x", "—", "info"))
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
            "| stream p50 s | stream p99 s | tokens/s | server CPU | client CPU |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for row in self.sse:
            r = row.result
            out.append(
                f"| {row.label} | {row.server} | {r['ok']}/{r['streams']} | {r['errors']} | {r['peak_open']} | "
                f"{_f(r['headers_p50_ms'], 0)} | {_f(r['ttft_p50_ms'], 0)} | {_f(r['ttft_p99_ms'], 0)} | "
                f"{_f(r['duration_p50_ms'] / 1000, 2)} | {_f(r['duration_p99_ms'] / 1000, 2)} | "
                f"{_f(r['tokens_per_s'], 0)} | {_pct(r['server_cpu'])} | {_pct(r['client_cpu'])} |"
            )
        out.append("")
        out += _error_kinds(self.sse)
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
                    f"{STREAMS_TARGET}, no errors",
                    verdict,
                )
            )
        return out

    # --- server output ---

    def _problems_section(self) -> list[str]:
        rows = [*self.unary, *([self.echo.echo] if self.echo else []), *self.sse]
        if self.echo is not None and not self.echo.reused:
            rows.append(self.echo.chorus)
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


def _error_kinds(rows: list[Row]) -> list[str]:
    out: list[str] = []
    for row in rows:
        kinds: Counter[str] = Counter(row.result.get("error_kinds") or {})
        if row.unloaded:
            kinds.update(row.unloaded.get("error_kinds") or {})
        if kinds:
            listed = "; ".join(f"{n}x `{' '.join(k.split())}`" for k, n in kinds.items())
            out.append(f"- {row.label} [{row.server}] failures: {listed}")
    return [*out, ""] if out else []
