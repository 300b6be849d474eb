"""Memory Spine (spec 001, "Memory Endpoints") end to end on a real server, over REST and gRPC:
store, get, PUT as a new version with its history, soft delete and restore, semantic
search (paraphrases found, tags, minScore, deleted never found), stats and context packing.
The clock-driven parts (the 30-day window and the purge job) are in test_memory_retention.py."""

from __future__ import annotations

import re

import grpc
import httpx
from chorus_contracts.chaozcode.v2 import memory_pb2, memory_pb2_grpc

from tests.support import backends
from tests.support.chaozcode import add_user, rest
from tests.support.chorus_process import ChorusProcess
from tests.support.grpc_status import error_info
from tests.support.relevance_set import DISTRACTORS, PAIRS

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")
MEMORY_FIELDS = ["id", "content", "tags", "importance", "metadata", "version", "vectorId", "createdAt", "updatedAt"]


def _store(client: httpx.Client, memory_id: str, content: str, **fields: object) -> dict[str, object]:
    made = client.post("/memory/store", json={"id": memory_id, "content": content, **fields})
    assert made.status_code == 201, made.text
    return dict(made.json())


def _events(proc: ChorusProcess, user_id: str) -> list[str]:
    sql = "SELECT type FROM chaozcode_events WHERE owner_id = :u AND subject LIKE 'memory:%' ORDER BY created_at_ms"
    return [str(t) for (t,) in backends.fetch(proc.data_dir, sql, u=user_id)]


def test_store_get_update_versions_delete_restore(chaozcode: ChorusProcess) -> None:
    account = add_user(chaozcode)
    with rest(chaozcode, account.key) as client:
        stored = _store(
            client,
            "project-auth-v2",
            "Implemented OAuth2 with PKCE for the mobile app",
            tags=["auth", "security"],
            importance="high",
            metadata={"ticket": "AUTH-12"},
        )
        assert list(stored) == ["ok", "id", "vectorId", "createdAt"]
        assert stored["ok"] is True and stored["id"] == "project-auth-v2"
        assert re.fullmatch(r"vec_[0-9a-f]{24}", str(stored["vectorId"])) and ISO.fullmatch(str(stored["createdAt"]))

        got = client.get("/memory/project-auth-v2")
        assert got.status_code == 200
        memory = got.json()
        assert list(memory) == MEMORY_FIELDS
        assert memory["version"] == 1 and memory["tags"] == ["auth", "security"] and memory["importance"] == "high"
        assert memory["metadata"] == {"ticket": "AUTH-12"}

        put = client.put("/memory/project-auth-v2", json={"content": "OAuth2 with PKCE, refresh tokens rotated"})
        assert put.status_code == 200, put.text
        updated = put.json()
        assert updated["version"] == 2 and updated["content"] == "OAuth2 with PKCE, refresh tokens rotated"
        assert updated["tags"] == ["auth", "security"] and updated["importance"] == "high"  # kept
        assert updated["createdAt"] == memory["createdAt"] and updated["vectorId"] == memory["vectorId"]
        third = client.put("/memory/project-auth-v2", json={"tags": ["auth"], "importance": "critical"}).json()
        assert third["version"] == 3 and third["tags"] == ["auth"] and third["importance"] == "critical"
        assert client.get("/memory/project-auth-v2").json() == third

        history = client.get("/memory/project-auth-v2/versions").json()
        assert history["id"] == "project-auth-v2" and history["currentVersion"] == 3
        assert [v["version"] for v in history["versions"]] == [1, 2, 3]
        assert history["versions"][0]["content"] == "Implemented OAuth2 with PKCE for the mobile app"
        assert history["versions"][1]["tags"] == ["auth", "security"] and history["versions"][2]["tags"] == ["auth"]

        deleted = client.delete("/memory/project-auth-v2")
        assert deleted.status_code == 200 and deleted.json()["deleted"] is True
        assert ISO.fullmatch(deleted.json()["purgeAt"])
        gone = client.get("/memory/project-auth-v2")
        assert gone.status_code == 404 and gone.json()["error"]["code"] == "NOT_FOUND"
        assert client.put("/memory/project-auth-v2", json={"content": "x"}).status_code == 404
        assert client.delete("/memory/project-auth-v2").status_code == 404
        again = client.post("/memory/store", json={"id": "project-auth-v2", "content": "reuse"})
        assert again.status_code == 409 and again.json()["error"]["code"] == "CONFLICT"  # until purged

        restored = client.post("/memory/project-auth-v2/restore", json={})
        assert restored.status_code == 200 and restored.json() == third
        assert client.post("/memory/project-auth-v2/restore", json={}).status_code == 404  # not deleted now
        found = client.post("/memory/search", json={"query": "login with PKCE"}).json()
        assert [r["id"] for r in found["results"]] == ["project-auth-v2"]
    assert _events(chaozcode, account.user_id) == [
        "memory.stored",
        "memory.updated",
        "memory.updated",
        "memory.deleted",
        "memory.restored",
    ]


def test_validation_and_conflict(chaozcode: ChorusProcess) -> None:
    account = add_user(chaozcode)
    with rest(chaozcode, account.key) as client:
        no_content = client.post("/memory/store", json={"id": "a"})
        assert no_content.status_code == 400
        assert no_content.json()["error"]["details"] == {"field": "content", "reason": "required"}
        assert client.post("/memory/store", json={"content": "x"}).json()["error"]["details"]["field"] == "id"
        cases = [
            ({"id": "has space", "content": "x"}, "id"),
            ({"id": "b", "content": "x", "importance": "urgent"}, "importance"),
            ({"id": "b", "content": "x" * 100_001}, "content"),
            ({"id": "b", "content": "x", "tags": ["t"] * 33}, "tags"),
        ]
        for body, field in cases:
            refused = client.post("/memory/store", json=body)
            assert refused.status_code == 422, (body, refused.text)
            assert refused.json()["error"]["code"] == "VALIDATION_ERROR"
            assert refused.json()["error"]["details"]["field"] == field
        _store(client, "taken", "first")
        taken = client.post("/memory/store", json={"id": "taken", "content": "second"})
        assert taken.status_code == 409 and taken.json()["error"]["code"] == "CONFLICT"
        for body, field in (
            ({"query": "x", "limit": 101}, "limit"),
            ({"query": "x", "limit": 0}, "limit"),
            ({"query": "x", "minScore": 1.5}, "minScore"),
        ):
            refused = client.post("/memory/search", json=body)
            assert refused.status_code == 422 and refused.json()["error"]["details"]["field"] == field
        assert client.post("/memory/search", json={}).status_code == 400
        assert client.post("/memory/context", json={"query": "x", "maxTokens": 0}).status_code == 422


def test_memories_are_their_owners(chaozcode: ChorusProcess) -> None:
    owner, stranger = add_user(chaozcode), add_user(chaozcode)
    with rest(chaozcode, owner.key) as client:
        _store(client, "secret-plan", "The launch date is the ninth of March")
    with rest(chaozcode, stranger.key) as client:
        for method, path in (
            ("GET", "/memory/secret-plan"),
            ("PUT", "/memory/secret-plan"),
            ("DELETE", "/memory/secret-plan"),
            ("GET", "/memory/secret-plan/versions"),
            ("POST", "/memory/secret-plan/restore"),
        ):
            body = {"content": "x"} if method == "PUT" else {} if method == "POST" else None
            answer = client.request(method, path, json=body)
            assert answer.status_code == 404, (method, path)
        assert client.post("/memory/search", json={"query": "when do we launch"}).json()["results"] == []
        _store(client, "secret-plan", "my own memory under the same id")  # ids are each user's own


def test_search_finds_paraphrases_filters_and_never_deleted(chaozcode: ChorusProcess) -> None:
    account = add_user(chaozcode)
    with rest(chaozcode, account.key) as client:
        for index, (_, text) in enumerate(PAIRS):
            _store(client, f"m{index}", text, tags=["even" if index % 2 == 0 else "odd", "set"])
        for index, text in enumerate(DISTRACTORS):
            _store(client, f"d{index}", text, tags=["set"])
        hits = 0
        for index, (query, _) in enumerate(PAIRS):
            found = client.post("/memory/search", json={"query": query, "limit": 3}).json()
            hits += found["results"][0]["id"] == f"m{index}"
        assert hits >= len(PAIRS) - 2  # paraphrases, few shared words

        found = client.post("/memory/search", json={"query": "my car won't start in the morning"}).json()
        assert list(found) == ["results", "total", "took"]
        assert found["total"] == len(found["results"]) == 10  # the default limit
        assert list(found["results"][0]) == ["id", "content", "score", "tags", "createdAt"]
        scores = [r["score"] for r in found["results"]]
        assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
        assert isinstance(found["took"], int) and found["took"] >= 0

        odd = client.post("/memory/search", json={"query": "my car won't start", "tags": ["odd", "set"]}).json()
        assert odd["results"] and all("odd" in r["tags"] for r in odd["results"])
        assert odd["results"][0]["id"] == "m1"
        even = client.post("/memory/search", json={"query": "my car won't start", "tags": ["even"]}).json()
        assert "m1" not in [r["id"] for r in even["results"]]
        first, second = [r["score"] for r in found["results"][:2]]
        between = (first + second) / 2
        strict = client.post("/memory/search", json={"query": PAIRS[1][0], "minScore": between}).json()
        assert [r["id"] for r in strict["results"]] == ["m1"]

        assert client.delete("/memory/m1").status_code == 200
        after = client.post("/memory/search", json={"query": "my car won't start", "limit": 100}).json()
        assert "m1" not in [r["id"] for r in after["results"]]
        assert after["total"] == len(PAIRS) + len(DISTRACTORS) - 1

        stats = client.get("/memory/stats").json()
        assert list(stats) == ["vectorCount", "storageBytes", "version", "avgResponseMs", "status"]
        assert stats["vectorCount"] == len(PAIRS) + len(DISTRACTORS) - 1
        texts = sum(len(t) for _, t in PAIRS) + sum(len(t) for t in DISTRACTORS)
        assert stats["storageBytes"] >= texts + stats["vectorCount"] * 384 * 4
        assert stats["avgResponseMs"] > 0 and stats["status"] == "healthy" and stats["version"]


def test_context_packs_the_most_relevant_within_the_budget(chaozcode: ChorusProcess) -> None:
    account = add_user(chaozcode)
    with rest(chaozcode, account.key) as client:
        _store(client, "db-disk", "Storage volume for Postgres is nearly full")
        _store(client, "db-plan", "Plan: move old Postgres partitions to cold storage " + "archive " * 60)
        _store(client, "dog", "Young dog gnaws on the sofa and chair legs")
        packed = client.post("/memory/context", json={"query": "the database is running out of disk"}).json()
        assert list(packed) == ["query", "memories", "tokenCount", "maxTokens", "omitted"]
        assert packed["maxTokens"] == 4000 and packed["omitted"] == 0
        assert packed["memories"][0]["id"] == "db-disk"
        assert packed["tokenCount"] == sum(m["tokens"] for m in packed["memories"])
        tight = client.post("/memory/context", json={"query": "database out of disk", "maxTokens": 30}).json()
        assert tight["tokenCount"] <= 30 and "db-plan" not in [m["id"] for m in tight["memories"]]
        assert tight["memories"][0]["id"] == "db-disk" and tight["omitted"] >= 1
        answer = client.post("/query", json={"prompt": "What is filling up?", "context": packed})
        assert answer.status_code == 200, answer.text  # the context response is usable as /query's context


def test_grpc(chaozcode: ChorusProcess, chaozcode_channel: grpc.Channel) -> None:
    account = add_user(chaozcode)
    stub = memory_pb2_grpc.MemoryServiceStub(chaozcode_channel)
    meta = account.metadata
    stored = stub.StoreMemory(
        memory_pb2.StoreMemoryRequest(id="g1", content="Customer likes a black theme for the IDE", tags=["ui"]),
        metadata=meta,
    )
    assert stored.ok and stored.id == "g1"
    try:  # REST refuses NUL in any string; over gRPC the Memory Spine does (PostgreSQL text cannot hold it)
        stub.StoreMemory(memory_pb2.StoreMemoryRequest(id="nul", content="a\x00b"), metadata=meta)
        raise AssertionError("NUL was stored")
    except grpc.RpcError as exc:
        assert exc.code() == grpc.StatusCode.INVALID_ARGUMENT and error_info(exc).reason == "VALIDATION_ERROR"
        assert "NUL" in str(exc.details())
    assert (
        stub.UpdateMemory(memory_pb2.UpdateMemoryRequest(id="g1", importance="low"), metadata=meta).memory.version == 2
    )
    found = stub.SearchMemories(memory_pb2.SearchMemoriesRequest(query="user prefers dark mode"), metadata=meta)
    assert [r.id for r in found.results] == ["g1"] and found.total == 1
    assert len(stub.ListMemoryVersions(memory_pb2.ListMemoryVersionsRequest(id="g1"), metadata=meta).versions) == 2
    assert stub.GetMemoryStats(memory_pb2.GetMemoryStatsRequest(), metadata=meta).vector_count == 1
    context = stub.BuildMemoryContext(memory_pb2.BuildMemoryContextRequest(query="dark mode"), metadata=meta)
    assert [m.id for m in context.memories] == ["g1"]
    assert stub.DeleteMemory(memory_pb2.DeleteMemoryRequest(id="g1"), metadata=meta).deleted
    try:
        stub.GetMemory(memory_pb2.GetMemoryRequest(id="g1"), metadata=meta)
        raise AssertionError("a deleted memory was found")
    except grpc.RpcError as exc:
        assert exc.code() == grpc.StatusCode.NOT_FOUND and error_info(exc).reason == "NOT_FOUND"
    assert stub.RestoreMemory(memory_pb2.RestoreMemoryRequest(id="g1"), metadata=meta).memory.version == 2
    assert stub.GetMemory(memory_pb2.GetMemoryRequest(id="g1"), metadata=meta).memory.importance == "low"


def test_readonly_keys_read_but_do_not_write(chaozcode: ChorusProcess) -> None:
    account = add_user(chaozcode, key_type="readonly")
    with rest(chaozcode, account.key) as client:
        assert client.get("/memory/stats").status_code == 200
        refused = client.post("/memory/store", json={"id": "x", "content": "y"})
        assert refused.status_code == 403, refused.text
