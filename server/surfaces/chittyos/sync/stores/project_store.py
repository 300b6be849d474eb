"""Projects, scoped by tenant. Their todos live in `todo_store`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from server.platform.storage.database import Database
from server.surfaces.chittyos.sync.tables import ProjectRow, ProjectTodoRow, ProjectTodoSessionRow

_projects = cast(Table, ProjectRow.__table__)
_todos = cast(Table, ProjectTodoRow.__table__)
_contributors = cast(Table, ProjectTodoSessionRow.__table__)


@dataclass(frozen=True, slots=True)
class ProjectRecord:
    id: str
    name: str
    metadata: dict[str, Any]
    files_worked: list[str]
    created_at_ms: int
    last_sync_ms: int
    todos_synced_at_ms: int | None


_COLUMNS = (
    _projects.c.id,
    _projects.c.name,
    _projects.c.metadata_json,
    _projects.c.files_worked,
    _projects.c.created_at_ms,
    _projects.c.last_sync_ms,
    _projects.c.todos_synced_at_ms,
)


def _record(row: Any) -> ProjectRecord:
    return ProjectRecord(row[0], row[1], dict(row[2]), list(row[3]), row[4], row[5], row[6])


def _in_tenant(tenant_id: str) -> Any:
    return _projects.c.tenant_id == tenant_id


class ProjectStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def insert(self, tenant_id: str, project: ProjectRecord) -> bool:
        """False when the tenant already has a project with this id."""
        try:
            async with self._db.write() as conn:
                await conn.execute(
                    insert(_projects).values(
                        tenant_id=tenant_id,
                        id=project.id,
                        name=project.name,
                        metadata_json=project.metadata,
                        files_worked=project.files_worked,
                        created_at_ms=project.created_at_ms,
                        last_sync_ms=project.last_sync_ms,
                        todos_synced_at_ms=project.todos_synced_at_ms,
                    )
                )
        except IntegrityError:
            return False
        return True

    async def get(self, tenant_id: str, project_id: str) -> ProjectRecord | None:
        async with self._db.engine.connect() as conn:
            row = (
                await conn.execute(select(*_COLUMNS).where(_in_tenant(tenant_id), _projects.c.id == project_id))
            ).first()
        return _record(row) if row is not None else None

    async def page(self, tenant_id: str, limit: int, offset: int) -> tuple[list[ProjectRecord], int]:
        """Oldest first, and the tenant's total."""
        async with self._db.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(*_COLUMNS)
                    .where(_in_tenant(tenant_id))
                    .order_by(_projects.c.created_at_ms, _projects.c.id)
                    .limit(limit)
                    .offset(offset)
                )
            ).all()
            total = await conn.scalar(select(func.count()).select_from(_projects).where(_in_tenant(tenant_id)))
        return [_record(r) for r in rows], int(total or 0)

    async def update(
        self, tenant_id: str, project_id: str, change: Callable[[ProjectRecord], ProjectRecord]
    ) -> ProjectRecord | None:
        """Read, `change` and write back in one transaction (the row is locked where the
        database can); None when the project does not exist. `change` may raise to abort."""
        where = (_in_tenant(tenant_id), _projects.c.id == project_id)
        async with self._db.write() as conn:
            row = (await conn.execute(select(*_COLUMNS).where(*where).with_for_update())).first()
            if row is None:
                return None
            changed = change(_record(row))
            await conn.execute(
                update(_projects)
                .where(*where)
                .values(
                    name=changed.name,
                    metadata_json=changed.metadata,
                    files_worked=changed.files_worked,
                    last_sync_ms=changed.last_sync_ms,
                )
            )
        return changed

    async def delete(self, tenant_id: str, project_id: str) -> bool:
        async with self._db.write() as conn:
            # Children first: not every backend cascades without foreign keys on.
            for table in (_todos, _contributors):
                await conn.execute(
                    delete(table).where(table.c.tenant_id == tenant_id, table.c.project_id == project_id)
                )
            result = await conn.execute(delete(_projects).where(_in_tenant(tenant_id), _projects.c.id == project_id))
            return bool(result.rowcount)

    async def counts(self, tenant_id: str) -> tuple[int, int]:
        """(every project, projects whose todos were ever written)."""
        async with self._db.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(func.count(), func.count(_projects.c.todos_synced_at_ms)).where(_in_tenant(tenant_id))
                )
            ).one()
        return int(row[0]), int(row[1])
