"""/api/tasks over REST: create, filter, page, partial update, delete, and other users' tasks."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.envelopes import assert_error
from tests.support.mcos_rest import create_task
from tests.surfaces.mcos.conftest import User

TASK_KEYS = {"id", "title", "status", "priority", "tags", "created_at", "updated_at"}
RFC3339_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")


def list_tasks(user: User, **params: Any) -> dict[str, Any]:
    response = user.rest.get("/api/tasks", params=params)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def titles(page: dict[str, Any]) -> list[str]:
    return [t["title"] for t in page["tasks"]]


def patch(user: User, task_id: str, body: Any) -> dict[str, Any]:
    response = user.rest.patch(f"/api/tasks/{task_id}", json=body)
    assert response.status_code == 200, response.text
    task: dict[str, Any] = response.json()
    return task


def issue_paths(error: dict[str, Any]) -> list[list[Any]]:
    return [issue["path"] for issue in error["details"]["issues"]]


def test_create_returns_201_with_the_task(user: Callable[..., User]) -> None:
    person = user()
    response = person.rest.post(
        "/api/tasks",
        json={
            "title": "  Send budget report  ",
            "due": "2025-11-25T17:00:00Z",
            "priority": "high",
            "tags": ["finance"],
        },
    )
    assert response.status_code == 201, response.text
    assert response.headers["x-correlation-id"]
    task = response.json()
    assert set(task) == TASK_KEYS | {"due"}
    assert re.fullmatch(r"task_[0-9a-f]{24}", task["id"])
    assert task["title"] == "Send budget report"
    assert (task["status"], task["priority"], task["tags"]) == ("open", "high", ["finance"])
    assert task["due"] == "2025-11-25T17:00:00Z"
    assert RFC3339_Z.fullmatch(task["created_at"]) and task["created_at"] == task["updated_at"]

    bare = create_task(person, title="Call Jim", tags=["work", "calls", "work"])
    assert set(bare) == TASK_KEYS  # no due, no completed_at
    assert (bare["status"], bare["priority"], bare["tags"]) == ("open", "medium", ["work", "calls"])

    done = create_task(person, title="Already done", status="completed")
    assert set(done) == TASK_KEYS | {"completed_at"}
    assert done["completed_at"] == done["created_at"]

    listed = list_tasks(person)
    assert set(listed) == {"tasks", "has_more", "next_cursor"}
    assert {t["id"] for t in listed["tasks"]} == {task["id"], bare["id"], done["id"]}


@pytest.mark.parametrize(
    ("body", "paths"),
    [
        ({}, [["title"]]),
        ({"title": "   "}, [["title"]]),
        ({"title": "x" * 501}, [["title"]]),
        ({"title": "ok", "priority": "whenever"}, [["priority"]]),
        ({"title": "ok", "status": "done"}, [["status"]]),
        ({"title": "ok", "tags": ["a", "b", "", "x" * 51]}, [["tags", 2], ["tags", 3]]),
        ({"title": "ok", "tags": [f"t{n}" for n in range(21)]}, [["tags"]]),
        ({"title": "", "tags": ["ok", ""]}, [["title"], ["tags", 1]]),
        # Values outside the document's sets are refused while the body is read (as a
        # wrong JSON type is), before the task's own checks: every such issue at once.
        ({"title": "", "priority": "p0", "status": "x"}, [["status"], ["priority"]]),
    ],
)
def test_invalid_tasks_are_400_with_field_issues(
    user: Callable[..., User], body: dict[str, Any], paths: list[list[Any]]
) -> None:
    person = user()
    error = assert_error(person.rest.post("/api/tasks", json=body), "mcos", 400, "VALIDATION_ERROR")
    assert sorted(issue_paths(error), key=str) == sorted(paths, key=str)
    assert list_tasks(person)["tasks"] == []


def test_a_value_outside_the_documents_set_names_the_set(user: Callable[..., User]) -> None:
    person = user()
    body = {"title": "ok", "status": "done", "priority": 3}
    error = assert_error(person.rest.post("/api/tasks", json=body), "mcos", 400, "VALIDATION_ERROR")
    assert error["details"]["issues"] == [
        {"path": ["status"], "message": "Must be one of: open, in_progress, completed"},
        {"path": ["priority"], "message": "Must be one of: low, medium, high, urgent"},
    ]
    # The enum's own names are not the document's spellings.
    listed = assert_error(
        person.rest.get("/api/tasks", params={"status": "TASK_STATUS_OPEN"}), "mcos", 400, "VALIDATION_ERROR"
    )
    assert listed["details"]["issues"] == [
        {"path": ["status"], "message": "Must be one of: open, in_progress, completed"}
    ]


@pytest.mark.parametrize(
    "content",
    [
        b'{"title": "unterminated',
        b'{"title": 5}',
        b'{"title": "ok", "tags": "work"}',
        b'{"title": "ok", "due": "next tuesday"}',
        b"[1, 2]",
    ],
)
def test_malformed_bodies_are_400(user: Callable[..., User], content: bytes) -> None:
    person = user()
    response = person.rest.post("/api/tasks", content=content, headers={"content-type": "application/json"})
    assert_error(response, "mcos", 400, "VALIDATION_ERROR")
    assert list_tasks(person)["tasks"] == []


def test_filters_and_order(user: Callable[..., User]) -> None:
    person = user()
    create_task(person, title="no due", tags=["work"])
    create_task(person, title="late", due="2025-12-01T09:00:00Z", tags=["home"])
    create_task(person, title="early", due="2025-11-21T17:00:00Z", tags=["work", "urgent"])
    create_task(person, title="middle", due="2025-11-25T08:00:00+01:00", tags=["work"], status="in_progress")
    create_task(person, title="finished", due="2025-11-22T00:00:00Z", status="completed", tags=["work", "urgent"])

    # Due ascending, tasks without a due date last.
    assert titles(list_tasks(person)) == ["early", "finished", "middle", "late", "no due"]
    assert titles(list_tasks(person, status="open")) == ["early", "late", "no due"]
    assert titles(list_tasks(person, status="in_progress")) == ["middle"]
    assert titles(list_tasks(person, status="completed")) == ["finished"]
    # due_before is strict, due_after inclusive; tasks without a due date never match.
    assert titles(list_tasks(person, due_before="2025-11-25T07:00:00Z")) == ["early", "finished"]
    assert titles(list_tasks(person, due_after="2025-11-25T07:00:00Z")) == ["middle", "late"]
    assert titles(list_tasks(person, due_after="2025-11-22T00:00:00Z", due_before="2025-12-01T09:00:00Z")) == [
        "finished",
        "middle",
    ]
    # Every listed tag must be present.
    assert titles(list_tasks(person, tags="work")) == ["early", "finished", "middle", "no due"]
    assert titles(list_tasks(person, tags="work,urgent")) == ["early", "finished"]
    assert titles(list_tasks(person, tags=" urgent , work ,")) == ["early", "finished"]
    assert titles(list_tasks(person, tags="work,home")) == []
    assert titles(list_tasks(person, tags="work,urgent", status="open")) == ["early"]


def test_due_filters_take_a_date_alone_as_its_start_in_utc(user: Callable[..., User]) -> None:
    """The document calls the filters ISO 8601: `2025-11-22` means 2025-11-22T00:00:00Z."""
    person = user()
    create_task(person, title="before", due="2025-11-21T23:59:59Z")
    create_task(person, title="midnight", due="2025-11-22T00:00:00Z")
    create_task(person, title="after", due="2025-11-22T09:00:00+01:00")
    assert titles(list_tasks(person, due_before="2025-11-22")) == ["before"]
    assert titles(list_tasks(person, due_after="2025-11-22")) == ["midnight", "after"]
    assert titles(list_tasks(person, due_after="2025-11-22", due_before="2025-11-23")) == ["midnight", "after"]
    # The full form still works, to the second.
    assert titles(list_tasks(person, due_before="2025-11-22T00:00:01Z")) == ["before", "midnight"]


@pytest.mark.parametrize("value", ["tomorrow", "2025-11-31", "2025-1-5", "20251122", "2025-11-22T10:00"])
def test_a_garbage_due_filter_is_a_clear_400(user: Callable[..., User], value: str) -> None:
    error = assert_error(user().rest.get("/api/tasks", params={"due_before": value}), "mcos", 400, "VALIDATION_ERROR")
    assert error["details"]["issues"] == [
        {"path": ["due_before"], "message": "Invalid timestamp: expected a date (YYYY-MM-DD) or an RFC 3339 date-time"}
    ]


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"due_before": "tomorrow"}, None),
        ({"due_after": "2025-13-01T00:00:00Z"}, None),
        ({"status": "archived"}, ["status"]),
        ({"limit": 201}, ["limit"]),
        ({"limit": -1}, ["limit"]),
        ({"limit": "ten"}, None),
        ({"cursor": "not-a-cursor"}, ["cursor"]),
        ({"tags": ",".join(f"t{n}" for n in range(21))}, ["tags"]),
    ],
)
def test_bad_list_queries_are_400(user: Callable[..., User], params: dict[str, Any], path: list[str] | None) -> None:
    error = assert_error(user().rest.get("/api/tasks", params=params), "mcos", 400, "VALIDATION_ERROR")
    if path is not None:
        assert issue_paths(error) == [path]


def test_pages_follow_the_list_order(user: Callable[..., User]) -> None:
    person = user()
    for n in range(4):
        create_task(person, title=f"dated {n}", due=f"2025-11-2{n}T10:00:00Z")
    for n in range(3):
        create_task(person, title=f"undated {n}")
    for n in range(2):
        create_task(person, title=f"same due {n}", due="2025-11-22T10:00:00Z")
    everything = list_tasks(person)
    assert everything["has_more"] is False and everything["next_cursor"] == ""
    assert len(everything["tasks"]) == 9

    seen: list[str] = []
    cursor = ""
    pages = 0
    while True:
        page = list_tasks(person, limit=2, **({"cursor": cursor} if cursor else {}))
        pages += 1
        seen += titles(page)
        assert page["has_more"] is bool(page["next_cursor"])
        if not page["has_more"]:
            break
        assert len(page["tasks"]) == 2
        cursor = page["next_cursor"]
    assert pages == 5
    assert seen == titles(everything)

    # A cursor pages the filtered list it came from.
    first = list_tasks(person, limit=1, due_after="2025-11-22T00:00:00Z")
    rest = list_tasks(person, cursor=first["next_cursor"], due_after="2025-11-22T00:00:00Z")
    assert titles(first) + titles(rest) == titles(list_tasks(person, due_after="2025-11-22T00:00:00Z"))


def test_patch_changes_only_the_fields_sent(user: Callable[..., User]) -> None:
    person = user()
    task = create_task(person, title="Follow up with Jim", due="2025-11-21T17:00:00Z", priority="high", tags=["work"])

    done = patch(person, task["id"], {"status": "completed"})
    assert done["status"] == "completed" and RFC3339_Z.fullmatch(done["completed_at"])
    assert {k: done[k] for k in ("id", "title", "priority", "due", "tags", "created_at")} == {
        k: task[k] for k in ("id", "title", "priority", "due", "tags", "created_at")
    }
    assert done["updated_at"] >= task["updated_at"]

    # The document's example: status and an explicit completion time.
    stamped = patch(person, task["id"], {"status": "completed", "completed_at": "2025-11-20T15:00:00Z"})
    assert stamped["completed_at"] == "2025-11-20T15:00:00Z"
    # Another change keeps the completion time.
    retitled = patch(person, task["id"], {"title": "Follow up with Jim (again)"})
    assert retitled["completed_at"] == "2025-11-20T15:00:00Z" and retitled["status"] == "completed"
    # Leaving "completed" clears it.
    reopened = patch(person, task["id"], {"status": "in_progress"})
    assert "completed_at" not in reopened and reopened["status"] == "in_progress"

    # null clears the due date; [] clears tags.
    cleared = patch(person, task["id"], {"due": None, "tags": []})
    assert "due" not in cleared and cleared["tags"] == []
    assert (cleared["title"], cleared["priority"]) == ("Follow up with Jim (again)", "high")
    # Output-only fields sent back are ignored.
    same = patch(person, task["id"], {"id": "task_000000000000000000000000", "created_at": "2020-01-01T00:00:00Z"})
    assert same == cleared

    assert list_tasks(person)["tasks"] == [cleared]


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"title": ""}, ["title"]),
        ({"title": None}, ["title"]),
        ({"status": "someday"}, ["status"]),
        ({"priority": None}, ["priority"]),
        ({"tags": ["ok", "y" * 51]}, ["tags", 1]),
        ({"completed_at": "2025-11-20T15:00:00Z"}, ["completed_at"]),
    ],
)
def test_invalid_patches_are_400_and_change_nothing(
    user: Callable[..., User], body: dict[str, Any], path: list[Any]
) -> None:
    person = user()
    task = create_task(person, title="Keep me", tags=["a"])
    error = assert_error(person.rest.patch(f"/api/tasks/{task['id']}", json=body), "mcos", 400, "VALIDATION_ERROR")
    assert issue_paths(error) == [path]
    assert list_tasks(person)["tasks"] == [task]


def test_delete_is_204_and_the_task_is_gone(user: Callable[..., User]) -> None:
    person = user()
    task = create_task(person, title="Doomed")
    kept = create_task(person, title="Kept")
    response = person.rest.delete(f"/api/tasks/{task['id']}")
    assert response.status_code == 204 and response.content == b""
    assert response.headers["x-correlation-id"]
    assert list_tasks(person)["tasks"] == [kept]
    assert_error(person.rest.delete(f"/api/tasks/{task['id']}"), "mcos", 404, "NOT_FOUND")
    assert_error(person.rest.patch(f"/api/tasks/{task['id']}", json={"title": "Back"}), "mcos", 404, "NOT_FOUND")


def test_other_users_tasks_are_not_found(user: Callable[..., User]) -> None:
    owner, stranger = user(), user()
    task = create_task(owner, title="Mine", tags=["private"])
    error = assert_error(
        stranger.rest.patch(f"/api/tasks/{task['id']}", json={"title": "Yours now"}), "mcos", 404, "NOT_FOUND"
    )
    assert error["message"] == "Task not found"
    assert_error(stranger.rest.delete(f"/api/tasks/{task['id']}"), "mcos", 404, "NOT_FOUND")
    assert list_tasks(stranger, tags="private")["tasks"] == []
    assert list_tasks(owner)["tasks"] == [task]
    for unknown in ("task_ffffffffffffffffffffffff", "nonsense", "x" * 300):
        assert_error(owner.rest.patch(f"/api/tasks/{unknown}", json={"title": "t"}), "mcos", 404, "NOT_FOUND")
        assert_error(owner.rest.delete(f"/api/tasks/{unknown}"), "mcos", 404, "NOT_FOUND")


@pytest.mark.parametrize("content", [b'{"title": "unterminated', b'{"tags": "work"}', b'{"due": 1700000000}', b"[1]"])
def test_malformed_patches_are_400(user: Callable[..., User], content: bytes) -> None:
    person = user()
    task = create_task(person, title="Untouched", tags=["a"])
    response = person.rest.patch(
        f"/api/tasks/{task['id']}", content=content, headers={"content-type": "application/json"}
    )
    assert_error(response, "mcos", 400, "VALIDATION_ERROR")
    assert list_tasks(person)["tasks"] == [task]
