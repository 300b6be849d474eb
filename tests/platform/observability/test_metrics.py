"""Prometheus metrics on the admin port: every series, from real REST, SSE and gRPC traffic."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import grpc
import httpx
import pytest
from chorus_contracts.mcos.v1 import tasks_pb2, tasks_pb2_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from server.platform.jobs.store import NewJob, insert_job, new_job_id
from tests.platform.observability.support import observed_chorus, observed_settings, scrape, value
from tests.support import mcos_identity as identity
from tests.support.sse import parse_sse

TASKS = "mcos.v1.TaskService"


async def test_every_series_from_real_traffic(tmp_path: Path, idp: identity.TestIdp) -> None:
    sub = identity.new_sub()
    token = idp.token(sub)
    settings = observed_settings(tmp_path, idp)
    async with (
        observed_chorus(settings) as chorus,
        httpx.AsyncClient(base_url=chorus.endpoints.rest, headers={"cf-access-jwt-assertion": token}) as client,
    ):
        assert chorus.endpoints.admin.startswith("http://127.0.0.1:")
        key = {"Idempotency-Key": str(uuid.uuid4())}
        created = await client.post("/api/tasks", json={"title": "Renew insurance"}, headers=key)
        assert created.status_code == 201
        replayed = await client.post("/api/tasks", json={"title": "Renew insurance"}, headers=key)
        assert replayed.headers["idempotent-replayed"] == "true"
        task_id = created.json()["id"]
        patched = await client.patch(f"/api/tasks/{task_id}", json={"title": "Renew car insurance"})
        assert patched.status_code == 200
        assert (await client.get("/no/such/route")).status_code == 404
        chat = {"messages": [{"role": "user", "content": "Plan my week"}], "conversation_id": "week"}
        for _ in range(2):  # two chats a minute, then a refusal
            streamed = await client.post("/api/chat", json=chat)
            assert streamed.status_code == 200 and parse_sse(streamed.text)[0]
        assert (await client.post("/api/chat", json=chat)).status_code == 429
        async with grpc.aio.insecure_channel(chorus.endpoints.grpc) as channel:
            listed = await tasks_pb2_grpc.TaskServiceStub(channel).ListTasks(
                tasks_pb2.ListTasksRequest(), metadata=(("cf-access-jwt-assertion", token),)
            )
            assert len(listed.tasks) == 1
            with pytest.raises(grpc.aio.AioRpcError):
                await tasks_pb2_grpc.TaskServiceStub(channel).ListTasks(tasks_pb2.ListTasksRequest())
        # A job of a kind no runner takes, due for 5 s: the queue's depth and age.
        assert chorus._db is not None
        async with chorus._db.write() as conn:
            now = int(time.time() * 1000)
            job = NewJob("ops-unclaimed", {}, None, 1, 1000, now - 5000, new_job_id())
            await insert_job(conn, job, now, once=False)
        await asyncio.sleep(0.3)  # one turn of the event-loop lag watch
        samples = await scrape(chorus.endpoints.admin)

    rest = {"surface": "mcos", "transport": "rest"}
    create = {**rest, "method": f"{TASKS}/CreateTask", "route": "POST /api/tasks"}
    assert value(samples, "chorus_requests_total", **create, status="201") == 2
    assert value(samples, "chorus_request_duration_seconds_count", **create) == 2
    assert value(samples, "chorus_request_size_bytes_sum", surface="mcos", route="POST /api/tasks") > 0
    assert value(samples, "chorus_response_size_bytes_sum", surface="mcos", route="POST /api/tasks") > 0
    # The route template, never the id.
    update = {"route": "PATCH /api/tasks/{task_id}", "status": "200"}
    assert value(samples, "chorus_requests_total", **rest, **update) == 1
    assert value(samples, "chorus_requests_total", route="unmatched", status="404") == 1
    assert value(samples, "chorus_requests_total", route="POST /api/chat", status="429") == 1
    grpc_labels = {"surface": "mcos", "transport": "grpc", "method": f"{TASKS}/ListTasks"}
    assert value(samples, "chorus_requests_total", **grpc_labels, status="OK") == 1
    assert value(samples, "chorus_requests_total", **grpc_labels, status="UNAUTHENTICATED") == 1
    assert value(samples, "chorus_request_duration_seconds_count", **grpc_labels) == 2
    assert value(samples, "chorus_response_size_bytes_sum", transport="grpc") > 0
    # Server-sent events: closed again, with a duration and a first event.
    chat_route = {"surface": "mcos", "route": "POST /api/chat"}
    assert value(samples, "chorus_sse_open_streams", **chat_route) == 0
    assert value(samples, "chorus_sse_stream_duration_seconds_count", **chat_route) == 2
    assert value(samples, "chorus_sse_time_to_first_event_seconds_count", **chat_route) == 2
    # The model call behind the stream.
    assert value(samples, "chorus_model_tokens_total", model="chorus-builtin", direction="input") > 0
    assert value(samples, "chorus_model_tokens_total", model="chorus-builtin", direction="output") > 0
    assert value(samples, "chorus_model_time_to_first_token_seconds_count", model="chorus-builtin") == 2
    assert value(samples, "chorus_upstream_duration_seconds_count", provider="builtin") == 2
    assert value(samples, "chorus_rate_limit_refusals_total", surface="mcos") == 1
    assert value(samples, "chorus_idempotent_replays_total", surface="mcos", method=f"{TASKS}/CreateTask") == 1
    assert value(samples, "chorus_jobs_queue_depth") >= 1
    assert value(samples, "chorus_jobs_oldest_age_seconds") >= 5
    assert value(samples, "chorus_db_call_duration_seconds_count", operation="fetch") > 0
    assert value(samples, "chorus_db_call_duration_seconds_count", operation="transaction") > 0
    if settings.redis_url:
        assert value(samples, "chorus_redis_call_duration_seconds_count", operation="hit") > 0
    assert value(samples, "chorus_event_loop_lag_seconds_count") >= 1
    # Bounded cardinality: no id, principal or tenant in any label value.
    label_values = {v for (_, labels) in samples for _, v in labels}
    assert not any(task_id in v or sub in v for v in label_values)


async def test_grpc_health_checks_are_counted_without_credentials(tmp_path: Path, idp: identity.TestIdp) -> None:
    async with observed_chorus(observed_settings(tmp_path, idp)) as chorus:
        async with grpc.aio.insecure_channel(chorus.endpoints.grpc) as channel:
            health = health_pb2_grpc.HealthStub(channel)
            for service in ("", TASKS):  # no credentials: health is never admitted
                answer = await health.Check(health_pb2.HealthCheckRequest(service=service))
                assert answer.status == health_pb2.HealthCheckResponse.SERVING
            with pytest.raises(grpc.aio.AioRpcError) as unknown:
                await health.Check(health_pb2.HealthCheckRequest(service="no.such.Service"))
            assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
        samples = await scrape(chorus.endpoints.admin)
    check = {"transport": "grpc", "method": "grpc.health.v1.Health/Check"}
    assert value(samples, "chorus_requests_total", **check, status="OK") == 2
    assert value(samples, "chorus_requests_total", **check, status="NOT_FOUND") == 1
    assert value(samples, "chorus_request_duration_seconds_count", **check) == 3
    assert value(samples, "chorus_rate_limit_refusals_total") == 0


async def test_upstream_errors_by_provider(tmp_path: Path, idp: identity.TestIdp) -> None:
    settings = observed_settings(tmp_path, idp)
    models = settings.models.model_copy(deep=True)
    models.providers["down"] = models.providers["builtin"].model_copy(
        update={"kind": "openai-compatible", "base_url": "http://127.0.0.1:9/v1"}
    )
    models.routes["broken"] = models.routes["chorus-builtin"].model_copy(update={"provider": "down"})
    settings = settings.model_copy(update={"models": models})
    async with observed_chorus(settings) as chorus:
        from server.platform.models.types import ChatTurn, ModelError, ModelRequest

        registry = chorus._platform.models  # type: ignore[union-attr]
        with pytest.raises(ModelError):
            async for _ in registry.stream(ModelRequest(model="broken", messages=(ChatTurn("user", "hi"),))):
                pass
        samples = await scrape(chorus.endpoints.admin)
    assert value(samples, "chorus_upstream_errors_total", provider="down", kind="unavailable") == 1
    assert value(samples, "chorus_upstream_duration_seconds_count", provider="down") == 1


async def test_metrics_off_serves_no_metrics(tmp_path: Path, idp: identity.TestIdp) -> None:
    settings = observed_settings(tmp_path, idp)
    settings = settings.model_copy(update={"admin": settings.admin.model_copy(update={"metrics": False})})
    async with observed_chorus(settings) as chorus, httpx.AsyncClient(base_url=chorus.endpoints.admin) as admin:
        assert chorus.observability.bridge_meter is None
        assert (await admin.get("/metrics")).status_code == 404
        assert (await admin.get("/livez")).status_code == 200


async def test_admin_port_off_by_default(tmp_path: Path, idp: identity.TestIdp) -> None:
    settings = observed_settings(tmp_path, idp)
    settings = settings.model_copy(update={"admin": settings.admin.model_copy(update={"enabled": False})})
    async with observed_chorus(settings) as chorus:
        assert chorus.endpoints.admin == ""
        assert chorus.observability.metrics is None
