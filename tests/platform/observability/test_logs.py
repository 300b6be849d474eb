"""JSON logs, the access log, and redaction of secrets in the logging layer."""

from __future__ import annotations

import contextvars
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from rest_bridge.method_rules import MethodRule
from server.platform import logs
from server.platform.admission.call import CallInfo, bind_call
from tests.support.chorus_process import ChorusProcess, wait_until

SECRETS = {
    "tenant key": "chorus_0a1b2c3d_9sKx7LmQpR2tUvWxYz01AbCdEfGhIjKl",
    "account key": "cc_live_0a1b2c3d_Zq8Wn3Vb5Tr1Ym7Up9Io2Kl4Jh6Gf0Ds",
    "provider key": "sk-proj-4fJk2LmN8pQrStUvWxYz0123",
    "jwt": "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXRoYXQtaXMtc2VjcmV0",
    "webhook secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "password": "hunter2-correct-horse",
    "code": "4f9a1c2e7b",
    "opaque token": "tok-7c0ffee-not-so-random",
}


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    kept, level = list(root.handlers), root.level
    out = io.StringIO()
    logs.configure("debug", "json", stream=out)
    try:
        yield out
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in kept:
            root.addHandler(handler)
        root.setLevel(level)


def test_secrets_never_reach_the_output(captured: io.StringIO) -> None:
    log = logging.getLogger("chorus.test")
    s = SECRETS
    log.info("Authorization: Bearer %s", s["jwt"])
    log.warning("tenant key %s refused", s["tenant key"])
    log.warning("key %s, upstream key %s", s["account key"], s["provider key"])
    log.info("webhook signed with %s", s["webhook secret"])
    log.info("login form %s", {"username": "alice", "password": s["password"]})
    log.info("callback ?code=%s&state=x", s["code"])
    log.info('body {"refresh_token": "%s"}', s["opaque token"])
    log.info("request", extra={"path": f"/hooks/{s['tenant key']}"})
    try:
        raise ValueError(f"could not verify {s['jwt']} with api_key={s['opaque token']}")
    except ValueError:
        log.exception("verification failed")
    output = captured.getvalue()
    for name, secret in SECRETS.items():
        assert secret not in output, f"the {name} was logged"
    lines = [json.loads(line) for line in output.splitlines()]
    assert len(lines) == 9
    assert logs.REDACTED in lines[0]["message"] and lines[0]["message"].startswith("Authorization: ")
    assert lines[1]["message"].startswith("tenant key chorus_0a1b2c3d_")  # the public prefix stays
    assert "alice" in lines[4]["message"]  # only the secret goes
    assert "exception" in lines[8] and "ValueError" in lines[8]["exception"]


def test_json_lines_carry_the_call(captured: io.StringIO) -> None:
    rule = MethodRule(service="mcos.v1.TaskService", method="ListTasks", surface="mcos", access="public")
    call = CallInfo(method="/mcos.v1.TaskService/ListTasks", metadata={}, client_ip="", request_id="req-7", rule=rule)

    def inside_a_call() -> None:
        bind_call(call)
        logging.getLogger("chorus.test").info("inside a call")

    contextvars.copy_context().run(inside_a_call)
    line = json.loads(captured.getvalue().splitlines()[0])
    assert set(line) >= {"time", "level", "logger", "message", "request_id", "trace_id", "method"}
    assert line["request_id"] == "req-7" and line["method"] == "mcos.v1.TaskService/ListTasks"
    assert line["level"] == "info" and line["logger"] == "chorus.test"


def test_json_lines_carry_the_trace_id(captured: io.StringIO, monkeypatch: pytest.MonkeyPatch) -> None:
    from opentelemetry.sdk.trace import TracerProvider

    from server.platform.observability import tracing

    monkeypatch.setattr(logs, "trace_id_of_current_span", tracing.current_trace_id)
    with TracerProvider().get_tracer("test").start_as_current_span("request") as span:
        logging.getLogger("chorus.test").info("inside a span")
    logging.getLogger("chorus.test").info("outside")
    inside, outside = (json.loads(line) for line in captured.getvalue().splitlines())
    assert inside["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert outside["trace_id"] == ""


CONFIG = """
log_level = "info"
[logs]
format = "json"
access_log = true
[crispy.rate_limit]
per_minute = 100000
burst_per_second = 100000
"""


def test_access_log_of_a_real_server(tmp_path: Path) -> None:
    key = SECRETS["tenant key"]
    with ChorusProcess(tmp_path, config_toml=CONFIG) as proc:
        with httpx.Client(base_url=proc.rest_url, timeout=30) as client:
            ok = client.get("/health", headers={"x-tenant-id": "demo", "x-request-id": "access-1"})
            assert ok.status_code == 200
            refused = client.get("/health", headers={"authorization": f"Bearer {SECRETS['jwt']}", "x-api-key": key})
            assert refused.status_code in (401, 403, 404)
            client.get(f"/hooks/{key}", params={"api_key": key})

        def access_lines() -> list[dict[str, object]]:
            parsed = [json.loads(line) for line in proc.output if line.startswith("{")]
            return [line for line in parsed if line["logger"] == "chorus.access"]

        assert wait_until(lambda: len(access_lines()) >= 3)
        output = "".join(proc.output)
    for line in (json.loads(raw) for raw in output.splitlines() if raw.startswith("{")):
        assert {"time", "level", "logger", "message", "request_id", "trace_id"} <= set(line)
    health = next(line for line in access_lines() if line["request_id"] == "access-1")
    assert health["surface"] == "crispy" and health["status"] == 200 and health["transport"] == "rest"
    assert health["method"] == "crispy.v1.ChatService/GetHealth" and health["route"] == "GET /health"
    assert isinstance(health["duration_ms"], float) and health["path"] == "/health"
    for name, secret in SECRETS.items():
        assert secret not in output, f"the {name} was logged"
