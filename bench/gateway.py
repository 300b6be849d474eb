"""The gateway part: ChittyOS `POST /v1/chat/completions` through Chorus, through LiteLLM, and straight
to the upstream.

One bench upstream (bench/upstream.py) runs for the whole part, with two `chorus serve` routing the
gateway's chat model to it (the bridge over loopback gRPC, and in-process) and, when the `bench`
extra is installed, a LiteLLM proxy (bench/litellm_proxy.py). For each case (JSON or SSE answer, 1
or `--concurrency` in flight) the same request is sent to the upstream directly, then through each
Chorus, then through LiteLLM, back to back, so all see the same machine. Chorus always streams from
the upstream, also for a JSON answer, so "direct JSON" is the cheapest way a client could ask.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

from bench.litellm_proxy import MASTER_KEY, litellm_proxy, litellm_version, missing_reason
from bench.procs import Server, chorus, run_loadgen, upstream_server
from bench.runs import BenchOptions, progress, unary_args
from server.config import RestSettings

AI_HOST = "ai.localhost"
MODEL = "@cf/meta/llama-3.1-8b-instruct"  # the gateway's default chat model id
TRANSPORTS = ("grpc", "inprocess")
DEFAULT_TRANSPORT: str = RestSettings.model_fields["transport"].default
TRANSPORT_LABELS = {"grpc": "loopback gRPC", "inprocess": "in-process"}


@dataclass
class GatewayCase:
    stream: bool
    concurrency: int
    direct: dict[str, Any]
    chorus: dict[str, dict[str, Any]]  # by bridge transport
    litellm: dict[str, Any] | None


@dataclass
class Gateway:
    cases: list[GatewayCase] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # Chorus's error lines
    upstream_problems: list[str] = field(default_factory=list)
    litellm: str = ""  # "LiteLLM <version>", or why it did not run
    litellm_ran: bool = False


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


def _summary(who: str, r: dict[str, Any], direct: dict[str, Any]) -> None:
    progress(
        f"  {who}: p50 {r['p50_ms']:.2f} ms (+{r['p50_ms'] - direct['p50_ms']:.2f}), {r['rps']:,.0f} req/s, "
        f"errors {r['errors']}"
    )


def run_gateway(o: BenchOptions) -> Gateway:
    part = Gateway()
    levels = sorted({1, o.concurrency})
    skipped = missing_reason()
    with upstream_server(o.gateway_tokens) as upstream, contextlib.ExitStack() as stack:
        upstream_v1 = upstream.rest_url + "/v1"
        config = gateway_config(upstream_v1)
        servers: dict[str, Server] = {}
        for transport in TRANSPORTS:
            env = {"CHORUS_REST__TRANSPORT": transport}
            servers[transport] = stack.enter_context(chorus(config, env=env, sidecars={"upstream": upstream.pid}))
        peer: Server | None = None
        if skipped is None:
            progress("gateway: starting the LiteLLM proxy (slow to import) ...")
            try:
                peer = stack.enter_context(litellm_proxy(upstream_v1, MODEL))
                peer.sidecars["upstream"] = upstream.pid
                # Its first requests import and build a great deal lazily: get that out of
                # the measured runs (5 s of both answers, results dropped).
                progress("gateway: warming LiteLLM up ...")
                warm = ["--concurrency", "4", "--warmup", "5", "--duration", "0.5", "--model", MODEL]
                for extra in ([], ["--stream"]):
                    run_loadgen("gateway-http", ["--url", peer.rest_url, "--bearer", MASTER_KEY, *warm, *extra], peer)
                part.litellm, part.litellm_ran = f"LiteLLM {litellm_version()}", True
            except RuntimeError as exc:
                part.litellm = f"LiteLLM did not start: {' '.join(str(exc).split())[:300]}"
        else:
            part.litellm = skipped
        for stream in (False, True):
            for concurrency in levels:
                what = f"{'SSE' if stream else 'JSON'}, {concurrency} in flight"
                load = [*unary_args(o, concurrency), "--model", MODEL, "--message", o.message]
                if stream:
                    load.append("--stream")
                progress(f"gateway {what}: direct ...")
                direct = run_loadgen("gateway-http", ["--url", upstream.rest_url, *load], upstream)
                _summary("direct", direct, direct)
                through: dict[str, dict[str, Any]] = {}
                for transport, server in servers.items():
                    progress(f"gateway {what}: through Chorus, {TRANSPORT_LABELS[transport]} ...")
                    via = ["--url", server.rest_url, "--host-header", AI_HOST, *load]
                    profile = None
                    if o.py_spy_dir is not None:
                        slug = f"gateway-{'sse' if stream else 'json'}-{concurrency}-{transport}.svg"
                        profile = o.py_spy_dir / slug
                    through[transport] = run_loadgen("gateway-http", via, server, profile=profile)
                    _summary(f"Chorus {TRANSPORT_LABELS[transport]}", through[transport], direct)
                peer_result = None
                if peer is not None:
                    progress(f"gateway {what}: through LiteLLM ...")
                    via = ["--url", peer.rest_url, "--bearer", MASTER_KEY, *load]
                    peer_result = run_loadgen("gateway-http", via, peer)
                    _summary("LiteLLM", peer_result, direct)
                part.cases.append(GatewayCase(stream, concurrency, direct, through, peer_result))
        part.problems = [line for server in servers.values() for line in server.problems()]
        part.upstream_problems = upstream.problems()
    return part
