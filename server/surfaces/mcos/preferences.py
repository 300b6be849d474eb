"""The MCoS user's preferences (spec 003, "State Management"); surface-agnostic.

Every user starts with the defaults; an update merges the given fields into
what is stored and leaves the others alone.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections.abc import Mapping
from typing import Any

from server.platform.clock import Clock
from server.platform.scope import Scope
from server.platform.storage.database import Database
from server.platform.validation import Violations
from server.surfaces.mcos.record_fields import checked_names
from server.surfaces.mcos.stores.preference_store import PreferencesRecord, PreferenceStore

__all__ = ["DEFAULT_PREFERENCES", "PreferenceService", "PreferencesRecord"]

DEFAULT_PREFERENCES = PreferencesRecord(
    timezone="UTC", work_hours="09:00-17:00", preferred_airlines=(), updated_at_ms=None
)
MAX_AIRLINES = 20
MAX_AIRLINE = 100
_WORK_HOURS = re.compile(r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)")


@functools.cache
def _time_zones() -> frozenset[str]:
    # The IANA names of the tzdata package (and the system's), read once.
    return frozenset(zoneinfo.available_timezones())


def _check_timezone(problems: Violations, value: Any) -> None:
    if not isinstance(value, str) or value not in _time_zones():
        problems.add("timezone", 'Must be an IANA time zone name, e.g. "America/New_York"')


def _check_work_hours(problems: Violations, value: Any) -> None:
    match = _WORK_HOURS.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        problems.add("work_hours", 'Must be "HH:MM-HH:MM" (24-hour), e.g. "09:00-17:00"')
        return
    start_h, start_m, end_h, end_m = (int(g) for g in match.groups())
    if (start_h, start_m) >= (end_h, end_m):
        problems.add("work_hours", "The start must be before the end")


def _checked(changes: Mapping[str, Any]) -> dict[str, Any]:
    problems = Violations()
    checked: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "timezone":
            _check_timezone(problems, value)
        elif name == "work_hours":
            _check_work_hours(problems, value)
        elif name == "preferred_airlines":
            value = () if value is None else checked_names(problems, name, value, MAX_AIRLINES, MAX_AIRLINE)
        else:
            problems.add(name, "Unknown field")
        checked[name] = value
    problems.raise_if_any("Invalid preferences")
    return checked


class PreferenceService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._store = PreferenceStore(db)
        self._clock = clock

    async def get(self, owner: Scope) -> PreferencesRecord:
        return await self._store.get(owner) or DEFAULT_PREFERENCES

    async def update(self, owner: Scope, changes: Mapping[str, Any]) -> PreferencesRecord:
        """Merges `changes` (keys among timezone, work_hours, preferred_airlines) into the
        stored preferences and returns the result; no keys changes nothing."""
        checked = _checked(changes)
        if not checked:
            return await self.get(owner)
        return await self._store.merge(owner, checked, DEFAULT_PREFERENCES, self._clock.now_ms())
