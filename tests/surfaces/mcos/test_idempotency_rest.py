"""`Idempotency-Key` on POST /api/tasks, /api/chat and /api/tools/*, through the shared process.

The shared process bridges over loopback gRPC; test_idempotency_inprocess.py
covers the in-process transport and expiry.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from tests.support.envelopes import assert_error
from tests.support.sse import parse_sse
from tests.surfaces.mcos.conftest import User

REPLAYED = "idempotent-replayed"


def new_key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def task_titles(person: User) -> list[str]:
    response = person.rest.get("/api/tasks")
    assert response.status_code == 200, response.text
    return [task["title"] for task in response.json()["tasks"]]


def history(person: User, conversation_id: str) -> list[tuple[str, str]]:
    response = person.rest.get("/api/chat/history", params={"conversation_id": conversation_id})
    assert response.status_code == 200, response.text
    return [(m["role"], m["content"]) for m in response.json()["messages"]]


def data_lines(response: httpx.Response) -> list[str]:
    """The raw `data:` payloads of an SSE response, in order (heartbeat comments left out)."""
    assert response.status_code == 200, response.text
    events, _ = parse_sse(response.text)
    return [event.data for event in events]


def in_parallel(count: int, send: Callable[[], httpx.Response]) -> list[httpx.Response]:
    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(lambda _: send(), range(count)))


def test_parallel_task_creations_with_one_key_store_one_task(user: Callable[..., User]) -> None:
    person = user()
    key = new_key()
    body = {"title": "Book the dentist", "priority": "high", "tags": ["health"]}
    responses = in_parallel(10, lambda: person.rest.post("/api/tasks", json=body, headers=key))
    assert {r.status_code for r in responses} <= {201, 409}, [r.text for r in responses]
    created = [r for r in responses if r.status_code == 201]
    assert len([r for r in created if REPLAYED not in r.headers]) == 1
    for refused in (r for r in responses if r.status_code == 409):
        error = assert_error(refused, "mcos", 409, "VALIDATION_ERROR")
        assert error["details"]["issues"][0]["path"] == ["idempotency_key"]
    # Once it is done, every retry is the stored answer.
    replay = person.rest.post("/api/tasks", json=body, headers=key)
    assert replay.status_code == 201 and replay.headers[REPLAYED] == "true"
    assert all(r.json() == replay.json() for r in created)
    assert task_titles(person) == ["Book the dentist"]


def test_same_key_other_body_is_422_and_creates_nothing(user: Callable[..., User]) -> None:
    person = user()
    key = new_key()
    first = person.rest.post("/api/tasks", json={"title": "Renew passport"}, headers=key)
    assert first.status_code == 201
    # Key order and spacing do not make another request.
    same = person.rest.post(
        "/api/tasks",
        content=b'{  "title" :"Renew passport" }',
        headers={**key, "content-type": "application/json"},
    )
    assert same.status_code == 201 and same.json() == first.json() and same.headers[REPLAYED] == "true"
    other = person.rest.post("/api/tasks", json={"title": "Renew visa"}, headers=key)
    error = assert_error(other, "mcos", 422, "VALIDATION_ERROR")
    assert error["details"]["idempotency_key"] == key["Idempotency-Key"]
    assert "different request" in error["message"]
    assert task_titles(person) == ["Renew passport"]


def test_keys_are_per_principal(user: Callable[..., User]) -> None:
    alice, bob = user(), user()
    key = new_key()
    mine = alice.rest.post("/api/tasks", json={"title": "Alice's"}, headers=key)
    theirs = bob.rest.post("/api/tasks", json={"title": "Bob's"}, headers=key)
    assert mine.status_code == theirs.status_code == 201
    assert REPLAYED not in theirs.headers
    assert task_titles(alice) == ["Alice's"] and task_titles(bob) == ["Bob's"]


def test_a_failed_request_does_not_hold_its_key(user: Callable[..., User]) -> None:
    person = user()
    key = new_key()
    invalid = person.rest.post("/api/tasks", json={"title": ""}, headers=key)
    assert_error(invalid, "mcos", 400, "VALIDATION_ERROR")
    # The same key works for the corrected request, and is then bound to it.
    fixed = person.rest.post("/api/tasks", json={"title": "Pay rent"}, headers=key)
    assert fixed.status_code == 201 and REPLAYED not in fixed.headers
    assert person.rest.post("/api/tasks", json={"title": "Pay rent"}, headers=key).headers[REPLAYED] == "true"
    assert task_titles(person) == ["Pay rent"]


def test_malformed_keys_are_400(user: Callable[..., User]) -> None:
    person = user()
    for bad in ("", "k" * 256):
        response = person.rest.post("/api/tasks", json={"title": "Never stored"}, headers={"Idempotency-Key": bad})
        error = assert_error(response, "mcos", 400, "VALIDATION_ERROR")
        assert error["details"]["issues"][0]["path"] == ["idempotency_key"]
    assert task_titles(person) == []
    longest = person.rest.post("/api/tasks", json={"title": "Stored"}, headers={"Idempotency-Key": "k" * 255})
    assert longest.status_code == 201


def test_chat_replay_sends_identical_events_and_runs_the_model_once(user: Callable[..., User]) -> None:
    person = user()
    key = new_key()
    body: dict[str, Any] = {"messages": [{"role": "user", "content": "Plan my week"}]}
    first = person.rest.post("/api/chat", json=body, headers=key)
    again = person.rest.post("/api/chat", json=body, headers=key)
    assert again.headers[REPLAYED] == "true" and REPLAYED not in first.headers
    assert again.headers["content-type"].startswith("text/event-stream")
    assert data_lines(again) == data_lines(first)
    done = [e.json() for e in parse_sse(first.text)[0]][-1]
    assert done["type"] == "done"
    # The generated conversation id is replayed too: one exchange was stored.
    assert [role for role, _ in history(person, done["conversation_id"])] == ["user", "assistant"]


def test_parallel_chats_with_one_key_run_the_model_once(user: Callable[..., User]) -> None:
    person = user()
    key = new_key()
    body = {"messages": [{"role": "user", "content": "What is on today?"}], "conversation_id": "today"}
    responses = in_parallel(6, lambda: person.rest.post("/api/chat", json=body, headers=key))
    assert {r.status_code for r in responses} <= {200, 409}
    streams = {tuple(data_lines(r)) for r in responses if r.status_code == 200}
    assert len(streams) == 1
    assert len([r for r in responses if r.status_code == 200 and REPLAYED not in r.headers]) == 1
    assert [role for role, _ in history(person, "today")] == ["user", "assistant"]


def test_non_streaming_chat_replays_its_json(user: Callable[..., User]) -> None:
    person = user()
    key = new_key()
    body = {"messages": [{"role": "user", "content": "Summarise my tasks"}], "stream": False}
    first = person.rest.post("/api/chat", json=body, headers=key)
    again = person.rest.post("/api/chat", json=body, headers=key)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again.headers[REPLAYED] == "true"
    # Streaming is another request under the same key.
    streamed = person.rest.post("/api/chat", json={**body, "stream": True}, headers=key)
    assert_error(streamed, "mcos", 422, "VALIDATION_ERROR")


def test_tool_calls_replay_without_running_the_tool(user: Callable[..., User]) -> None:
    person = user()
    key = new_key()
    search = {"origin": "SFO", "destination": "JFK", "departure_date": "2025-06-02"}
    first = person.rest.post("/api/tools/search_flights", json=search, headers=key)
    assert first.status_code == 200, first.text
    again = person.rest.post("/api/tools/search_flights", json=search, headers=key)
    # A second run would have a new invocation id.
    assert again.json() == first.json() and again.headers[REPLAYED] == "true"
    rank = {"flights": first.json()["flights"][:3], "user_preferences": {"max_stops": 0}}
    rank_key = new_key()
    ranked = person.rest.post("/api/tools/rank_flights", json=rank, headers=rank_key)
    assert ranked.status_code == 200, ranked.text
    reranked = person.rest.post("/api/tools/rank_flights", json=rank, headers=rank_key)
    assert reranked.json() == ranked.json() and reranked.headers[REPLAYED] == "true"


def test_other_methods_ignore_the_key(user: Callable[..., User]) -> None:
    person = user()
    key = new_key()
    task = person.rest.post("/api/tasks", json={"title": "Water plants"}).json()
    for status in ("in_progress", "completed"):
        response = person.rest.patch(f"/api/tasks/{task['id']}", json={"status": status}, headers=key)
        assert response.status_code == 200 and REPLAYED not in response.headers
        assert response.json()["status"] == status
