"""The gateway part: ChittyOS `POST /v1/chat/completions` through Chorus vs straight to the upstream.

One bench upstream (bench/upstream.py) and one `chorus serve` routing the
gateway's chat model to it run for the whole part. For each case (JSON or SSE
answer, 1 or `--concurrency` in flight) the same request is sent first to the
upstream directly and then to Chorus with Host `ai.localhost`, back to back,
so both see the same machine. Chorus always streams from the upstream, also
for a JSON answer, so "direct JSON" is the cheapest way a client could ask.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bench.procs import chorus, run_loadgen, upstream_server
from bench.runs import BenchOptions, progress, unary_args

AI_HOST = "ai.localhost"
MODEL = "@cf/meta/llama-3.1-8b-instruct"  # the gateway's default chat model id


@dataclass
class GatewayCase:
    stream: bool
    concurrency: int
    direct: dict[str, Any]
    chorus: dict[str, Any]


@dataclass
class Gateway:
    cases: list[GatewayCase] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # Chorus's error lines
    upstream_problems: list[str] = field(default_factory=list)


def gateway_config(base_url: str) -> str:
    # No retries: a failed upstream call must show as an error, not as a slow success.
    return f"""
[models.providers.builtin]
kind = "builtin"
[models.providers.bench]
kind = "openai-compatible"
base_url = "{base_url}"
max_retries = 0
[models.routes.chorus-builtin]
provider = "builtin"
[models.routes."{MODEL}"]
provider = "bench"
"""


def run_gateway(o: BenchOptions) -> Gateway:
    part = Gateway()
    levels = sorted({1, o.concurrency})
    with upstream_server(o.gateway_tokens) as upstream:
        config = gateway_config(upstream.rest_url + "/v1")
        with chorus(config, sidecars={"upstream": upstream.pid}) as server:
            for stream in (False, True):
                for concurrency in levels:
                    what = f"{'SSE' if stream else 'JSON'}, {concurrency} in flight"
                    load = [*unary_args(o, concurrency), "--model", MODEL, "--message", o.message]
                    if stream:
                        load.append("--stream")
                    progress(f"gateway {what}: direct ...")
                    direct = run_loadgen("gateway-http", ["--url", upstream.rest_url, *load], upstream)
                    progress(f"gateway {what}: through Chorus ...")
                    via = ["--url", server.rest_url, "--host-header", AI_HOST, *load]
                    profile = None
                    if o.py_spy_dir is not None:
                        profile = o.py_spy_dir / f"gateway-{'sse' if stream else 'json'}-{concurrency}.svg"
                    through = run_loadgen("gateway-http", via, server, profile=profile)
                    progress(
                        f"  p50 {direct['p50_ms']:.2f} ms direct, {through['p50_ms']:.2f} ms through Chorus; "
                        f"{direct['rps']:,.0f} vs {through['rps']:,.0f} req/s"
                    )
                    part.cases.append(GatewayCase(stream, concurrency, direct, through))
        part.problems = server.problems()
        part.upstream_problems = upstream.problems()
    return part
