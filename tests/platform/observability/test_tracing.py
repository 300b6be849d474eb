"""OpenTelemetry traces exported over OTLP/gRPC to a collector stand-in: one trace per
request, its spans nested bridge > rpc > admission / servicer > storage / model, and
the W3C context carried from HTTP into gRPC metadata and on to the upstream's HTTP request
and to a remote MCP server's (flights)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import grpc
import httpx
from chorus_contracts.mcos.v1 import tasks_pb2, tasks_pb2_grpc

from server.app import Chorus
from tests.platform.observability.support import observed_settings
from tests.support import mcos_identity as identity
from tests.support.mcos_rest import ROUND_TRIP
from tests.support.openai_upstream import OpenAIUpstream
from tests.support.otlp_collector import CollectedSpan, running_collector
from tests.support.recording_mcp_server import recording_mcp_server

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
CLIENT_SPAN = "b7ad6b7169203331"
TRACEPARENT = f"00-{TRACE_ID}-{CLIENT_SPAN}-01"


def _traced_settings(tmp_path: Path, idp: identity.TestIdp, endpoint: str, upstream: str) -> object:
    settings = observed_settings(tmp_path, idp)
    models = settings.models.model_copy(deep=True)
    models.providers["upstream"] = models.providers["builtin"].model_copy(
        update={"kind": "openai-compatible", "base_url": upstream, "api_key": "sk-test"}
    )
    models.routes["chorus-builtin"] = models.routes["chorus-builtin"].model_copy(update={"provider": "upstream"})
    tracing = settings.tracing.model_copy(update={"otlp_endpoint": endpoint, "service_name": "chorus-test"})
    return settings.model_copy(update={"models": models, "tracing": tracing})


def _by_name(spans: list[CollectedSpan], prefix: str) -> CollectedSpan:
    found = [s for s in spans if s.name.startswith(prefix)]
    assert found, f"no span {prefix!r} in {[s.name for s in spans]}"
    return found[0]


async def test_one_trace_per_request_across_bridge_grpc_and_upstream(tmp_path: Path, idp: identity.TestIdp) -> None:
    token = idp.token(identity.new_sub())
    with OpenAIUpstream(api_key="sk-test").serve() as upstream:
        async with running_collector() as (collector, endpoint):
            chorus = Chorus(_traced_settings(tmp_path, idp, endpoint, upstream.base_url))  # type: ignore[arg-type]
            try:
                await chorus.start_grpc()
                await chorus.start_rest("")
                headers = {"cf-access-jwt-assertion": token, "traceparent": TRACEPARENT, "tracestate": "vendor=1"}
                async with httpx.AsyncClient(base_url=chorus.endpoints.rest, headers=headers) as client:
                    created = await client.post("/api/tasks", json={"title": "Renew insurance"})
                    assert created.status_code == 201
                    chat = {"messages": [{"role": "user", "content": "Plan my week"}]}
                    streamed = await client.post("/api/chat", json=chat, headers={"traceparent": _other(1)})
                    assert streamed.status_code == 200
                async with grpc.aio.insecure_channel(chorus.endpoints.grpc) as channel:
                    metadata = (("cf-access-jwt-assertion", token), ("traceparent", _other(2)))
                    await tasks_pb2_grpc.TaskServiceStub(channel).ListTasks(
                        tasks_pb2.ListTasksRequest(), metadata=metadata
                    )
            finally:
                await chorus.stop()  # flushes the exporter
            spans = list(collector.spans)
        upstream_calls = [r for r in upstream.requests if r.path.endswith("/chat/completions")]

    assert {s.service for s in spans} == {"chorus-test"}
    by_trace: dict[str, list[CollectedSpan]] = {}
    for span in spans:
        by_trace.setdefault(span.trace_id, []).append(span)
    assert set(by_trace) == {TRACE_ID, _other(1).split("-")[1], _other(2).split("-")[1]}

    # REST: the client's span is the bridge span's parent; everything else nests below it.
    create = by_trace[TRACE_ID]
    bridge = _by_name(create, "HTTP POST /api/tasks")
    assert bridge.parent_span_id == CLIENT_SPAN
    assert bridge.attributes["http.response.status_code"] == 201
    rpc = _by_name(create, "rpc mcos.v1.TaskService/CreateTask")
    assert rpc.parent_span_id == bridge.span_id
    admission = _by_name(create, "admission")
    servicer = _by_name(create, "servicer mcos.v1.TaskService/CreateTask")
    assert admission.parent_span_id == servicer.parent_span_id == rpc.span_id
    storage = [s for s in create if s.name.startswith("db ")]
    assert storage and all(s.parent_span_id in {rpc.span_id, servicer.span_id, admission.span_id} for s in storage)
    assert any(s.parent_span_id == servicer.span_id for s in storage)

    # The chat: its model call is a span below the servicer, and the upstream request carries it.
    chat = by_trace[_other(1).split("-")[1]]
    model = _by_name(chat, "model chorus-builtin")
    chat_servicer = _by_name(chat, "servicer mcos.v1.ChatService")
    assert model.parent_span_id == chat_servicer.span_id
    assert model.attributes["chorus.model.provider"] == "upstream"
    assert len(upstream_calls) == 1
    sent = upstream_calls[0].headers["traceparent"]
    assert sent.split("-")[1] == _other(1).split("-")[1] and sent.split("-")[2] == model.span_id

    # Direct gRPC: the caller's traceparent from the metadata is the rpc span's parent.
    listed = by_trace[_other(2).split("-")[1]]
    direct = _by_name(listed, "rpc mcos.v1.TaskService/ListTasks")
    assert direct.parent_span_id == _other(2).split("-")[2]


async def test_mcp_tool_calls_carry_the_trace_of_the_request_that_made_them(
    tmp_path: Path, idp: identity.TestIdp
) -> None:
    token = idp.token(identity.new_sub())
    with recording_mcp_server() as flights, OpenAIUpstream(api_key="sk-test").serve() as upstream:
        async with running_collector() as (collector, endpoint):
            settings: Any = _traced_settings(tmp_path, idp, endpoint, upstream.base_url)
            mcos = settings.mcos.model_copy(
                update={"flights": settings.mcos.flights.model_copy(update={"url": flights.url, "timeout": 10})}
            )
            chorus = Chorus(settings.model_copy(update={"mcos": mcos}))
            try:
                await chorus.start_grpc()
                await chorus.start_rest("")
                headers = {"cf-access-jwt-assertion": token}
                async with httpx.AsyncClient(base_url=chorus.endpoints.rest, headers=headers, timeout=30) as client:
                    # Two requests, two traces, on the one MCP session the first opened.
                    for traceparent in (TRACEPARENT, _other(3)):
                        found = await client.post(
                            "/api/tools/search_flights",
                            json=ROUND_TRIP,
                            headers={"traceparent": traceparent, "tracestate": "vendor=1"},
                        )
                        assert found.status_code == 200, found.text
            finally:
                await chorus.stop()
            spans = list(collector.spans)
        calls = flights.tool_calls()
        opened = [r for r in flights.requests if r not in calls]

    assert len(calls) == 2
    for call, trace_id in zip(calls, (TRACE_ID, _other(3).split("-")[1]), strict=True):
        _, sent_trace, sent_span, _ = call.headers["traceparent"].split("-")
        assert sent_trace == trace_id and call.headers["tracestate"] == "vendor=1"
        # The parent the MCP server sees is a span of that request's trace (the servicer's).
        servicer = _by_name([s for s in spans if s.trace_id == trace_id], "servicer mcos.v1.ToolService")
        assert sent_span == servicer.span_id
    # Opening the session (`initialize` or `server/discover`) belongs to no request's trace;
    # whatever else the session sent (say, `tools/list`) belongs to the request's that caused it.
    opening = [r for r in opened if b'"initialize"' in r.body or b'"server/discover"' in r.body]
    assert opening and all("traceparent" not in r.headers for r in opening)
    traces = {TRACE_ID, _other(3).split("-")[1]}
    assert all(r.headers["traceparent"].split("-")[1] in traces for r in opened if "traceparent" in r.headers)


async def test_tracing_off_sets_no_hook(tmp_path: Path, idp: identity.TestIdp) -> None:
    from server.platform.grpc.interceptor import PipelineInterceptor

    settings = observed_settings(tmp_path, idp)
    chorus = Chorus(settings)
    try:
        await chorus.start_grpc()
        await chorus.start_rest("")
        assert chorus.observability.tracing is None
        interceptor: PipelineInterceptor = chorus._interceptor
        assert interceptor.admission_span is None
        assert type(chorus._bridge.observer).__name__ == "BridgeMeter"
    finally:
        await chorus.stop()


def _other(n: int) -> str:
    return f"00-{n:032x}-{n:016x}-01"
