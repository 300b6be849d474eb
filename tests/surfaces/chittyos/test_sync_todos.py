"""Unified todos: replace, merge by content, exact counts, and concurrent syncs that lose nothing."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.support.chittyos_sync import is_json, sync_client, unique
from tests.support.chorus_process import ChorusProcess
from tests.surfaces.chittyos.conftest import HOSTS


@pytest.fixture(scope="module")
def token(mint_token: Callable[..., str]) -> str:
    return mint_token(["read", "write"])


@pytest.fixture(scope="module")
def api(chittyos: ChorusProcess, token: str) -> Iterator[httpx.Client]:
    with sync_client(chittyos.rest_url, token) as client:
        yield client


def _setup(api: httpx.Client, sessions: int = 1) -> tuple[str, list[str]]:
    project_id = unique("proj")
    assert api.post("/api/project", json={"id": project_id}).status_code == 201
    ids = []
    for _ in range(sessions):
        session_id = unique("session")
        body = {"id": session_id, "projectId": project_id, "aiPlatform": "claude"}
        assert api.post("/api/session", json=body).status_code == 201
        ids.append(session_id)
    return project_id, ids


def _todo(content: str, status: str = "pending", active_form: str | None = None) -> dict[str, str]:
    todo = {"content": content, "status": status}
    if active_form is not None:
        todo["activeForm"] = active_form
    return todo


def _sync(api: httpx.Client, project_id: str, session_id: str, todos: list[dict[str, str]]) -> dict[str, Any]:
    response = api.put(f"/api/todos/{project_id}/sync", json={"sessionId": session_id, "todos": todos})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_sync_merges_by_content_and_reports_exact_counts(api: httpx.Client) -> None:
    project_id, (first, second) = _setup(api, sessions=2)
    one = _sync(api, project_id, first, [_todo("A", "pending", "Doing A"), _todo("B", "in_progress", "Doing B")])
    assert (one["added"], one["updated"], one["totalTodos"]) == (2, 0, 2)
    assert [t["addedBy"] for t in one["todos"]] == [first, first]

    # The second session: B changes status, A is the same, C is new; activeForm left out keeps B's.
    two = _sync(api, project_id, second, [_todo("A", "pending", "Doing A"), _todo("B", "completed"), _todo("C")])
    assert (two["added"], two["updated"], two["totalTodos"]) == (1, 1, 3)
    by_content = {t["content"]: t for t in two["todos"]}
    assert [t["content"] for t in two["todos"]] == ["A", "B", "C"]
    assert by_content["B"] == {**one["todos"][1], "status": "completed"}  # addedBy/addedAt/activeForm kept
    assert by_content["C"]["addedBy"] == second and by_content["C"]["activeForm"] == ""
    # Changing only activeForm is an update too; repeating the same todos is not.
    three = _sync(api, project_id, first, [_todo("C", "pending", "Doing C")])
    assert (three["added"], three["updated"]) == (0, 1)
    four = _sync(api, project_id, first, [_todo("C", "pending", "Doing C")])
    assert (four["added"], four["updated"], four["totalTodos"]) == (0, 0, 3)

    unified = api.get(f"/api/todos/{project_id}").json()
    assert unified["sessions"] == [first, second]
    assert unified["todos"] == four["todos"]


def test_replace_sets_the_list_and_keeps_provenance_of_known_todos(api: httpx.Client) -> None:
    project_id, (session_id,) = _setup(api)
    synced = _sync(api, project_id, session_id, [_todo("Keep", "pending", "Keeping"), _todo("Drop")])
    kept_before = synced["todos"][0]
    replaced = api.post(
        f"/api/todos/{project_id}", json={"todos": [_todo("New", "completed", "Done"), _todo("Keep", "in_progress")]}
    )
    assert replaced.status_code == 200
    todos = replaced.json()["todos"]
    assert [t["content"] for t in todos] == ["New", "Keep"]
    assert todos[1] == {**kept_before, "status": "in_progress"}
    assert todos[0]["addedBy"] == "" and todos[0]["activeForm"] == "Done"
    assert api.get(f"/api/todos/{project_id}").json()["todos"] == todos
    # An empty list clears it; the contributing sessions stay on record.
    cleared = api.post(f"/api/todos/{project_id}", json={"todos": []}).json()
    assert cleared["todos"] == []
    assert api.get(f"/api/todos/{project_id}").json()["sessions"] == [session_id]


def test_replace_by_a_session_records_it(api: httpx.Client) -> None:
    project_id, (session_id,) = _setup(api)
    response = api.post(f"/api/todos/{project_id}", json={"sessionId": session_id, "todos": [_todo("X")]})
    assert response.json()["todos"][0]["addedBy"] == session_id
    assert api.get(f"/api/todos/{project_id}").json()["sessions"] == [session_id]


def test_sync_needs_a_registered_live_session(api: httpx.Client) -> None:
    project_id, (session_id,) = _setup(api)
    missing = unique("session")
    unknown = api.put(f"/api/todos/{project_id}/sync", json={"sessionId": missing, "todos": [_todo("A")]})
    assert is_json(unknown, 404)
    assert unknown.json() == {"error": "Session not found", "message": "Session doesn't exist", "sessionId": missing}
    assert api.delete(f"/api/session/{session_id}").status_code == 200
    ended = api.put(f"/api/todos/{project_id}/sync", json={"sessionId": session_id, "todos": [_todo("A")]})
    assert is_json(ended, 400)
    assert ended.json()["error"] == "Session ended"
    # Nothing was written by the refused syncs, not even the project's sync time.
    unified = api.get(f"/api/todos/{project_id}").json()
    assert unified["todos"] == [] and unified["sessions"] == []
    status = api.get("/api/todos", params={"limit": 1000}).json()
    assert [p["todoCount"] for p in status["projects"] if p["projectId"] == project_id] == [0]


def test_sync_for_an_unknown_project_is_404_and_creates_nothing(api: httpx.Client) -> None:
    _, (session_id,) = _setup(api)
    project_id = unique("proj")
    response = api.put(f"/api/todos/{project_id}/sync", json={"sessionId": session_id, "todos": [_todo("A")]})
    assert is_json(response, 404)
    assert response.json() == {
        "error": "Project not found",
        "message": "Project doesn't exist",
        "projectId": project_id,
    }
    assert api.get(f"/api/project/{project_id}").status_code == 404


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"todos": [_todo("A")]}, "sessionId: Required"),
        ({"sessionId": "s", "todos": [{"content": "A", "status": "done"}]}, "todos.0.status: Must be one of"),
        ({"sessionId": "s", "todos": [{"content": "A"}]}, "todos.0.status: Must be one of"),
        ({"sessionId": "s", "todos": [{"content": "", "status": "pending"}]}, "todos.0.content: Required"),
        ({"sessionId": "s", "todos": [_todo("A"), _todo("A")]}, "todos.1.content: Duplicate content"),
        ({"sessionId": "s", "todos": [_todo("x" * 501)]}, "todos.0.content: String must contain at most 500"),
        ({"sessionId": "bad id!", "todos": []}, "sessionId: Must be 1-128 letters"),
        ({"sessionId": "s", "todos": "nope"}, "todos: Expected an array"),
        ({"sessionId": "s", "todos": [{"content": 1, "status": "pending"}]}, "todos.0.content: Expected string"),
        ({"sessionId": "s", "todos": [], "extra": 1}, 'extra: Unrecognized key "extra"'),
    ],
)
def test_bad_sync_bodies_are_400_and_write_nothing(api: httpx.Client, body: dict[str, Any], message: str) -> None:
    project_id, (session_id,) = _setup(api)
    _sync(api, project_id, session_id, [_todo("Existing")])
    before = api.get(f"/api/todos/{project_id}").json()
    response = api.put(f"/api/todos/{project_id}/sync", json=body)
    assert is_json(response, 400)
    assert response.json()["error"] == "Invalid request"
    assert message in response.json()["message"]
    assert api.get(f"/api/todos/{project_id}").json() == before


@pytest.mark.parametrize("body", [{}, {"sessionId": ""}, {"todos": None}])
def test_a_replace_without_todos_is_400_and_keeps_the_list(api: httpx.Client, body: dict[str, Any]) -> None:
    """Only an explicit `[]` clears the list: a body that leaves `todos` out (or null) is refused."""
    project_id, (session_id,) = _setup(api)
    _sync(api, project_id, session_id, [_todo("Existing")])
    before = api.get(f"/api/todos/{project_id}").json()
    response = api.post(f"/api/todos/{project_id}", json=body)
    assert is_json(response, 400)
    assert response.json() == {"error": "Invalid request", "message": "todos: Required"}
    assert api.get(f"/api/todos/{project_id}").json() == before


def test_one_bad_todo_rejects_the_whole_replace(api: httpx.Client) -> None:
    project_id, (session_id,) = _setup(api)
    _sync(api, project_id, session_id, [_todo("Existing")])
    before = api.get(f"/api/todos/{project_id}").json()
    response = api.post(f"/api/todos/{project_id}", json={"todos": [_todo("Fine"), _todo("Bad", "later")]})
    assert is_json(response, 400)
    assert response.json()["message"] == "todos.1.status: Must be one of: pending, in_progress, completed"
    assert api.get(f"/api/todos/{project_id}").json() == before


async def test_concurrent_syncs_from_two_sessions_lose_nothing(chittyos: ChorusProcess, token: str) -> None:
    """Forty syncs at once: each adds its own todo, and all of them set a shared one's status."""
    with sync_client(chittyos.rest_url, token) as setup:
        project_id, sessions = _setup(setup, sessions=2)
    per_session = 20
    headers = {"host": HOSTS["api"], "authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=chittyos.rest_url, headers=headers, timeout=60) as client:

        async def sync(session_id: str, index: int) -> dict[str, Any]:
            shared = "pending" if index % 2 else "in_progress"
            todos = [_todo(f"{session_id} task {index}"), _todo("Shared", shared)]
            response = await client.put(f"/api/todos/{project_id}/sync", json={"sessionId": session_id, "todos": todos})
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            assert next(t["status"] for t in body["todos"] if t["content"] == "Shared") == shared
            return body

        results = await asyncio.gather(*(sync(s, i) for i in range(per_session) for s in sessions))
        unified = (await client.get(f"/api/todos/{project_id}")).json()

    expected = {f"{s} task {i}" for s in sessions for i in range(per_session)} | {"Shared"}
    assert {t["content"] for t in unified["todos"]} == expected
    assert sorted(unified["sessions"]) == sorted(sessions)
    for todo in unified["todos"]:
        if todo["content"] != "Shared":
            assert todo["content"].startswith(todo["addedBy"] + " task ")
    # Each sync saw the list the previous one left: the totals are 2, 3, ..., 41, once each.
    ordered = sorted(results, key=lambda r: r["totalTodos"])
    assert [r["totalTodos"] for r in ordered] == list(range(2, len(expected) + 1))
    assert [r["added"] for r in ordered] == [2] + [1] * (len(ordered) - 1)
    assert all(r["totalTodos"] == len(r["todos"]) for r in ordered)

    # "updated" is exact: 1 when a sync flipped the status the previous sync had left.
    def shared_status(result: dict[str, Any]) -> str:
        return str(next(t["status"] for t in result["todos"] if t["content"] == "Shared"))

    assert ordered[0]["updated"] == 0
    for previous, current in itertools.pairwise(ordered):
        assert current["updated"] == int(shared_status(current) != shared_status(previous))
    assert shared_status(ordered[-1]) == next(t["status"] for t in unified["todos"] if t["content"] == "Shared")
