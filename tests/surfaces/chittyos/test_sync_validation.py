"""Bad input to the Sync routes: a 400 in the ChittyOS envelope naming each problem, and no write."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.support.chittyos_sync import is_json, sync_client, unique
from tests.support.chorus_process import ChorusProcess


@pytest.fixture(scope="module")
def api(chittyos: ChorusProcess, mint_token: Callable[..., str]) -> Iterator[httpx.Client]:
    with sync_client(chittyos.rest_url, mint_token(["read", "write"])) as client:
        yield client


def _bad(response: httpx.Response, message: str) -> None:
    assert is_json(response, 400), response.text
    assert response.json() == {"error": "Invalid request", "message": message}


ID_RULE = "Must be 1-128 letters, digits or '-_.:@', starting with a letter or digit"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "id: Required"),
        ({"id": "has space"}, f"id: {ID_RULE}"),
        ({"id": "-leading"}, f"id: {ID_RULE}"),
        ({"id": "x" * 129}, f"id: {ID_RULE}"),
        ({"id": "ok", "name": "n" * 201}, "name: String must contain at most 200 character(s)"),
        ({"id": "ok", "metadata": "text"}, "metadata: Expected an object"),
        ({"id": "ok", "metadata": {"big": "x" * 70_000}}, "metadata: Must be at most 65536 bytes as JSON"),
        ({"id": "ok", "filesWorked": [""]}, "filesWorked.0: Required"),
        ({"id": "ok", "filesWorked": "a.js"}, "filesWorked: Expected an array"),
        ({"id": 7, "name": False}, "id: Expected string, received number; name: Expected string, received boolean"),
        ({"id": "ok", "owner": "me"}, 'owner: Unrecognized key "owner"'),
    ],
)
def test_bad_project_bodies(api: httpx.Client, body: dict[str, Any], message: str) -> None:
    _bad(api.post("/api/project", json=body), message)
    if isinstance(body.get("id"), str) and body["id"] == "ok":
        assert api.get("/api/project/ok").status_code == 404


def test_bad_project_update_writes_nothing(api: httpx.Client) -> None:
    project_id = unique("proj")
    assert api.post("/api/project", json={"id": project_id, "metadata": {"a": "1"}}).status_code == 201
    before = api.get(f"/api/project/{project_id}").json()
    _bad(api.put(f"/api/project/{project_id}", json={"name": "  "}), "name: Required")
    _bad(
        api.put(f"/api/project/{project_id}", json={"metadata": {"b": "x" * 70_000}}),
        "metadata: Must be at most 65536 bytes as JSON",
    )
    _bad(
        api.put(f"/api/project/{project_id}", json={"filesWorked": ["ok.js", "x" * 1025]}),
        ("filesWorked.1: String must contain at most 1024 character(s)"),
    )
    assert api.get(f"/api/project/{project_id}").json() == before


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "id: Required; projectId: Required; aiPlatform: Required"),
        (
            {"id": "s", "projectId": "p", "aiPlatform": "a" * 65},
            "aiPlatform: String must contain at most 64 character(s)",
        ),
        ({"id": "s", "projectId": "p p", "aiPlatform": "claude"}, f"projectId: {ID_RULE}"),
        (
            {"id": "s", "projectId": "p", "aiPlatform": "claude", "machineId": "m" * 129},
            ("machineId: String must contain at most 128 character(s)"),
        ),
        ({"id": "s", "projectId": "p", "aiPlatform": "claude", "active": True}, 'active: Unrecognized key "active"'),
    ],
)
def test_bad_session_bodies(api: httpx.Client, body: dict[str, Any], message: str) -> None:
    _bad(api.post("/api/session", json=body), message)


def test_bad_heartbeats(api: httpx.Client) -> None:
    session_id = unique("session")
    assert api.post("/api/session", json={"id": session_id, "projectId": "p", "aiPlatform": "c"}).status_code == 201
    _bad(api.put(f"/api/session/{session_id}", json={"active": "yes"}), "active: Expected boolean, received string")
    _bad(api.put(f"/api/session/{session_id}", json={"metadata": [1]}), "metadata: Expected an object")
    _bad(api.put("/api/session/bad%20id", json={}), f"sessionId: {ID_RULE}")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"content": "text"}, "id: Required"),
        ({"id": "c1"}, "content: Required"),
        ({"id": "c1", "content": "   "}, "content: Required"),
        (
            {"id": "c1", "content": "x", "confidence": 0.5},
            ("confidence: Only allowed with category: the classifier reports its own confidence"),
        ),
        ({"id": "c1", "category": "dev", "confidence": 1.5}, "confidence: Must be between 0 and 1"),
        (
            {"id": "c1", "category": "no spaces"},
            ("category: Must be 1-64 letters, digits, '-' or '_', starting with a letter or digit"),
        ),
        (
            {"id": "c1", "category": "dev", "subcategories": ["ok", "not ok"]},
            ("subcategories.1: Must be 1-64 letters, digits, '-' or '_', starting with a letter or digit"),
        ),
        ({"id": "c1", "category": "dev", "confidence": "high"}, 'confidence: Invalid number "high"'),
    ],
)
def test_bad_topic_bodies(api: httpx.Client, body: dict[str, Any], message: str) -> None:
    _bad(api.post("/api/topic", json=body), message)


def test_bad_path_ids(api: httpx.Client) -> None:
    _bad(api.get("/api/project/a%20b"), f"projectId: {ID_RULE}")
    _bad(api.get("/api/todos/a%2Fb"), f"projectId: {ID_RULE}")
    _bad(api.delete("/api/session/%F0%9F%98%80"), f"sessionId: {ID_RULE}")
    _bad(
        api.get("/api/topic/a.b"), "category: Must be 1-64 letters, digits, '-' or '_', starting with a letter or digit"
    )


def test_malformed_json_is_400(api: httpx.Client) -> None:
    response = api.post("/api/project", content=b'{"id": ', headers={"content-type": "application/json"})
    assert is_json(response, 400)
    assert response.json()["error"] == "Invalid request"
    assert response.json()["message"].startswith("Malformed JSON")
