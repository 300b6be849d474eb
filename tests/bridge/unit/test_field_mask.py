"""PATCH bodies fill an empty update_mask with the paths of the keys they hold."""

from __future__ import annotations

from chorus_contracts.mcos.v1 import state_pb2, tasks_pb2

from rest_bridge.field_mask import autofill_target, fill_update_mask


def test_targets_only_body_field_bindings_with_an_update_mask() -> None:
    update = tasks_pb2.UpdateTaskRequest.DESCRIPTOR
    assert autofill_target(update, "task") is tasks_pb2.UpdateTaskRequest.DESCRIPTOR.fields_by_name["task"].message_type
    assert autofill_target(update, "*") is None
    assert autofill_target(update, "") is None
    assert autofill_target(tasks_pb2.CreateTaskRequest.DESCRIPTOR, "title") is None  # no update_mask field


def test_paths_are_proto_names_of_the_present_keys_including_nulls() -> None:
    target = autofill_target(tasks_pb2.UpdateTaskRequest.DESCRIPTOR, "task")
    assert target is not None
    request = tasks_pb2.UpdateTaskRequest()
    fill_update_mask(request, target, {"status": "completed", "completed_at": "2025-11-20T15:00:00Z", "due": None})
    assert list(request.update_mask.paths) == ["status", "completed_at", "due"]
    # JSON names map to proto names.
    request = tasks_pb2.UpdateTaskRequest()
    fill_update_mask(request, target, {"title": "x", "completed_at": None})
    assert list(request.update_mask.paths) == ["title", "completed_at"]


def test_an_explicit_mask_wins() -> None:
    target = autofill_target(state_pb2.UpdatePreferencesRequest.DESCRIPTOR, "preferences")
    assert target is not None
    request = state_pb2.UpdatePreferencesRequest()
    request.update_mask.paths.append("timezone")
    fill_update_mask(request, target, {"timezone": "UTC", "work_hours": "09:00-17:00"})
    assert list(request.update_mask.paths) == ["timezone"]


def test_well_known_types_and_lists_are_leaves() -> None:
    target = autofill_target(state_pb2.UpdatePreferencesRequest.DESCRIPTOR, "preferences")
    assert target is not None
    request = state_pb2.UpdatePreferencesRequest()
    fill_update_mask(request, target, {"preferred_airlines": ["United"], "work_hours": "08:00-16:00"})
    assert list(request.update_mask.paths) == ["preferred_airlines", "work_hours"]
