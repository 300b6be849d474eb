"""Sync service over REST: every route's status, content type and exact JSON keys, on both hosts."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.support.chittyos_sync import (
    CONVERSATION_KEYS,
    CREATE_PROJECT_KEYS,
    CREATE_SESSION_KEYS,
    CREATE_TOPIC_KEYS,
    CREATED_CONVERSATION_KEYS,
    CREATED_PROJECT_KEYS,
    CREATED_SESSION_KEYS,
    DELETE_PROJECT_KEYS,
    END_SESSION_KEYS,
    HEARTBEAT_KEYS,
    ISO_MS,
    PROJECT_KEYS,
    PROJECT_LIST_KEYS,
    PROJECT_SUMMARY_KEYS,
    REPLACE_TODOS_KEYS,
    SESSION_KEYS,
    SESSION_LIST_KEYS,
    SESSION_SUMMARY_KEYS,
    STATUS_KEYS,
    SYNC_TODOS_KEYS,
    TODO_KEYS,
    TODO_LIST_KEYS,
    TODO_SUMMARY_KEYS,
    TODOS_KEYS,
    TOPIC_KEYS,
    TOPIC_LIST_KEYS,
    TOPIC_SUMMARY_KEYS,
    is_json,
    sync_client,
    unique,
)
from tests.support.chorus_process import ChorusProcess
from tests.surfaces.chittyos.conftest import HOSTS

DOCUMENTED_HEALTH = {
    "service": "sync",
    "status": "healthy",
    "version": "2.0.0",
    "architecture": "Platform Integration Hub",
    "platforms": ["neon", "notion", "github", "drive", "cloudflare", "local"],
    "resources": ["project", "session", "topic", "todos", "orchestration"],
    "endpoints": {
        "platforms": {
            "neon": "/neon",
            "notion": "/notion",
            "github": "/github",
            "drive": "/drive",
            "cloudflare": "/cloudflare",
            "local": "/local",
        },
        "resources": {
            "project": "/api/project",
            "session": "/api/session",
            "topic": "/api/topic",
            "todos": "/api/todos",
            "orchestrate": "/api/orchestrate",
            "status": "/api/status",
        },
    },
}


@pytest.fixture(scope="module", params=["api", "sync"])
def client(
    request: pytest.FixtureRequest, chittyos: ChorusProcess, mint_token: Callable[..., str]
) -> Iterator[httpx.Client]:
    """A read+write client on `api.*`, then on `sync.*`: every test runs on both hosts."""
    with sync_client(chittyos.rest_url, mint_token(["read", "write"]), HOSTS[request.param]) as c:
        yield c


def _project(client: httpx.Client, **extra: object) -> str:
    project_id = unique("proj")
    response = client.post("/api/project", json={"id": project_id, **extra})
    assert response.status_code == 201, response.text
    return project_id


def _session(client: httpx.Client, project_id: str = "my-project") -> str:
    session_id = unique("session")
    body = {"id": session_id, "projectId": project_id, "aiPlatform": "claude"}
    assert client.post("/api/session", json=body).status_code == 201
    return session_id


def test_health_is_the_documented_body_without_a_token(chittyos: ChorusProcess) -> None:
    for host in (HOSTS["sync"], HOSTS["api"]):
        response = httpx.get(chittyos.rest_url + "/health", headers={"host": host})
        assert is_json(response, 200)
        assert response.json() == DOCUMENTED_HEALTH


def test_status_counts_shape(client: httpx.Client) -> None:
    response = client.get("/api/status")
    assert is_json(response, 200)
    body = response.json()
    assert set(body) == STATUS_KEYS
    assert (body["service"], body["version"]) == ("sync", "2.0.0")
    assert ISO_MS.fullmatch(body["timestamp"])
    assert set(body["projects"]) == {"total", "synced"}
    assert set(body["sessions"]) == {"total", "active"}
    assert set(body["topics"]) == {"categories", "total_conversations"}


def test_project_create_get_list_update_delete(client: httpx.Client) -> None:
    project_id = unique("proj")
    created = client.post(
        "/api/project",
        json={"id": project_id, "name": "My Project", "metadata": {"description": "Project description"}},
    )
    assert is_json(created, 201)
    body = created.json()
    assert set(body) == CREATE_PROJECT_KEYS and set(body["project"]) == CREATED_PROJECT_KEYS
    assert body["success"] is True and body["created"] is True and body["servicesRegistered"] is False
    assert body["project"]["id"] == project_id and body["project"]["name"] == "My Project"
    assert body["project"]["syncedToGitHub"] is False and ISO_MS.fullmatch(body["project"]["lastSync"])

    got = client.get(f"/api/project/{project_id}")
    assert is_json(got, 200)
    project = got.json()
    assert set(project) == PROJECT_KEYS
    assert project == {
        "id": project_id,
        "name": "My Project",
        "lastSync": body["project"]["lastSync"],
        "filesWorked": [],
        "consolidatedTodos": [],
        "fromGitHub": False,
        "metadata": {"description": "Project description"},
    }

    listed = client.get("/api/project", params={"limit": 1000})
    assert is_json(listed, 200)
    page = listed.json()
    assert set(page) == PROJECT_LIST_KEYS and ISO_MS.fullmatch(page["timestamp"])
    mine = [p for p in page["projects"] if p["id"] == project_id]
    assert len(mine) == 1 and set(mine[0]) == PROJECT_SUMMARY_KEYS
    assert page["total"] >= len(page["projects"])

    updated = client.put(
        f"/api/project/{project_id}",
        json={"metadata": {"updated": "2025-10-04T06:00:00.000Z"}, "filesWorked": ["file1.js", "file2.js"]},
    )
    assert is_json(updated, 200)
    after = updated.json()
    assert set(after) == {"success", "project"} and after["success"] is True
    assert set(after["project"]) == PROJECT_KEYS
    assert after["project"]["metadata"] == {"description": "Project description", "updated": "2025-10-04T06:00:00.000Z"}
    assert after["project"]["filesWorked"] == ["file1.js", "file2.js"]
    assert after["project"]["lastSync"] >= project["lastSync"]

    deleted = client.delete(f"/api/project/{project_id}")
    assert is_json(deleted, 200)
    assert deleted.json() == {
        "success": True,
        "deleted": project_id,
        "note": "Project removed from sync index (GitHub data preserved)",
    }
    assert set(deleted.json()) == DELETE_PROJECT_KEYS
    assert client.get(f"/api/project/{project_id}").status_code == 404


def test_project_update_merges_metadata_files_and_name(client: httpx.Client) -> None:
    project_id = _project(client, metadata={"a": {"x": "1", "y": "2"}, "keep": True}, filesWorked=["a.js"])
    response = client.put(
        f"/api/project/{project_id}",
        json={"metadata": {"a": {"y": None, "z": "3"}, "keep": None}, "filesWorked": ["b.js", "a.js", "b.js"]},
    )
    project = response.json()["project"]
    assert project["metadata"] == {"a": {"x": "1", "z": "3"}}
    assert project["filesWorked"] == ["a.js", "b.js"]
    assert project["name"] == project_id  # name defaults to the id
    renamed = client.put(f"/api/project/{project_id}", json={"name": "Renamed"}).json()["project"]
    assert renamed["name"] == "Renamed" and renamed["metadata"] == {"a": {"x": "1", "z": "3"}}


def test_project_conflict_and_not_found_bodies(client: httpx.Client) -> None:
    project_id = _project(client)
    again = client.post("/api/project", json={"id": project_id, "name": "Other"})
    assert is_json(again, 409)
    assert again.json() == {
        "error": "Project already exists",
        "message": f"A project with id {project_id} already exists",
        "projectId": project_id,
    }
    assert client.get(f"/api/project/{project_id}").json()["name"] == project_id  # untouched
    missing = unique("nope")
    for response in (
        client.get(f"/api/project/{missing}"),
        client.put(f"/api/project/{missing}", json={"metadata": {}}),
        client.delete(f"/api/project/{missing}"),
        client.get(f"/api/todos/{missing}"),
        client.post(f"/api/todos/{missing}", json={"todos": []}),
    ):
        assert is_json(response, 404)
        assert response.json() == {
            "error": "Project not found",
            "message": "Project doesn't exist",
            "projectId": missing,
        }


def test_session_register_get_list_heartbeat_end(client: httpx.Client) -> None:
    session_id = unique("session")
    created = client.post(
        "/api/session",
        json={
            "id": session_id,
            "projectId": "my-project",
            "aiPlatform": "claude",
            "machineId": "machine-456",
            "metadata": {"user": "user@example.com"},
        },
    )
    assert is_json(created, 201)
    body = created.json()
    assert set(body) == CREATE_SESSION_KEYS and set(body["session"]) == CREATED_SESSION_KEYS
    assert body["success"] is True
    session = body["session"]
    assert (session["id"], session["projectId"], session["aiPlatform"], session["active"]) == (
        session_id,
        "my-project",
        "claude",
        True,
    )
    assert ISO_MS.fullmatch(session["created"])

    got = client.get(f"/api/session/{session_id}")
    assert is_json(got, 200)
    assert got.json() == {
        "sessionId": session_id,
        "projectId": "my-project",
        "aiPlatform": "claude",
        "active": True,
        "created": session["created"],
        "lastActivity": session["created"],
        "machineId": "machine-456",
        "metadata": {"user": "user@example.com"},
    }

    listed = client.get("/api/session", params={"limit": 1000})
    assert is_json(listed, 200)
    page = listed.json()
    assert set(page) == SESSION_LIST_KEYS and ISO_MS.fullmatch(page["timestamp"])
    mine = [s for s in page["sessions"] if s["sessionId"] == session_id]
    assert len(mine) == 1 and set(mine[0]) == SESSION_SUMMARY_KEYS and mine[0]["active"] is True
    assert page["total"] >= page["active"] >= 1

    beat = client.put(f"/api/session/{session_id}", json={"active": True, "metadata": {"branch": "main"}})
    assert is_json(beat, 200)
    assert set(beat.json()) == HEARTBEAT_KEYS
    assert beat.json()["note"] == "Sessions auto-update via heartbeat mechanism"
    assert beat.json()["sessionId"] == session_id
    after = client.get(f"/api/session/{session_id}").json()
    assert after["lastActivity"] == beat.json()["updated"]
    assert after["metadata"] == {"user": "user@example.com", "branch": "main"}

    ended = client.delete(f"/api/session/{session_id}")
    assert is_json(ended, 200)
    assert set(ended.json()) == END_SESSION_KEYS and ended.json()["success"] is True
    assert ISO_MS.fullmatch(ended.json()["ended"])
    final = client.get(f"/api/session/{session_id}").json()
    assert set(final) == SESSION_KEYS | {"ended"}
    assert final["ended"] == ended.json()["ended"] and final["active"] is False
    # Ending again answers the first end; a heartbeat cannot revive it.
    assert client.delete(f"/api/session/{session_id}").json()["ended"] == ended.json()["ended"]
    revived = client.put(f"/api/session/{session_id}", json={"active": True})
    assert is_json(revived, 400)
    assert revived.json() == {
        "error": "Session ended",
        "message": "This session was ended; register a new one",
        "sessionId": session_id,
    }


def test_session_conflict_and_not_found_bodies(client: httpx.Client) -> None:
    session_id = _session(client)
    again = client.post("/api/session", json={"id": session_id, "projectId": "x", "aiPlatform": "gpt"})
    assert is_json(again, 409)
    assert again.json() == {
        "error": "Session already exists",
        "message": f"A session with id {session_id} already exists",
        "sessionId": session_id,
    }
    assert client.get(f"/api/session/{session_id}").json()["projectId"] == "my-project"
    missing = unique("session")
    for response in (
        client.get(f"/api/session/{missing}"),
        client.put(f"/api/session/{missing}", json={}),
        client.delete(f"/api/session/{missing}"),
    ):
        assert is_json(response, 404)
        assert response.json() == {
            "error": "Session not found",
            "message": "Session doesn't exist",
            "sessionId": missing,
        }


def test_topic_create_classified_and_given(client: httpx.Client) -> None:
    given_id = unique("conv")
    category = unique("cat")
    created = client.post(
        "/api/topic",
        json={
            "id": given_id,
            "content": "Full   conversation\ntext...",
            "file": "conversation.json",
            "category": category,
            "subcategories": ["api", "backend"],
            "confidence": 0.9,
        },
    )
    assert is_json(created, 201)
    body = created.json()
    assert set(body) == CREATE_TOPIC_KEYS and set(body["conversation"]) == CREATED_CONVERSATION_KEYS
    assert body["success"] is True
    conversation = body["conversation"]
    assert (
        conversation["id"],
        conversation["category"],
        conversation["subcategories"],
        conversation["confidence"],
    ) == (
        given_id,
        category,
        ["api", "backend"],
        0.9,
    )

    classified = client.post(
        "/api/topic", json={"id": unique("conv"), "content": "Deploy the docker container to kubernetes"}
    )
    assert is_json(classified, 201)
    assert classified.json()["conversation"]["category"] == "infrastructure"
    assert classified.json()["conversation"]["subcategories"] == ["containers", "deployment"]
    assert classified.json()["conversation"]["confidence"] == 0.8

    listed = client.get(f"/api/topic/{category}")
    assert is_json(listed, 200)
    page = listed.json()
    assert set(page) == TOPIC_KEYS and page["category"] == category and page["count"] == 1
    assert len(page["conversations"]) == 1 and set(page["conversations"][0]) == CONVERSATION_KEYS
    stored = page["conversations"][0]
    assert stored["content_preview"] == "Full conversation text..."
    assert stored["file"] == "conversation.json" and stored["categorized"] == conversation["categorized"]

    topics = client.get("/api/topic", params={"limit": 1000})
    assert is_json(topics, 200)
    summary = topics.json()
    assert set(summary) == TOPIC_LIST_KEYS and ISO_MS.fullmatch(summary["timestamp"])
    mine = [t for t in summary["topics"] if t["category"] == category]
    assert mine == [
        {"category": category, "count": 1, "avgConfidence": 0.9, "lastUpdated": conversation["categorized"]}
    ]
    assert all(set(t) == TOPIC_SUMMARY_KEYS for t in summary["topics"])

    duplicate = client.post("/api/topic", json={"id": given_id, "category": "design"})
    assert is_json(duplicate, 409)
    assert duplicate.json()["error"] == "Conversation already exists"


def test_unknown_category_is_an_empty_page(client: httpx.Client) -> None:
    category = unique("empty")
    response = client.get(f"/api/topic/{category}")
    assert is_json(response, 200)
    assert response.json() == {"category": category, "conversations": [], "count": 0}


def test_todo_routes_shapes(client: httpx.Client) -> None:
    project_id = _project(client)
    session_id = _session(client, project_id)
    replaced = client.post(
        f"/api/todos/{project_id}",
        json={"todos": [{"content": "Fix authentication bug", "status": "completed", "activeForm": "Fixed it"}]},
    )
    assert is_json(replaced, 200)
    body = replaced.json()
    assert set(body) == REPLACE_TODOS_KEYS and body["success"] is True and body["githubSynced"] is False
    assert [set(t) for t in body["todos"]] == [TODO_KEYS]

    synced = client.put(
        f"/api/todos/{project_id}/sync",
        json={
            "sessionId": session_id,
            "todos": [{"content": "Write tests", "status": "pending", "activeForm": "Writing"}],
        },
    )
    assert is_json(synced, 200)
    merge = synced.json()
    assert set(merge) == SYNC_TODOS_KEYS
    assert (merge["projectId"], merge["sessionId"], merge["totalTodos"], merge["added"], merge["updated"]) == (
        project_id,
        session_id,
        2,
        1,
        0,
    )

    got = client.get(f"/api/todos/{project_id}")
    assert is_json(got, 200)
    todos = got.json()
    assert set(todos) == TODOS_KEYS and todos["sessions"] == [session_id]
    assert todos["todos"] == merge["todos"] and todos["lastSync"] == merge["lastSync"]

    summary = client.get("/api/todos", params={"limit": 1000})
    assert is_json(summary, 200)
    page = summary.json()
    assert set(page) == TODO_LIST_KEYS and ISO_MS.fullmatch(page["timestamp"])
    mine = [p for p in page["projects"] if p["projectId"] == project_id]
    assert mine == [
        {
            "projectId": project_id,
            "todoCount": 2,
            "lastSync": merge["lastSync"],
            "sessions": 1,
            "pendingTodos": 1,
            "inProgressTodos": 0,
            "completedTodos": 1,
        }
    ]
    assert set(mine[0]) == TODO_SUMMARY_KEYS
    # consolidatedTodos are the same rows.
    assert client.get(f"/api/project/{project_id}").json()["consolidatedTodos"] == todos["todos"]


@pytest.mark.parametrize("platform", ["neon", "notion", "github", "drive", "cloudflare"])
def test_platform_endpoints_are_not_configured(client: httpx.Client, platform: str) -> None:
    expected = {
        "error": "Platform not configured",
        "message": f"The {platform} integration is not configured on this server",
        "platform": platform,
    }
    for response in (client.get(f"/{platform}"), client.post(f"/{platform}", json={"any": ["json"]})):
        assert is_json(response, 501)
        assert response.json() == expected
    wrong = client.put(f"/{platform}")
    assert is_json(wrong, 405)
    assert wrong.headers["allow"] == "GET, HEAD, POST"
    assert wrong.json() == {"error": "Method not allowed", "message": "Allowed methods: GET, HEAD, POST"}


def test_local_sync_needs_a_local_runtime(client: httpx.Client) -> None:
    for response in (client.get("/local"), client.post("/local")):
        assert is_json(response, 501)
        assert response.json() == {
            "error": "Local sync unavailable",
            "message": "Requires Node.js runtime: local sync reads Claude files on the client's machine",
            "platform": "local",
        }
    assert client.delete("/local").status_code == 405


def test_orchestration_needs_a_local_runtime(client: httpx.Client) -> None:
    for response in (client.get("/api/orchestrate"), client.post("/api/orchestrate", json={"sessions": []})):
        assert is_json(response, 501)
        assert response.json() == {
            "error": "Todo orchestration unavailable",
            "message": "Requires Node.js runtime: orchestration reads the sessions' files on the client's machine",
        }


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PATCH", "/api/project"),
        ("POST", "/api/project/x"),
        ("PUT", "/api/session"),
        ("POST", "/api/todos"),
        ("DELETE", "/api/topic"),
        ("GET", "/api/todos/x/sync"),
        ("POST", "/api/status"),
    ],
)
def test_wrong_method_is_405(client: httpx.Client, method: str, path: str) -> None:
    response = client.request(method, path)
    assert is_json(response, 405)
    assert response.json()["error"] == "Method not allowed"


def test_cross_session_example_on_the_api_host(chittyos: ChorusProcess, mint_token: Callable[..., str]) -> None:
    """The document's "Cross-session sync" example, step by step, on api.*."""
    session_id, project_id = unique("session-abc123"), unique("my-app")
    with sync_client(chittyos.rest_url, mint_token(["read", "write"]), HOSTS["api"]) as api:
        registered = api.post(
            "/api/session",
            json={"id": session_id, "projectId": project_id, "aiPlatform": "claude", "machineId": "mac-456"},
        )
        assert is_json(registered, 201) and registered.json()["session"]["projectId"] == project_id
        created = api.post("/api/project", json={"id": project_id, "name": "My Application"})
        assert is_json(created, 201) and created.json()["project"]["name"] == "My Application"
        synced = api.put(
            f"/api/todos/{project_id}/sync",
            json={
                "sessionId": session_id,
                "todos": [{"content": "Fix login bug", "status": "in_progress", "activeForm": "Fixing login bug"}],
            },
        )
        assert is_json(synced, 200)
        assert (synced.json()["added"], synced.json()["updated"], synced.json()["totalTodos"]) == (1, 0, 1)
        unified = api.get(f"/api/todos/{project_id}")
        assert is_json(unified, 200)
        body = unified.json()
        assert body["sessions"] == [session_id]
        [todo] = body["todos"]
        assert {k: todo[k] for k in ("content", "status", "activeForm", "addedBy")} == {
            "content": "Fix login bug",
            "status": "in_progress",
            "activeForm": "Fixing login bug",
            "addedBy": session_id,
        }
        assert ISO_MS.fullmatch(todo["addedAt"])
        ended = api.delete(f"/api/session/{session_id}")
        assert is_json(ended, 200) and ended.json()["sessionId"] == session_id
        assert api.get(f"/api/session/{session_id}").json()["active"] is False
