"""GET /api/state and PATCH /api/state/preferences over REST and gRPC (the shared server)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from chorus_contracts.mcos.v1 import resources_pb2, state_pb2, state_pb2_grpc
from google.protobuf.field_mask_pb2 import FieldMask

from tests.support.envelopes import assert_error
from tests.support.grpc_status import error_info
from tests.support.mcos_rest import create_task, pin_memory
from tests.surfaces.mcos.conftest import User

STATE_KEYS = {"user_id", "tasks", "preferences", "recent_messages", "pinned_memories", "last_updated", "cursor"}
DEFAULTS = {"timezone": "UTC", "work_hours": "09:00-17:00", "preferred_airlines": []}


def state(user: User, **params: Any) -> dict[str, Any]:
    response = user.rest.get("/api/state", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def update_preferences(user: User, body: Any) -> dict[str, Any]:
    response = user.rest.patch("/api/state/preferences", json=body)
    assert response.status_code == 200, response.text
    preferences: dict[str, Any] = response.json()
    return preferences


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_a_new_user_has_the_defaults(user: Callable[..., User]) -> None:
    person = user()
    before = datetime.now(UTC) - timedelta(seconds=5)
    snapshot = state(person)
    assert set(snapshot) == STATE_KEYS
    assert snapshot["user_id"] == person.sub
    assert snapshot["preferences"] == DEFAULTS
    assert snapshot["tasks"] == snapshot["recent_messages"] == snapshot["pinned_memories"] == []
    # Nothing changed yet: now.
    assert before <= moment(snapshot["last_updated"]) <= datetime.now(UTC) + timedelta(seconds=5)


def test_the_snapshot_holds_the_users_records(user: Callable[..., User]) -> None:
    person, stranger = user(), user()
    task = create_task(person, title="Renew passport", due="2026-01-15T09:00:00Z")
    memory = pin_memory(person, type="fact", key="passport_expiry", value="2026-02-01")
    preferences = update_preferences(person, {"timezone": "Europe/Paris"})
    chat = person.rest.post(
        "/api/chat",
        json={"messages": [{"role": "user", "content": "hello there"}], "stream": False, "conversation_id": "c1"},
    )
    assert chat.status_code == 200, chat.text
    create_task(stranger, title="Not yours")
    pin_memory(stranger, type="fact", key="not_yours", value="x")

    snapshot = state(person)
    assert set(snapshot) == STATE_KEYS  # deleted_task_ids only with `since`
    assert snapshot["tasks"] == [task]
    assert snapshot["pinned_memories"] == [memory]
    assert snapshot["preferences"] == preferences == {**DEFAULTS, "timezone": "Europe/Paris"}
    messages = snapshot["recent_messages"]
    assert [(m["role"], m["conversation_id"]) for m in messages] == [("user", "c1"), ("assistant", "c1")]
    assert messages[0]["content"] == "hello there"
    # The newest change is the chat turn.
    assert moment(snapshot["last_updated"]) == moment(messages[-1]["timestamp"])

    # Asking again from there: nothing changed, and the same cursor comes back.
    again = state(person, since=snapshot["last_updated"])
    assert set(again) == STATE_KEYS
    assert again["tasks"] == again["pinned_memories"] == again["recent_messages"] == []
    assert again["preferences"] == preferences
    assert moment(again["last_updated"]) == moment(snapshot["last_updated"])


def test_since_takes_a_date_alone_as_its_start_in_utc(user: Callable[..., User]) -> None:
    person = user()
    task = create_task(person, title="Today's")
    today = task["updated_at"][:10]
    assert state(person, since=today)["tasks"] == [task]
    tomorrow = (datetime.fromisoformat(today) + timedelta(days=1)).date().isoformat()
    assert state(person, since=tomorrow)["tasks"] == []


@pytest.mark.parametrize("since", ["yesterday", "2025-02-30T00:00:00Z", "1700000000", "2025-02-30", "2025-2-3"])
def test_a_bad_since_is_400(user: Callable[..., User], since: str) -> None:
    assert_error(user().rest.get("/api/state", params={"since": since}), "mcos", 400, "VALIDATION_ERROR")


def test_preferences_merge(user: Callable[..., User]) -> None:
    person = user()
    first = update_preferences(
        person, {"timezone": "America/New_York", "work_hours": "08:30-16:30", "preferred_airlines": ["United", "Delta"]}
    )
    assert set(first) == {"timezone", "work_hours", "preferred_airlines"}
    assert first == {
        "timezone": "America/New_York",
        "work_hours": "08:30-16:30",
        "preferred_airlines": ["United", "Delta"],
    }
    # Only the fields sent change.
    assert update_preferences(person, {"work_hours": "10:00-18:00"}) == {**first, "work_hours": "10:00-18:00"}
    assert update_preferences(person, {"preferred_airlines": []}) == {
        **first,
        "work_hours": "10:00-18:00",
        "preferred_airlines": [],
    }
    assert update_preferences(person, {}) == {**first, "work_hours": "10:00-18:00", "preferred_airlines": []}
    assert state(person)["preferences"] == {**first, "work_hours": "10:00-18:00", "preferred_airlines": []}
    # Another user still has the defaults.
    assert state(user())["preferences"] == DEFAULTS


@pytest.mark.parametrize(
    ("body", "paths"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, [["timezone"]]),
        ({"timezone": "../../etc/passwd"}, [["timezone"]]),
        ({"timezone": ""}, [["timezone"]]),
        ({"work_hours": "9-5"}, [["work_hours"]]),
        ({"work_hours": "17:00-09:00"}, [["work_hours"]]),
        ({"work_hours": "09:00-09:00"}, [["work_hours"]]),
        ({"work_hours": "09:60-17:00"}, [["work_hours"]]),
        ({"work_hours": "24:00-25:00"}, [["work_hours"]]),
        ({"preferred_airlines": [f"Air {n}" for n in range(21)]}, [["preferred_airlines"]]),
        ({"preferred_airlines": ["United", " "]}, [["preferred_airlines", 1]]),
        ({"timezone": "Nowhere", "work_hours": "late"}, [["timezone"], ["work_hours"]]),
    ],
)
def test_invalid_preferences_are_400_and_change_nothing(
    user: Callable[..., User], body: dict[str, Any], paths: list[list[Any]]
) -> None:
    person = user()
    update_preferences(person, {"timezone": "Asia/Tokyo"})
    error = assert_error(person.rest.patch("/api/state/preferences", json=body), "mcos", 400, "VALIDATION_ERROR")
    assert sorted(issue["path"] for issue in error["details"]["issues"]) == sorted(paths)
    assert state(person)["preferences"] == {**DEFAULTS, "timezone": "Asia/Tokyo"}


@pytest.mark.parametrize(
    "content", [b'{"timezone": 5}', b'{"preferred_airlines": "United"}', b'{"timezone"']
)
def test_malformed_preferences_are_400(user: Callable[..., User], content: bytes) -> None:
    person = user()
    response = person.rest.patch(
        "/api/state/preferences", content=content, headers={"content-type": "application/json"}
    )
    assert_error(response, "mcos", 400, "VALIDATION_ERROR")
    assert state(person)["preferences"] == DEFAULTS


def test_grpc_state_and_preferences(mcos_channel: grpc.Channel, user: Callable[..., User]) -> None:
    stub = state_pb2_grpc.StateServiceStub(mcos_channel)
    person = user()
    md = person.grpc_metadata
    masked = stub.UpdatePreferences(
        state_pb2.UpdatePreferencesRequest(
            preferences=resources_pb2.Preferences(timezone="Asia/Kolkata", work_hours="ignored"),
            update_mask=FieldMask(paths=["timezone"]),
        ),
        metadata=md,
    ).preferences
    assert (masked.timezone, masked.work_hours) == ("Asia/Kolkata", "09:00-17:00")
    # No mask: every field that is set.
    unmasked = stub.UpdatePreferences(
        state_pb2.UpdatePreferencesRequest(preferences=resources_pb2.Preferences(preferred_airlines=["KLM"])),
        metadata=md,
    ).preferences
    assert (unmasked.timezone, list(unmasked.preferred_airlines)) == ("Asia/Kolkata", ["KLM"])

    snapshot = stub.GetState(state_pb2.GetStateRequest(), metadata=md)
    assert snapshot.user_id == person.sub
    assert snapshot.preferences == unmasked
    assert snapshot.HasField("last_updated")

    with pytest.raises(grpc.RpcError) as caught:
        stub.UpdatePreferences(state_pb2.UpdatePreferencesRequest(update_mask=FieldMask(paths=["theme"])), metadata=md)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_info(caught.value).reason == "VALIDATION_ERROR"
