"""/api/memory and /api/memory/pin over REST and gRPC: upsert by key, filters, pages, concurrency."""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import grpc
import pytest
from chorus_contracts.mcos.v1 import memory_pb2, memory_pb2_grpc

from tests.support import backends
from tests.support.envelopes import assert_error
from tests.support.grpc_status import error_info
from tests.support.mcos_rest import pin_memory
from tests.surfaces.mcos.conftest import User

MEMORY_KEYS = {"id", "type", "key", "value", "category", "created_at", "updated_at"}


def memories(user: User, **params: Any) -> dict[str, Any]:
    response = user.rest.get("/api/memory", params=params)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def keys(page: dict[str, Any]) -> list[str]:
    return [m["key"] for m in page["pinned_memories"]]


def test_pin_returns_the_memory_and_pinning_again_updates_it(user: Callable[..., User]) -> None:
    person = user()
    first = pin_memory(person, type="preference", key="favorite_airline", value="United Airlines", category="travel")
    assert set(first) == MEMORY_KEYS
    assert re.fullmatch(r"mem_[0-9a-f]{24}", first["id"])
    assert (first["type"], first["key"], first["value"], first["category"]) == (
        "preference",
        "favorite_airline",
        "United Airlines",
        "travel",
    )
    assert first["created_at"] == first["updated_at"]

    again = pin_memory(person, type="fact", key="favorite_airline", value="Delta")
    assert (again["id"], again["created_at"]) == (first["id"], first["created_at"])
    assert (again["type"], again["value"], again["category"]) == ("fact", "Delta", "")
    assert again["updated_at"] >= first["updated_at"]

    listed = memories(person)
    assert set(listed) == {"pinned_memories", "has_more", "next_cursor"}
    assert listed["pinned_memories"] == [again]
    assert (listed["has_more"], listed["next_cursor"]) == (False, "")


def newest_first(pinned: list[dict[str, Any]]) -> list[str]:
    """Keys in list order: latest `updated_at` first, ties by id (pins may share a millisecond)."""
    latest = {m["key"]: m for m in pinned}  # a re-pin replaces the earlier answer
    order = sorted(latest.values(), key=lambda m: (datetime.fromisoformat(m["updated_at"]), m["id"]), reverse=True)
    return [m["key"] for m in order]


def test_list_is_newest_change_first_with_filters_and_pages(user: Callable[..., User]) -> None:
    person = user()
    pinned = [
        pin_memory(person, type="preference", key="seat", value="aisle", category="travel"),
        pin_memory(person, type="fact", key="dog", value="Rex", category="home"),
        pin_memory(person, type="preference", key="hotel", value="Hilton", category="travel"),
        pin_memory(person, type="contact", key="jim", value="jim@example.com"),
        pin_memory(person, type="preference", key="seat", value="window", category="travel"),  # changed last
    ]
    order = newest_first(pinned)
    assert keys(memories(person)) == order and sorted(order) == ["dog", "hotel", "jim", "seat"]
    assert keys(memories(person, type="preference")) == [k for k in order if k in ("seat", "hotel")]
    assert keys(memories(person, category="travel")) == [k for k in order if k in ("seat", "hotel")]
    assert keys(memories(person, type="fact", category="home")) == ["dog"]
    assert keys(memories(person, type="fact", category="travel")) == []

    first = memories(person, limit=3)
    assert keys(first) == order[:3] and first["has_more"] is True
    rest = memories(person, limit=3, cursor=first["next_cursor"])
    assert keys(rest) == order[3:] and (rest["has_more"], rest["next_cursor"]) == (False, "")


def test_other_users_never_see_a_memory(user: Callable[..., User]) -> None:
    owner, stranger = user(), user()
    pin_memory(owner, type="fact", key="secret", value="42")
    # The same key is another memory for another user.
    theirs = pin_memory(stranger, type="fact", key="secret", value="7")
    assert [m["value"] for m in memories(owner)["pinned_memories"]] == ["42"]
    assert memories(stranger)["pinned_memories"] == [theirs]


@pytest.mark.parametrize(
    ("body", "paths"),
    [
        ({}, [["type"], ["key"], ["value"]]),
        ({"type": "fact", "key": "  ", "value": "v"}, [["key"]]),
        ({"type": "t" * 51, "key": "k", "value": "v"}, [["type"]]),
        ({"type": "fact", "key": "k" * 201, "value": "v"}, [["key"]]),
        ({"type": "fact", "key": "k", "value": "v" * 10_001}, [["value"]]),
        ({"type": "fact", "key": "k", "value": "v", "category": "c" * 51}, [["category"]]),
    ],
)
def test_invalid_pins_are_400(user: Callable[..., User], body: dict[str, Any], paths: list[list[str]]) -> None:
    person = user()
    error = assert_error(person.rest.post("/api/memory/pin", json=body), "mcos", 400, "VALIDATION_ERROR")
    assert sorted(issue["path"] for issue in error["details"]["issues"]) == sorted(paths)
    assert memories(person)["pinned_memories"] == []


@pytest.mark.parametrize(
    "content", [b'{"type": "fact", "key": "k", "value": 3}', b'{"type": "fact"', b'{"type": "fact", "pinned": true}']
)
def test_malformed_pins_are_400(user: Callable[..., User], content: bytes) -> None:
    person = user()
    response = person.rest.post("/api/memory/pin", content=content, headers={"content-type": "application/json"})
    assert_error(response, "mcos", 400, "VALIDATION_ERROR")
    assert memories(person)["pinned_memories"] == []


def test_nul_in_text_is_a_400_on_every_backend(user: Callable[..., User]) -> None:
    """PostgreSQL's text cannot hold NUL (the schema fuzzer's find): refused up front, on SQLite too."""
    person = user()
    response = person.rest.post("/api/memory/pin", json={"type": "fact", "key": "k", "value": "a\u0000b"})
    error = assert_error(response, "mcos", 400, "VALIDATION_ERROR")
    assert [issue["path"] for issue in error["details"]["issues"]] == [["value"]]
    assert memories(person)["pinned_memories"] == []


@pytest.mark.parametrize("params", [{"limit": 501}, {"limit": -1}, {"cursor": "bm9wZQ"}])
def test_bad_list_queries_are_400(user: Callable[..., User], params: dict[str, Any]) -> None:
    assert_error(user().rest.get("/api/memory", params=params), "mcos", 400, "VALIDATION_ERROR")


def test_concurrent_pins_of_one_key_leave_one_memory(user: Callable[..., User]) -> None:
    person = user()
    with ThreadPoolExecutor(20) as pool:
        results = list(
            pool.map(
                lambda n: person.rest.post("/api/memory/pin", json={"type": "fact", "key": "k", "value": f"v{n}"}),
                range(20),
            )
        )
    assert [r.status_code for r in results] == [200] * 20
    assert len({r.json()["id"] for r in results}) == 1
    stored = memories(person)["pinned_memories"]
    assert len(stored) == 1
    assert stored[0]["value"] in {f"v{n}" for n in range(20)}


def test_grpc_pin_and_list(mcos_channel: grpc.Channel, user: Callable[..., User]) -> None:
    stub = memory_pb2_grpc.MemoryServiceStub(mcos_channel)
    md = user().grpc_metadata
    pinned = stub.PinMemory(
        memory_pb2.PinMemoryRequest(type="preference", key="favorite_airport", value="JFK"), metadata=md
    ).memory
    assert pinned.id.startswith("mem_") and pinned.value == "JFK"
    repinned = stub.PinMemory(
        memory_pb2.PinMemoryRequest(type="preference", key="favorite_airport", value="LGA", category="travel"),
        metadata=md,
    ).memory
    assert (repinned.id, repinned.value, repinned.category) == (pinned.id, "LGA", "travel")
    listed = stub.ListMemories(memory_pb2.ListMemoriesRequest(category="travel"), metadata=md)
    assert [m.id for m in listed.pinned_memories] == [pinned.id] and not listed.has_more

    with pytest.raises(grpc.RpcError) as caught:
        stub.PinMemory(memory_pb2.PinMemoryRequest(type="fact", key="", value="x"), metadata=md)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_info(caught.value).reason == "VALIDATION_ERROR"
    with pytest.raises(grpc.RpcError) as caught:
        stub.ListMemories(memory_pb2.ListMemoriesRequest(limit=1000), metadata=md)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.skipif(not backends.POSTGRES, reason="PostgreSQL only: SQLite's text holds NUL")
def test_grpc_nul_in_text_on_postgresql_is_invalid_argument(
    mcos_channel: grpc.Channel, user: Callable[..., User]
) -> None:
    """gRPC requests skip the bridge's codec: the database's refusal is the client's error, not INTERNAL."""
    stub = memory_pb2_grpc.MemoryServiceStub(mcos_channel)
    with pytest.raises(grpc.RpcError) as caught:
        stub.PinMemory(memory_pb2.PinMemoryRequest(type="fact", key="k", value="a\x00b"), metadata=user().grpc_metadata)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT, caught.value.details()
