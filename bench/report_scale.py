"""Report sections of the scale-out parts: workers, soak and gateway."""

from __future__ import annotations

import math
from typing import Any

from bench.gateway import AI_HOST, DEFAULT_TRANSPORT, TRANSPORT_LABELS, Gateway
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


GATEWAY_ADDED_P50_MS = 1.5  # at 1 in flight
GATEWAY_JSON_RPS = 1000.0  # at --concurrency in flight
GATEWAY_SSE_RPS = 300.0


def _added(r: dict[str, Any] | None, d: dict[str, Any], key: str) -> str:
    if r is None:
        return "—"
    return f"{fmt(r[key], 2)} (+{fmt(r[key] - d[key], 2)})"


def gateway_section(g: Gateway, o: BenchOptions, targets: list[Target]) -> list[str]:
    default = TRANSPORT_LABELS[DEFAULT_TRANSPORT]
    out = [
        f"## Gateway: `POST /v1/chat/completions` (Host `{AI_HOST}`) over a local OpenAI-compatible upstream, "
        f"{o.duration:g} s after {o.warmup:g} s warm-up",
        "",
        f"Upstream: `bench/upstream.py` (pre-built answers of {o.gateway_tokens} content chunks, one process). "
        "*direct*: the load generator calls the upstream; *Chorus*: it calls Chorus's REST bridge, which reaches "
        f"the servicer over loopback gRPC or in-process (the default is {default}), which calls the upstream; "
        f"*LiteLLM*: the same through LiteLLM proxy ({g.litellm}). Latency is to the last byte of the answer "
        "(SSE: through `data: [DONE]`); (+x) is what the gateway adds to direct.",
        "",
        "| Answer | In flight | p50 ms direct | Chorus, loopback gRPC | Chorus, in-process | LiteLLM "
        "| p99 ms direct | Chorus, loopback gRPC | Chorus, in-process | LiteLLM |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    throughput = [
        "| Answer | In flight | req/s direct | Chorus, loopback gRPC | Chorus, in-process | LiteLLM "
        f"| Chorus ({default}) / LiteLLM | errors (direct / Chorus / LiteLLM) | Chorus CPU | LiteLLM CPU "
        "| upstream CPU | client CPU |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    kinds: list[str] = []
    for case in g.cases:
        d, peer = case.direct, case.litellm
        grpc, local = case.chorus.get("grpc"), case.chorus.get("inprocess")
        c = case.chorus[DEFAULT_TRANSPORT]
        answer = "SSE" if case.stream else "JSON"
        where = f"{answer}, {case.concurrency} in flight"
        out.append(
            f"| {answer} | {case.concurrency} | {fmt(d['p50_ms'], 2)} | {_added(grpc, d, 'p50_ms')} | "
            f"{_added(local, d, 'p50_ms')} | {_added(peer, d, 'p50_ms')} | {fmt(d['p99_ms'], 2)} | "
            f"{_added(grpc, d, 'p99_ms')} | {_added(local, d, 'p99_ms')} | {_added(peer, d, 'p99_ms')} |"
        )
        upstream = (c.get("sidecar_cpu") or {}).get("upstream", math.nan)
        errors = " / ".join(str(r["errors"]) if r is not None else "—" for r in (d, c, peer))
        throughput.append(
            f"| {answer} | {case.concurrency} | {fmt(d['rps'], 0)} | {fmt(grpc['rps'], 0) if grpc else '—'} | "
            f"{fmt(local['rps'], 0) if local else '—'} | {fmt(peer['rps'], 0) if peer else '—'} | "
            f"{fmt(ratio(c['rps'], peer['rps']), 2) + 'x' if peer else '—'} | {errors} | {pct(c['server_cpu'])} | "
            f"{pct(peer['server_cpu']) if peer else '—'} | {pct(upstream)} | {pct(c['client_cpu'])} |"
        )
        runs = [("direct", d), *((f"Chorus {TRANSPORT_LABELS[t]}", r) for t, r in case.chorus.items())]
        for who, r in [*runs, ("LiteLLM", peer)]:
            if r is not None and r.get("error_kinds"):
                listed = "; ".join(f"{n}x `{' '.join(k.split())}`" for k, n in r["error_kinds"].items())
                kinds.append(f"- {where}, {who} failures: {listed}")
        for transport, r in case.chorus.items():
            label = TRANSPORT_LABELS[transport] + (" (default)" if transport == DEFAULT_TRANSPORT else "")
            targets.extend(_gateway_targets(case, label, r, d, transport == DEFAULT_TRANSPORT))
        if peer is not None:
            targets.append(
                (
                    f"Gateway {where}: Chorus ({default}) req/s / LiteLLM req/s",
                    f"{fmt(ratio(c['rps'], peer['rps']), 2)}x",
                    "—",
                    "info",
                )
            )
    out += ["", *throughput, ""]
    if not g.litellm_ran:
        out += [f"No LiteLLM rows: {g.litellm}.", ""]
    if kinds:
        out += [*kinds, ""]
    return out


def _gateway_targets(case: Any, label: str, r: dict[str, Any], d: dict[str, Any], judged: bool) -> list[Target]:
    answer = "SSE" if case.stream else "JSON"
    added = r["p50_ms"] - d["p50_ms"]
    found: list[Target] = []
    if case.concurrency == 1:
        held = added <= GATEWAY_ADDED_P50_MS and not r["errors"]
        found.append(
            (
                f"Gateway added p50, {answer}, 1 in flight, {label}",
                f"+{fmt(added, 2)} ms (p99 +{fmt(r['p99_ms'] - d['p99_ms'], 2)} ms)",
                f"≤ {GATEWAY_ADDED_P50_MS:g} ms",
                ("met" if held else "**MISSED**") if judged else "info",
            )
        )
    else:
        floor = GATEWAY_SSE_RPS if case.stream else GATEWAY_JSON_RPS
        held = r["rps"] >= floor and not r["errors"]
        found.append(
            (
                f"Gateway {answer} {'streams' if case.stream else 'req'}/s, {case.concurrency} in flight, {label}",
                f"{fmt(r['rps'], 0)} ({fmt(r['rps'] / floor, 2)}x the target)",
                f"≥ {floor:,.0f}",
                ("met" if held else "**MISSED**") if judged else "info",
            )
        )
    return found


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
