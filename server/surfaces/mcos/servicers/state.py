"""mcos.v1.StateService: `/api/state` (the snapshot) and `/api/state/preferences`."""

from __future__ import annotations

from typing import Any

import grpc
from chorus_contracts.mcos.v1 import resources_pb2, state_pb2, state_pb2_grpc

from server.platform.validation import Violations
from server.surfaces.mcos.preferences import PreferenceService, PreferencesRecord
from server.surfaces.mcos.servicers.memory import memory_pb
from server.surfaces.mcos.servicers.messages import chat_message_pb
from server.surfaces.mcos.servicers.principal import principal_scope
from server.surfaces.mcos.servicers.tasks import optional_ms, task_pb
from server.surfaces.mcos.user_state import UserStateService

PREFERENCE_PATHS = ("timezone", "work_hours", "preferred_airlines")


def preferences_pb(preferences: PreferencesRecord) -> resources_pb2.Preferences:
    return resources_pb2.Preferences(
        timezone=preferences.timezone,
        work_hours=preferences.work_hours,
        preferred_airlines=preferences.preferred_airlines,
    )


def _preference_changes(request: state_pb2.UpdatePreferencesRequest) -> dict[str, Any]:
    """The masked fields' new values; without a mask (AIP-134), every field that is set."""
    given = request.preferences
    values: dict[str, Any] = {
        "timezone": given.timezone,
        "work_hours": given.work_hours,
        "preferred_airlines": list(given.preferred_airlines),
    }
    paths = list(request.update_mask.paths)
    if paths == ["*"]:
        paths = list(PREFERENCE_PATHS)
    elif not paths:
        paths = [name for name in PREFERENCE_PATHS if values[name]]
    problems = Violations()
    for path in paths:
        if path not in values:
            problems.add("update_mask", f"Unknown field path {path!r}; use {', '.join(PREFERENCE_PATHS)}")
    problems.raise_if_any("Invalid update mask")
    return {path: values[path] for path in paths}


class McosStateService(state_pb2_grpc.StateServiceServicer):
    def __init__(self, state: UserStateService, preferences: PreferenceService) -> None:
        self._state = state
        self._preferences = preferences

    async def GetState(
        self, request: state_pb2.GetStateRequest, context: grpc.aio.ServicerContext
    ) -> state_pb2.GetStateResponse:
        state = await self._state.snapshot(principal_scope(), optional_ms(request, "since"), request.cursor)
        response = state_pb2.GetStateResponse(
            user_id=state.user_id,
            tasks=[task_pb(t) for t in state.tasks],
            preferences=preferences_pb(state.preferences),
            recent_messages=[chat_message_pb(m) for m in state.recent_messages],
            pinned_memories=[memory_pb(m) for m in state.pinned_memories],
            deleted_task_ids=state.deleted_task_ids,
            cursor=state.cursor,
        )
        response.last_updated.FromMilliseconds(state.last_updated_ms)
        return response

    async def UpdatePreferences(
        self, request: state_pb2.UpdatePreferencesRequest, context: grpc.aio.ServicerContext
    ) -> state_pb2.UpdatePreferencesResponse:
        preferences = await self._preferences.update(principal_scope(), _preference_changes(request))
        return state_pb2.UpdatePreferencesResponse(preferences=preferences_pb(preferences))
