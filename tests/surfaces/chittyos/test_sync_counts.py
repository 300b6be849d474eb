"""Exact counts and paging, on a private server whose store starts empty."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.chittyos_sync import is_json, private_server


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    data_dir: Path = tmp_path_factory.mktemp("sync-counts")
    with private_server(data_dir) as (_, client):
        yield client


def test_empty_store_status(api: httpx.Client) -> None:
    body = api.get("/api/status").json()
    assert {k: body[k] for k in ("projects", "sessions", "topics")} == {
        "projects": {"total": 0, "synced": 0},
        "sessions": {"total": 0, "active": 0},
        "topics": {"categories": 0, "total_conversations": 0},
    }


def test_lists_page_with_limit_and_offset_and_total_is_the_full_count(api: httpx.Client) -> None:
    ids = [f"page-{i}" for i in range(5)]
    for project_id in ids:
        assert api.post("/api/project", json={"id": project_id}).status_code == 201
        body = {"id": f"s-{project_id}", "projectId": project_id, "aiPlatform": "claude"}
        assert api.post("/api/session", json=body).status_code == 201
    projects = api.get("/api/project", params={"limit": 2, "offset": 1}).json()
    assert [p["id"] for p in projects["projects"]] == ids[1:3] and projects["total"] == 5
    assert [p["id"] for p in api.get("/api/project").json()["projects"]] == ids  # default limit 100
    beyond = api.get("/api/project", params={"offset": 5}).json()
    assert beyond["projects"] == [] and beyond["total"] == 5
    sessions = api.get("/api/session", params={"limit": 3, "offset": 3}).json()
    assert [s["sessionId"] for s in sessions["sessions"]] == ["s-page-3", "s-page-4"]
    assert (sessions["total"], sessions["active"]) == (5, 5)
    todos = api.get("/api/todos", params={"limit": 1}).json()
    assert [p["projectId"] for p in todos["projects"]] == ["page-0"] and todos["total"] == 5


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=0", "limit: Must be between 1 and 1000"),
        ("limit=1001", "limit: Must be between 1 and 1000"),
        ("offset=-1", "offset: Must be 0 or more"),
        ("limit=ten", 'limit: Invalid integer "ten"'),
        ("sort=name", 'sort: Unrecognized key "sort"'),
    ],
)
@pytest.mark.parametrize("path", ["/api/project", "/api/session", "/api/topic", "/api/todos", "/api/topic/general"])
def test_bad_paging_is_400(api: httpx.Client, path: str, query: str, message: str) -> None:
    response = api.get(f"{path}?{query}")
    assert is_json(response, 400)
    assert response.json() == {"error": "Invalid request", "message": message}


@pytest.fixture(scope="module")
def conversations(api: httpx.Client) -> None:
    """Two classified as development, one filed under business: the module's only topics."""
    for index, (content, category) in enumerate(
        [("the api endpoint", ""), ("css and react component bug", ""), ("quarterly revenue", "business")]
    ):
        topic = {"id": f"conv-{index}", "content": content, **({"category": category} if category else {})}
        assert api.post("/api/topic", json=topic).status_code == 201


def test_status_counts_synced_projects_sessions_and_topics(api: httpx.Client, conversations: None) -> None:
    before = api.get("/api/status").json()
    assert api.post("/api/project", json={"id": "counted"}).status_code == 201
    body = {"id": "counter", "projectId": "counted", "aiPlatform": "claude"}
    assert api.post("/api/session", json=body).status_code == 201
    after_create = api.get("/api/status").json()
    assert after_create["projects"]["total"] == before["projects"]["total"] + 1
    assert after_create["projects"]["synced"] == before["projects"]["synced"]  # no todos written yet
    sync = {"sessionId": "counter", "todos": [{"content": "T", "status": "pending"}]}
    assert api.put("/api/todos/counted/sync", json=sync).status_code == 200
    after_sync = api.get("/api/status").json()
    assert after_sync["projects"]["synced"] == before["projects"]["synced"] + 1
    assert after_sync["sessions"]["total"] == before["sessions"]["total"] + 1
    assert after_sync["topics"] == {"categories": 2, "total_conversations": 3}


def test_topic_aggregates_per_category(api: httpx.Client, conversations: None) -> None:
    listed = api.get("/api/topic").json()
    by_category = {t["category"]: t for t in listed["topics"]}
    assert listed["total"] == 2 and [t["category"] for t in listed["topics"]] == ["development", "business"]
    development = api.get("/api/topic/development").json()
    confidences = [c["confidence"] for c in development["conversations"]]
    assert by_category["development"]["count"] == development["count"] == 2
    assert by_category["development"]["avgConfidence"] == round(sum(confidences) / 2, 4)
    assert by_category["development"]["lastUpdated"] == max(c["categorized"] for c in development["conversations"])
    assert by_category["business"] == {
        "category": "business",
        "count": 1,
        "avgConfidence": 1.0,
        "lastUpdated": api.get("/api/topic/business").json()["conversations"][0]["categorized"],
    }
    assert [t["category"] for t in api.get("/api/topic", params={"offset": 1}).json()["topics"]] == ["business"]
    # Category names are matched lower-cased.
    assert api.get("/api/topic/Development").json()["count"] == 2
