"""The codec's rules from options: `(google.api.field_behavior) = REQUIRED`,
`(chorus.api.v1.field).accept_date` and `(chorus.api.v1.enum_value).json`, on the real
contracts that use them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from chorus_contracts.chittyos.sync.v1 import sync_pb2
from chorus_contracts.mcos.v1 import resources_pb2, state_pb2, tasks_pb2

from rest_bridge.jsoncodec import FieldIssue, JsonMappingError, codec_for

DATE_OR_TIME = "Invalid timestamp: expected a date (YYYY-MM-DD) or an RFC 3339 date-time"


def issues(call: Callable[..., object], *args: object) -> list[FieldIssue]:
    with pytest.raises(JsonMappingError) as info:
        call(*args)
    return info.value.issues


@pytest.mark.parametrize("body", [{}, {"sessionId": "s"}, {"todos": None}])
def test_a_required_field_must_be_present_and_not_null(body: dict[str, object]) -> None:
    codec = codec_for(sync_pb2.ReplaceTodosRequest)
    assert issues(codec.from_dict, body) == [FieldIssue(("todos",), "Required")]


def test_a_required_list_may_be_empty() -> None:
    codec = codec_for(sync_pb2.ReplaceTodosRequest)
    assert list(codec.from_dict({"todos": []}).todos) == []
    assert len(codec.from_dict({"todos": [{"content": "a", "status": "pending"}]}).todos) == 1


def test_a_required_field_the_url_path_sets_need_not_be_in_the_body() -> None:
    """On a `body: "*"` route the path's fields are not in the body; REQUIRED counts them."""
    codec = codec_for(sync_pb2.ReplaceTodosRequest)
    request = sync_pb2.ReplaceTodosRequest()
    codec.merge_dict(request, {"sessionId": "s"}, from_path=frozenset({"todos"}))
    assert request.session_id == "s"
    # Only the path's own fields are excused.
    assert issues(codec.merge_dict, sync_pb2.ReplaceTodosRequest(), {}) == [FieldIssue(("todos",), "Required")]


def test_required_is_checked_alongside_other_issues() -> None:
    codec = codec_for(sync_pb2.ReplaceTodosRequest)
    found = issues(codec.from_dict, {"sessionId": 5})
    assert FieldIssue(("todos",), "Required") in found and len(found) == 2


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("2025-11-22", 1763769600),
        ("2025-11-22T00:00:00Z", 1763769600),
        ("2025-11-22T01:00:00+01:00", 1763769600),
        ("2025-11-22T00:00:00.5Z", 1763769600),
    ],
)
def test_accept_date_takes_a_date_or_a_time(text: str, seconds: int) -> None:
    request = tasks_pb2.ListTasksRequest()
    codec_for(tasks_pb2.ListTasksRequest).bind_query(request, [("due_before", text)])
    assert request.due_before.seconds == seconds
    body = codec_for(state_pb2.GetStateRequest).from_dict({"since": text})
    assert body.since.seconds == seconds


@pytest.mark.parametrize("text", ["2025-11-31", "2025-1-5", "20251122", "2025-11-22T10:00", "tomorrow", ""])
def test_accept_date_refuses_the_rest_clearly(text: str) -> None:
    codec = codec_for(tasks_pb2.ListTasksRequest)
    assert issues(codec.bind_query, tasks_pb2.ListTasksRequest(), [("due_after", text)]) == [
        FieldIssue(("due_after",), DATE_OR_TIME)
    ]


def test_other_timestamps_stay_strict_rfc_3339() -> None:
    codec = codec_for(tasks_pb2.CreateTaskRequest)
    assert issues(codec.from_dict, {"title": "t", "due": "2025-11-22"}) == [FieldIssue(("due",), "Invalid timestamp")]


STATUSES = "Must be one of: open, in_progress, completed"


def test_a_spelled_enum_is_written_and_read_by_the_documents_spelling() -> None:
    codec = codec_for(resources_pb2.Task)
    task = resources_pb2.Task(status=resources_pb2.TASK_STATUS_IN_PROGRESS, priority=resources_pb2.TASK_PRIORITY_HIGH)
    written = codec.to_dict(task)
    assert (written["status"], written["priority"]) == ("in_progress", "high")
    assert codec.from_dict({"status": "in_progress", "priority": "high"}) == task
    # Unset is the _UNSPECIFIED zero, written by name as proto3 JSON would.
    assert codec.to_dict(resources_pb2.Task())["status"] == "TASK_STATUS_UNSPECIFIED"
    assert codec.from_dict({"status": None}).status == resources_pb2.TASK_STATUS_UNSPECIFIED


@pytest.mark.parametrize("value", ["done", "TASK_STATUS_OPEN", "TASK_STATUS_UNSPECIFIED", "OPEN", 1, 0, True, [], ""])
def test_a_spelled_enum_accepts_nothing_else(value: object) -> None:
    codec = codec_for(tasks_pb2.CreateTaskRequest)
    assert issues(codec.from_dict, {"title": "t", "status": value}) == [FieldIssue(("status",), STATUSES)]


def test_a_spelled_enum_in_a_query_string() -> None:
    codec = codec_for(tasks_pb2.ListTasksRequest)
    request = tasks_pb2.ListTasksRequest()
    codec.bind_query(request, [("status", "completed")])
    assert request.status == resources_pb2.TASK_STATUS_COMPLETED
    assert issues(codec.bind_query, tasks_pb2.ListTasksRequest(), [("status", "3")]) == [
        FieldIssue(("status",), STATUSES)
    ]
