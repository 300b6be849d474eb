"""Report sections of the scale-out parts: workers, soak and gateway."""

from __future__ import annotations

import math
from typing import Any

from bench.gateway import AI_HOST, Gateway
from bench.runs import BenchOptions, Row
from bench.soak import Soak
from bench.stats import fmt, pct, ratio

Target = tuple[str, str, str, str]


def workers_section(rows: list[Row], o: BenchOptions, targets: list[Target]) -> list[str]:
    out = [
        f"## Workers: {o.concurrency} in flight, one connection each, {o.duration:g} s after {o.warmup:g} s warm-up",
        "",
        "Each in-flight request has its own connection (gRPC: its own channel), since the kernel gives each new "
        "connection to one worker. *vs first* compares with the same call on the first layout. "
        "*CPU by process*: the parent first, then the workers.",
        "",
        "| Call | Layout | req/s | vs first | p50 ms | p99 ms | errors | server CPU | CPU by process "
        "| Redis CPU | client CPU |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    firsts: dict[str, dict[str, Any]] = {}
    for row in rows:
        r = row.result
        first = firsts.setdefault(row.label, r)
        by_process = " / ".join(pct(v) for v in (r.get("server_cpu_by_pid") or {}).values())
        redis = (r.get("sidecar_cpu") or {}).get("redis")
        out.append(
            f"| {row.label} | {row.server} | {fmt(r['rps'], 0)} | {fmt(ratio(r['rps'], first['rps']), 2)}x | "
            f"{fmt(r['p50_ms'])} | {fmt(r['p99_ms'])} | {r['errors']} | {pct(r['server_cpu'])} | {by_process} | "
            f"{pct(redis) if redis is not None else '—'} | {pct(r['client_cpu'])} |"
        )
    out.append("")
    out += error_kinds(rows)
    # N workers against 1 process, both with Redis: what the extra processes buy.
    for label in dict.fromkeys(row.label for row in rows):
        same = [row for row in rows if row.label == label]
        base = next((row for row in same if row.server == "1 process + Redis"), None)
        for row in same:
            if base is None or row is base or "--workers" not in row.server:
                continue
            gain = ratio(row.result["rps"], base.result["rps"])
            name = f"{label.split(',')[0]}: {row.server} req/s / 1 process + Redis req/s"
            targets.append((name, f"{fmt(gain, 2)}x", "—", "info"))
    return out


def soak_section(soak: Soak, o: BenchOptions, targets: list[Target]) -> list[str]:
    r = soak.row.result
    waves = [label for label, _ in soak.samples if label != "before"]
    out = [
        f"## Soak: {r['streams']:,} SSE chats, {r['wave_size']} at a time, builtin model, "
        f"token_delay {o.soak_token_delay:g} s",
        "",
        f"One `chorus serve` ({soak.row.server}); REST `POST /chat` SSE through the bridge (in-process), "
        "a new session and connection per chat. Memory is read from /proc after each wave, with no stream open.",
        "",
        "| ok | failed | waves | streams/s | stream p50 s | stream p99 s | TTFT p50 ms | server CPU | client CPU |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {r['ok']:,}/{r['streams']:,} | {r['errors']} | {len(waves)} | {fmt(r['streams_per_s'], 0)} | "
        f"{fmt(r['duration_p50_ms'] / 1000, 2)} | {fmt(r['duration_p99_ms'] / 1000, 2)} | {fmt(r['ttft_p50_ms'], 0)} | "
        f"{pct(r['server_cpu'])} | {pct(r['client_cpu'])} |",
        "",
        "| Process | RSS before MiB | after wave 1 | at end | growth after wave 1 | peak (VmHWM) at end MiB |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    first = dict(soak.samples[1][1]) if len(soak.samples) > 1 else {}
    before, last = soak.samples[0][1], soak.samples[-1][1]
    pids = soak.pids()
    for pid in pids:
        role = "parent" if pid == soak.root_pid and len(pids) > 1 else "worker" if len(pids) > 1 else "chorus serve"
        b, w1, end = before.get(pid), first.get(pid), last.get(pid)
        growth = _growth(w1.rss_kib, end.rss_kib) if w1 and end else "—"
        out.append(
            f"| {role} (pid {pid}) | {_mib(b, 'rss')} | {_mib(w1, 'rss')} | {_mib(end, 'rss')} | {growth} | "
            f"{_mib(end, 'hwm')} |"
        )
    totals = [sum(m.rss_kib for m in by_pid.values()) for _, by_pid in soak.samples]
    out.append("")
    out.append(
        "RSS of all processes, before and after waves (MiB): "
        + ", ".join(f"{label} {kib / 1024:,.1f}" for label, kib in _spread(soak.samples, totals, 12))
        + "."
    )
    out.append("")
    out += error_kinds([soak.row])
    verdict = "met" if r["ok"] == r["streams"] else "**MISSED**"
    targets.append(("Soak: chats ok", f"{r['ok']:,}/{r['streams']:,}", "all", verdict))
    if len(totals) > 2:
        per_k = (totals[-1] - totals[1]) / 1024 / max(r["streams"] - r["wave_size"], 1) * 1000
        measured = f"{_growth(totals[1], totals[-1])}, {per_k:+.2f} MiB per 1,000 chats"
        targets.append(("Soak: RSS growth of all processes after wave 1", measured, "—", "info"))
    return out


def _mib(m: Any, which: str) -> str:
    if m is None:
        return "—"
    return f"{(m.rss_kib if which == 'rss' else m.hwm_kib) / 1024:,.1f}"


def _growth(start_kib: float, end_kib: float) -> str:
    delta = (end_kib - start_kib) / 1024
    share = (end_kib - start_kib) / start_kib if start_kib else math.nan
    return f"{delta:+,.1f} MiB ({share * 100:+.1f}%)"


def _spread(samples: list[tuple[str, Any]], totals: list[int], at_most: int) -> list[tuple[str, int]]:
    """At most `at_most` (label, total) points, evenly spread, always with the first and last."""
    n = len(samples)
    step = max(n - 1, 1) / max(at_most - 1, 1)
    picks = list(range(n)) if n <= at_most else sorted({round(i * step) for i in range(at_most)})
    return [(samples[i][0], totals[i]) for i in picks]


def gateway_section(g: Gateway, o: BenchOptions, targets: list[Target]) -> list[str]:
    out = [
        f"## Gateway: `POST /v1/chat/completions` (Host `{AI_HOST}`) over a local OpenAI-compatible upstream, "
        f"{o.duration:g} s after {o.warmup:g} s warm-up",
        "",
        f"Upstream: `bench/upstream.py` (pre-built answers of {o.gateway_tokens} content chunks, one process). "
        "*direct*: the load generator calls the upstream; *Chorus*: it calls Chorus's REST bridge (loopback gRPC), "
        "which calls the upstream. Latency is to the last byte of the answer (SSE: through `data: [DONE]`). "
        "*added* = Chorus minus direct.",
        "",
        "| Answer | In flight | p50 ms direct | Chorus | added | p99 ms direct | Chorus | added "
        "| req/s direct | Chorus | errors | Chorus CPU | upstream CPU | client CPU |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    kinds: list[str] = []
    for case in g.cases:
        d, c = case.direct, case.chorus
        answer = "SSE" if case.stream else "JSON"
        upstream = (c.get("sidecar_cpu") or {}).get("upstream", math.nan)
        out.append(
            f"| {answer} | {case.concurrency} | {fmt(d['p50_ms'], 2)} | {fmt(c['p50_ms'], 2)} | "
            f"{fmt(c['p50_ms'] - d['p50_ms'], 2)} | {fmt(d['p99_ms'], 2)} | {fmt(c['p99_ms'], 2)} | "
            f"{fmt(c['p99_ms'] - d['p99_ms'], 2)} | {fmt(d['rps'], 0)} | {fmt(c['rps'], 0)} | "
            f"{d['errors']} / {c['errors']} | {pct(c['server_cpu'])} | {pct(upstream)} | {pct(c['client_cpu'])} |"
        )
        for who, r in (("direct", d), ("Chorus", c)):
            if r.get("error_kinds"):
                listed = "; ".join(f"{n}x `{' '.join(k.split())}`" for k, n in r["error_kinds"].items())
                kinds.append(f"- {answer}, {case.concurrency} in flight, {who} failures: {listed}")
        targets.append(
            (
                f"Gateway added latency, {answer}, {case.concurrency} in flight",
                f"p50 +{fmt(c['p50_ms'] - d['p50_ms'], 2)} ms, p99 +{fmt(c['p99_ms'] - d['p99_ms'], 2)} ms",
                "—",
                "info",
            )
        )
    out.append("")
    if kinds:
        out += [*kinds, ""]
    return out


def error_kinds(rows: list[Row]) -> list[str]:
    out: list[str] = []
    for row in rows:
        kinds: dict[str, int] = dict(row.result.get("error_kinds") or {})
        for k, n in ((row.unloaded or {}).get("error_kinds") or {}).items():
            kinds[k] = kinds.get(k, 0) + n
        if kinds:
            listed = "; ".join(f"{n}x `{' '.join(k.split())}`" for k, n in kinds.items())
            out.append(f"- {row.label} [{row.server}] failures: {listed}")
    return [*out, ""] if out else []
