"""Idempotency-Key in the call pipeline, over gRPC and both REST bridge transports.

A real grpc.aio server runs the real interceptor (admission, then idempotency)
in front of small test servicers of the MCoS contract, whose runs the tests
count and can hold open. The real bridge serves it twice: over a loopback gRPC
channel and in-process. Keys live in a real database (the session's backend); time is a fake
clock, so expiry needs no waiting.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import grpc
import httpx
import pytest
from chorus_contracts.mcos.v1 import chat_pb2, chat_pb2_grpc, resources_pb2, tasks_pb2, tasks_pb2_grpc
from sqlalchemy import text

from rest_bridge.app import Mount, load_method_specs
from rest_bridge.method_rules import load_method_rules
from server.app import dialects
from server.platform.admission.call import CallInfo
from server.platform.admission.client_address import ClientAddresses
from server.platform.admission.idempotency import CLAIM_LEASE_MS, Idempotency, IdempotencyKeys
from server.platform.admission.pipeline import Pipeline
from server.platform.errors import unauthenticated, unavailable
from server.platform.grpc.interceptor import PipelineInterceptor
from server.platform.storage.database import Database
from server.platform.storage.idempotency_store import IdempotencyStore, KeyScope
from server.platform.storage.migrate import upgrade_async
from server.platform.tenancy import Caller, Tenant
from tests.support import backends
from tests.support.bridge_servers import bridged_pipeline
from tests.support.clock import ManualClock
from tests.support.grpc_status import error_info, violated_fields
from tests.support.mcos_chat import user_says as grpc_user_says
from tests.support.sse import parse_sse

DAY_MS = 24 * 3_600_000
TASKS = "mcos.v1.TaskService"
CHAT = "mcos.v1.ChatService"
USER = "x-test-user"


@dataclass
class Observed:
    """What the servicers did, and gates that hold a run open until set."""

    runs: Counter[str] = field(default_factory=Counter)
    gates: dict[str, asyncio.Event] = field(default_factory=dict)
    cancelled: Counter[str] = field(default_factory=Counter)

    async def pass_gate(self, name: str) -> None:
        gate = self.gates.get(name)
        if gate is not None:
            await gate.wait()


class TaskServicer(tasks_pb2_grpc.TaskServiceServicer):
    """CreateTask makes a new id per run; "flaky" fails on its first run."""

    def __init__(self, observed: Observed) -> None:
        self.observed = observed

    async def CreateTask(self, request: tasks_pb2.CreateTaskRequest, context: Any) -> tasks_pb2.CreateTaskResponse:
        self.observed.runs[request.title] += 1
        await self.observed.pass_gate(request.title)
        if request.title == "flaky" and self.observed.runs[request.title] == 1:
            raise unavailable("the store is briefly down")
        task = resources_pb2.Task(id=f"task_{uuid.uuid4().hex[:24]}", title=request.title, tags=request.tags)
        return tasks_pb2.CreateTaskResponse(task=task)

    async def UpdateTask(self, request: tasks_pb2.UpdateTaskRequest, context: Any) -> tasks_pb2.UpdateTaskResponse:
        self.observed.runs["update"] += 1
        return tasks_pb2.UpdateTaskResponse(task=request.task)


class ChatServicer(chat_pb2_grpc.ChatServiceServicer):
    """Streams one token per word, then `done`; a gate for the text holds it after the first token."""

    def __init__(self, observed: Observed) -> None:
        self.observed = observed

    async def Chat(self, request: chat_pb2.ChatRequest, context: Any) -> AsyncIterator[chat_pb2.ChatResponse]:
        text = request.messages[-1].content.string_value
        self.observed.runs[text] += 1
        try:
            for index, word in enumerate(text.split()):
                yield chat_pb2.ChatResponse(token=chat_pb2.TokenEvent(token=f"{word} "))
                if index == 0:
                    await self.observed.pass_gate(text)
            done = chat_pb2.DoneEvent(message_id=f"msg_{uuid.uuid4().hex[:24]}", conversation_id=str(uuid.uuid4()))
            yield chat_pb2.ChatResponse(done=done)
        except (asyncio.CancelledError, GeneratorExit):
            self.observed.cancelled[text] += 1
            raise


async def identify(call: CallInfo) -> None:
    """Stands in for the access assertion: the principal is the `x-test-user` metadata."""
    user = call.metadata.get(USER, "")
    if not user:
        raise unauthenticated("who are you?", reason="UNAUTHORIZED")
    call.caller = Caller(Tenant("t1", "T1", False, None, None), user)


@dataclass
class Harness:
    observed: Observed
    clock: ManualClock
    db: Database
    grpc_target: str
    rest_urls: dict[str, str]  # transport -> bridge base URL


@pytest.fixture(scope="module")
async def harness(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Harness]:
    url = backends.database_url(tmp_path_factory.mktemp("idem") / "keys.db")
    await upgrade_async(url)
    db = Database(url)
    clock = ManualClock(1_700_000_000_000)
    observed = Observed()
    idempotency = Idempotency(
        IdempotencyStore(db),
        clock,
        {
            TASKS: IdempotencyKeys(DAY_MS),
            CHAT: IdempotencyKeys(DAY_MS),
        },
        load_method_rules(),
    )
    pipeline = Pipeline(
        {TASKS: [identify], CHAT: [identify]},
        ClientAddresses(),
        {TASKS: "x-correlation-id", CHAT: "x-correlation-id"},
    )
    interceptor = PipelineInterceptor(pipeline, idempotency)
    servicers = (
        (tasks_pb2_grpc.add_TaskServiceServicer_to_server, TaskServicer(observed)),
        (chat_pb2_grpc.add_ChatServiceServicer_to_server, ChatServicer(observed)),
    )
    specs = [s for s in load_method_specs() if s.grpc_path.startswith((f"/{TASKS}/", f"/{CHAT}/"))]
    mounts = [Mount("mcos", paths=("/api/",))]
    async with bridged_pipeline(interceptor, servicers, specs, mounts, dialects()) as (target, rest_urls):
        yield Harness(observed, clock, db, target, rest_urls)
    await idempotency.aclose()
    await db.close()


@pytest.fixture(params=["grpc", "inprocess"])
async def rest(request: pytest.FixtureRequest, harness: Harness) -> AsyncIterator[httpx.AsyncClient]:
    """A REST client of one bridge transport, acting as a fresh user."""
    headers = {USER: f"user-{uuid.uuid4().hex[:8]}"}
    async with httpx.AsyncClient(base_url=harness.rest_urls[request.param], headers=headers, timeout=10) as client:
        yield client


def _unique(word: str) -> str:
    return f"{word}-{uuid.uuid4().hex[:8]}"


# --- REST, on both transports ---


async def test_same_key_replays_the_task_without_running_again(rest: httpx.AsyncClient, harness: Harness) -> None:
    title = _unique("buy milk")
    headers = {"Idempotency-Key": _unique("key")}
    first = await rest.post("/api/tasks", json={"title": title, "tags": ["a", "b"]}, headers=headers)
    # Same request, other JSON key order and spacing: the same protobuf request.
    again = await rest.post("/api/tasks", content=f'{{ "tags" : ["a","b"],  "title": "{title}" }}', headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["x-correlation-id"] != first.headers["x-correlation-id"]
    assert harness.observed.runs[title] == 1


async def test_without_a_key_every_request_runs(rest: httpx.AsyncClient, harness: Harness) -> None:
    title = _unique("no key")
    bodies = [(await rest.post("/api/tasks", json={"title": title})).json() for _ in range(2)]
    assert bodies[0]["id"] != bodies[1]["id"]
    assert harness.observed.runs[title] == 2


async def test_same_key_other_request_is_422(rest: httpx.AsyncClient, harness: Harness) -> None:
    key = {"Idempotency-Key": _unique("key")}
    title = _unique("first")
    assert (await rest.post("/api/tasks", json={"title": title}, headers=key)).status_code == 201
    other = await rest.post("/api/tasks", json={"title": title, "tags": ["x"]}, headers=key)
    assert other.status_code == 422
    error = other.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert "different request" in error["message"]
    assert error["details"]["issues"][0]["path"] == ["idempotency_key"]
    assert error["correlation_id"] == other.headers["x-correlation-id"]
    # The same key on another idempotent method is another request too.
    chat = await rest.post("/api/chat", json={"messages": [{"role": "user", "content": "hi"}]}, headers=key)
    assert chat.status_code == 422
    assert harness.observed.runs[title] == 1


async def test_concurrent_duplicates_run_once(rest: httpx.AsyncClient, harness: Harness) -> None:
    title = _unique("concurrent")
    gate = harness.observed.gates[title] = asyncio.Event()
    key = {"Idempotency-Key": _unique("key")}
    calls = [asyncio.ensure_future(rest.post("/api/tasks", json={"title": title}, headers=key)) for _ in range(10)]
    # While the first holds the key, every duplicate is refused at once.
    refused = []
    for finished in asyncio.as_completed(calls):
        refused.append(await finished)
        if len(refused) == 9:
            break
    assert [r.status_code for r in refused] == [409] * 9
    body = refused[0].json()["error"]
    assert body["code"] == "VALIDATION_ERROR" and "in progress" in body["message"]
    assert body["details"]["retry_after_seconds"] == 1
    gate.set()
    created = [r for r in await asyncio.gather(*calls) if r.status_code != 409]
    assert [r.status_code for r in created] == [201]
    replay = await rest.post("/api/tasks", json={"title": title}, headers=key)
    assert replay.status_code == 201 and replay.json() == created[0].json()
    assert harness.observed.runs[title] == 1


async def test_a_failed_request_releases_its_key(rest: httpx.AsyncClient, harness: Harness) -> None:
    key = {"Idempotency-Key": _unique("key")}
    harness.observed.runs["flaky"] = 0
    failed = await rest.post("/api/tasks", json={"title": "flaky"}, headers=key)
    assert failed.status_code == 503
    retried = await rest.post("/api/tasks", json={"title": "flaky"}, headers=key)
    assert retried.status_code == 201 and "idempotent-replayed" not in retried.headers
    assert harness.observed.runs["flaky"] == 2
    assert (await rest.post("/api/tasks", json={"title": "flaky"}, headers=key)).headers[
        "idempotent-replayed"
    ] == "true"


async def test_a_claim_abandoned_by_a_crashed_process_is_taken_over(rest: httpx.AsyncClient, harness: Harness) -> None:
    key, title = _unique("key"), _unique("after a crash")
    # What a process that died mid-request leaves behind: a running claim of this very request.
    request = tasks_pb2.CreateTaskRequest(title=title).SerializeToString(deterministic=True)
    fingerprint = hashlib.sha256(f"/{TASKS}/CreateTask".encode() + b"\0" + request).hexdigest()
    scope = KeyScope("t1", rest.headers[USER], key)
    store = IdempotencyStore(harness.db)
    assert await store.claim(scope, fingerprint, "dead", harness.clock.now, DAY_MS, CLAIM_LEASE_MS) is None
    harness.clock.now += CLAIM_LEASE_MS - 1
    assert (await rest.post("/api/tasks", json={"title": title}, headers={"Idempotency-Key": key})).status_code == 409
    harness.clock.now += 1
    taken = await rest.post("/api/tasks", json={"title": title}, headers={"Idempotency-Key": key})
    assert taken.status_code == 201 and "idempotent-replayed" not in taken.headers
    assert harness.observed.runs[title] == 1


@pytest.mark.parametrize("key", ["", "x" * 256, "naïve"])
async def test_malformed_keys_are_400(rest: httpx.AsyncClient, harness: Harness, key: str) -> None:
    title = _unique("bad key")
    response = await rest.post("/api/tasks", json={"title": title}, headers={b"Idempotency-Key": key.encode()})
    if not key.isascii():
        # The bridge cannot carry a non-ASCII header as metadata: the request runs without a key.
        assert response.status_code == 201
        return
    assert response.status_code == 400
    assert response.json()["error"]["details"]["issues"][0]["path"] == ["idempotency_key"]
    assert harness.observed.runs[title] == 0


async def test_keys_are_per_principal(harness: Harness) -> None:
    key = {"Idempotency-Key": "shared-key"}
    title = _unique("mine")
    url = harness.rest_urls["grpc"]
    async with (
        httpx.AsyncClient(base_url=url, headers={USER: _unique("alice")}) as alice,
        httpx.AsyncClient(base_url=url, headers={USER: _unique("bob")}) as bob,
    ):
        a = await alice.post("/api/tasks", json={"title": title}, headers=key)
        b = await bob.post("/api/tasks", json={"title": title}, headers=key)
        # Bob's different body under the same key is no conflict with Alice's key.
        c = await bob.post("/api/tasks", json={"title": title}, headers={"Idempotency-Key": "other"})
    assert a.status_code == b.status_code == c.status_code == 201
    assert "idempotent-replayed" not in b.headers
    assert a.json()["id"] != b.json()["id"]
    assert harness.observed.runs[title] == 3


async def test_keys_expire_after_the_ttl(rest: httpx.AsyncClient, harness: Harness) -> None:
    key = {"Idempotency-Key": _unique("key")}
    title = _unique("expiring")
    first = await rest.post("/api/tasks", json={"title": title}, headers=key)
    harness.clock.now += DAY_MS - 1
    replay = await rest.post("/api/tasks", json={"title": title}, headers=key)
    assert replay.headers["idempotent-replayed"] == "true" and replay.json() == first.json()
    harness.clock.now += 1
    fresh = await rest.post("/api/tasks", json={"title": title}, headers=key)
    assert "idempotent-replayed" not in fresh.headers
    assert fresh.json()["id"] != first.json()["id"]
    # Expired, a key is new for any request.
    harness.clock.now += DAY_MS
    other = await rest.post("/api/tasks", json={"title": title + "!"}, headers=key)
    assert other.status_code == 201
    assert harness.observed.runs[title] == 2


async def test_chat_replay_sends_the_same_events(rest: httpx.AsyncClient, harness: Harness) -> None:
    text = _unique("plan my week please")
    body = {"messages": [{"role": "user", "content": text}]}
    key = {"Idempotency-Key": _unique("key")}
    first = await rest.post("/api/chat", json=body, headers=key)
    again = await rest.post("/api/chat", json=body, headers=key)
    assert first.status_code == again.status_code == 200
    assert again.headers["content-type"].startswith("text/event-stream")
    assert again.headers["idempotent-replayed"] == "true"
    first_events = [e.json() for e in parse_sse(first.text)[0]]
    again_events = [e.json() for e in parse_sse(again.text)[0]]
    assert [e["type"] for e in first_events] == ["token"] * 4 + ["done"]
    assert again_events == first_events
    assert harness.observed.runs[text] == 1
    # Non-streaming is another request body: 422, not the SSE replay.
    single = await rest.post("/api/chat", json={**body, "stream": False}, headers=key)
    assert single.status_code == 422


async def test_a_client_gone_mid_stream_releases_the_key(rest: httpx.AsyncClient, harness: Harness) -> None:
    text = _unique("held open")
    gate = harness.observed.gates[text] = asyncio.Event()
    body = {"messages": [{"role": "user", "content": text}]}
    key = {"Idempotency-Key": _unique("key")}
    async with rest.stream("POST", "/api/chat", json=body, headers=key) as response:
        # Held in a variable: an abandoned line iterator closes the connection when collected.
        lines = response.aiter_lines()
        while not (await anext(lines)).startswith("data:"):
            pass  # until one token arrived; the run now waits at the gate
        assert (await rest.post("/api/chat", json=body, headers=key)).status_code == 409
        assert harness.observed.cancelled[text] == 0
    # The client is gone: the run is cancelled and the key released, so a retry runs afresh.
    await _eventually(lambda: _true(harness.observed.cancelled[text] == 1))
    gate.set()
    retry = await _eventually(lambda: _not_409(rest.post("/api/chat", json=body, headers=key)))
    assert retry.status_code == 200 and "idempotent-replayed" not in retry.headers
    assert [e.json()["type"] for e in parse_sse(retry.text)[0]][-1] == "done"
    assert harness.observed.runs[text] == 2


async def _true(value: bool) -> bool:
    return value


async def _not_409(sent: Any) -> httpx.Response | None:
    response = await sent
    return None if response.status_code == 409 else response


async def _eventually(check: Any) -> Any:
    """`await check()` until it is truthy: a disconnect reaches the handler, and the key's
    release the store, asynchronously (in milliseconds)."""
    for _ in range(250):
        if result := await check():
            return result
        await asyncio.sleep(0.02)
    raise AssertionError("timed out")


# --- gRPC clients ---


async def test_grpc_replay_returns_the_same_message_and_marks_it(harness: Harness) -> None:
    async with grpc.aio.insecure_channel(harness.grpc_target) as channel:
        create = channel.unary_unary(
            f"/{TASKS}/CreateTask",
            request_serializer=tasks_pb2.CreateTaskRequest.SerializeToString,
            response_deserializer=tasks_pb2.CreateTaskResponse.FromString,
        )
        title = _unique("grpc")
        metadata = ((USER, _unique("u")), ("idempotency-key", _unique("k")))
        first = create(tasks_pb2.CreateTaskRequest(title=title), metadata=metadata)
        created = await first
        again = create(tasks_pb2.CreateTaskRequest(title=title), metadata=metadata)
        assert await again == created
        assert ("idempotent-replayed", "true") in tuple(await again.trailing_metadata())
        assert ("idempotent-replayed", "true") not in tuple(await first.trailing_metadata())
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await create(tasks_pb2.CreateTaskRequest(title=title + "?"), metadata=metadata)
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    info, fields = error_info(caught.value), violated_fields(caught.value)
    assert info.reason == "VALIDATION_ERROR" and info.metadata["idempotency_key"] == metadata[1][1]
    assert fields == ["idempotency_key"]
    assert harness.observed.runs[title] == 1


async def test_grpc_stream_replay_and_in_progress(harness: Harness) -> None:
    async with grpc.aio.insecure_channel(harness.grpc_target) as channel:
        chat = channel.unary_stream(
            f"/{CHAT}/Chat",
            request_serializer=chat_pb2.ChatRequest.SerializeToString,
            response_deserializer=chat_pb2.ChatResponse.FromString,
        )
        text = _unique("one two")
        gate = harness.observed.gates[text] = asyncio.Event()
        request = chat_pb2.ChatRequest(messages=[grpc_user_says(text)])
        metadata = ((USER, _unique("u")), ("idempotency-key", _unique("k")))
        first = chat(request, metadata=metadata)
        first_messages = [await first.read()]
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await _read_all(chat(request, metadata=metadata))
        assert caught.value.code() == grpc.StatusCode.ABORTED
        assert error_info(caught.value).reason == "VALIDATION_ERROR"
        gate.set()
        first_messages += await _read_all(first)
        replay = chat(request, metadata=metadata)
        assert await _read_all(replay) == first_messages
        assert dict(await replay.initial_metadata())["idempotent-replayed"] == "true"
    assert [m.WhichOneof("event") for m in first_messages] == ["token", "token", "done"]
    assert harness.observed.runs[text] == 1


async def _read_all(call: Any) -> list[Any]:
    messages = []
    while (message := await call.read()) is not grpc.aio.EOF:
        messages.append(message)
    return messages


async def test_methods_not_declared_ignore_the_key(harness: Harness) -> None:
    async with grpc.aio.insecure_channel(harness.grpc_target) as channel:
        update = channel.unary_unary(
            f"/{TASKS}/UpdateTask",
            request_serializer=tasks_pb2.UpdateTaskRequest.SerializeToString,
            response_deserializer=tasks_pb2.UpdateTaskResponse.FromString,
        )
        before = harness.observed.runs["update"]
        metadata = ((USER, _unique("u")), ("idempotency-key", "same"))
        for _ in range(2):
            call = update(tasks_pb2.UpdateTaskRequest(task_id="task_1"), metadata=metadata)
            await call
            assert "idempotent-replayed" not in dict(await call.trailing_metadata())
    assert harness.observed.runs["update"] == before + 2


async def test_unauthenticated_calls_never_touch_keys(harness: Harness) -> None:
    title = _unique("anonymous")
    async with httpx.AsyncClient(base_url=harness.rest_urls["inprocess"]) as anonymous:
        refused = await anonymous.post("/api/tasks", json={"title": title}, headers={"Idempotency-Key": "k"})
    assert refused.status_code == 401
    assert harness.observed.runs[title] == 0
    async with harness.db.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT count(*) FROM idempotency_keys WHERE key = 'k'"))).scalar()
    assert rows == 0
