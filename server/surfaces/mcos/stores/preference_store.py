"""MCoS preferences: one row per (tenant, owner), absent until first changed.

A merge is one INSERT ... ON CONFLICT DO UPDATE of only the changed columns,
so two concurrent merges of different fields both land.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, select

from server.platform.scope import Scope
from server.platform.storage.database import Database, upsert_insert
from server.surfaces.mcos.stores.user_changes import change_of
from server.surfaces.mcos.stores.user_events import record_event
from server.surfaces.mcos.tables import McosPreferencesRow

_preferences = cast(Table, McosPreferencesRow.__table__)
COLUMNS = ("timezone", "work_hours", "preferred_airlines")


@dataclass(frozen=True, slots=True)
class PreferencesRecord:
    timezone: str
    work_hours: str
    preferred_airlines: tuple[str, ...]
    updated_at_ms: int | None  # None: never changed (the defaults)


_SELECTED = (
    _preferences.c.timezone,
    _preferences.c.work_hours,
    _preferences.c.preferred_airlines,
    _preferences.c.updated_at_ms,
)


def _record(row: Any) -> PreferencesRecord:
    return PreferencesRecord(row[0], row[1], tuple(row[2]), row[3])


class PreferenceStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, scope: Scope) -> PreferencesRecord | None:
        query = select(*_SELECTED).where(
            _preferences.c.tenant_id == scope.tenant_id, _preferences.c.owner_id == scope.owner_id
        )
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return _record(row) if row is not None else None

    async def merge(
        self, scope: Scope, changes: Mapping[str, Any], defaults: PreferencesRecord, now_ms: int
    ) -> PreferencesRecord:
        """Sets the `changes` columns (a new row starts from `defaults`); returns the result."""
        unknown = set(changes) - set(COLUMNS)
        assert not unknown, f"not preference columns: {unknown}"
        values = {
            "timezone": defaults.timezone,
            "work_hours": defaults.work_hours,
            "preferred_airlines": list(defaults.preferred_airlines),
            **{name: list(v) if name == "preferred_airlines" else v for name, v in changes.items()},
        }
        insert_for = upsert_insert(self._db.dialect)
        async with change_of(self._db, scope) as (conn, change):
            stmt = insert_for(_preferences).values(
                tenant_id=scope.tenant_id, owner_id=scope.owner_id, updated_at_ms=now_ms, change_seq=change, **values
            )
            upsert = stmt.on_conflict_do_update(
                index_elements=["tenant_id", "owner_id"],
                set_={name: stmt.excluded[name] for name in (*changes, "updated_at_ms", "change_seq")},
            ).returning(*_SELECTED)
            row = (await conn.execute(upsert)).one()
            await record_event(conn, scope, "preferences.updated", "preferences", now_ms, {"fields": sorted(changes)})
        return _record(row)
