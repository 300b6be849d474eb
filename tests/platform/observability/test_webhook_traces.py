"""A webhook delivery continues the trace of the request that emitted its event: the
event stores the request's W3C context, and the delivery job (later, on the job runner)
sends it to a real HTTPS receiver as the parent of a `webhook <type>` span exported to
the OTLP collector stand-in with the request's spans."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from tests.support.chaozcode import add_user, rest
from tests.support.chorus_process import ChorusProcess, wait_until
from tests.support.otlp_collector import CollectedSpan, collector_in_thread
from tests.support.webhook_receiver import WebhookReceiver, config_toml, webhook_receiver

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
AGENT_PARENT = "00-" + "ab" * 16 + "-" + "cd" * 8 + "-01"


@pytest.fixture(scope="module")
def receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebhookReceiver]:
    with webhook_receiver(tmp_path_factory.mktemp("receiver")) as running:
        yield running


def test_a_delivery_continues_the_trace_of_the_request_that_emitted_it(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    with collector_in_thread() as (collector, endpoint):
        tracing = f'[tracing]\notlp_endpoint = "{endpoint}"\nservice_name = "chorus-hooks"\n'
        with ChorusProcess(tmp_path, config_toml=config_toml(receiver, extra=tracing)) as proc:
            account = add_user(proc)
            with rest(proc, account.key) as client:
                for path, events in (
                    ("/traced", ["project.updated"]),
                    ("/agents", ["agent.started", "agent.completed"]),
                ):
                    made = client.post("/webhooks", json={"url": receiver.url(path), "events": events})
                    assert made.status_code == 201, made.text
                project = client.post("/projects", json={"name": "Traced"}).json()
                patched = client.patch(
                    f"/projects/{project['id']}",
                    json={"settings": {"lint": True}},
                    headers={"traceparent": TRACEPARENT, "tracestate": "vendor=1"},
                )
                assert patched.status_code == 200, patched.text
                # A request without a traceparent starts a trace of its own, which its event's delivery continues.
                assert client.patch(f"/projects/{project['id']}", json={"name": "Untraced"}).status_code == 200
                # agent.started is emitted by the request; agent.completed by the run's job, outside any request.
                spawned = client.post(
                    "/agents/spawn", json={"type": "explore", "prompt": "Hello"}, headers={"traceparent": AGENT_PARENT}
                )
                assert spawned.status_code == 202, spawned.text
            assert wait_until(lambda: len(receiver.at("/traced")) == 2 and len(receiver.at("/agents")) == 2)
        # The process has stopped: its exporter has flushed.
        spans = list(collector.spans)

    first, second = receiver.at("/traced")
    _, sent_trace, sent_span, _ = first.headers["traceparent"].split("-")
    assert sent_trace == TRACE_ID and first.headers["tracestate"] == "vendor=1"
    trace = [s for s in spans if s.trace_id == TRACE_ID]
    delivery = _one(trace, "webhook project.updated")
    assert delivery.span_id == sent_span and delivery.service == "chorus-hooks"
    assert delivery.attributes["http.response.status_code"] == 204
    # Its parent is the handler that emitted the event, below the request's bridge span.
    servicer = _one(trace, "servicer chaozcode.v2.ProjectService/UpdateProject")
    assert delivery.parent_span_id == servicer.span_id
    assert _one(trace, "HTTP PATCH").parent_span_id == TRACEPARENT.split("-")[2]

    other_trace = second.headers["traceparent"].split("-")[1]
    assert other_trace != TRACE_ID and "tracestate" not in second.headers
    assert _one([s for s in spans if s.trace_id == other_trace], "webhook project.updated")

    by_type = {orjson.loads(r.body)["type"]: r.headers for r in receiver.at("/agents")}
    assert by_type["agent.started"]["traceparent"].split("-")[1] == "ab" * 16
    assert "traceparent" not in by_type["agent.completed"] and "tracestate" not in by_type["agent.completed"]


def _one(spans: list[CollectedSpan], prefix: str) -> CollectedSpan:
    found = [s for s in spans if s.name.startswith(prefix)]
    assert len(found) == 1, f"{prefix!r} in {[s.name for s in spans]}"
    return found[0]
