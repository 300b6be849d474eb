"""Projects' unified todo lists and the sessions that wrote them, scoped by tenant.

Every write of a project's todos runs in one transaction that first updates
the project row. That takes the row's lock on PostgreSQL (and SQLite has one
writer anyway), so writes to one project run one after another and each
sees the list the previous one left: concurrent syncs lose nothing. The
unique (tenant, project, content) constraint backs this up.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.platform.storage.database import Database, upsert_insert
from server.surfaces.chittyos.sync.stores.work_session_store import Touch, touch_session
from server.surfaces.chittyos.sync.tables import ProjectRow, ProjectTodoRow, ProjectTodoSessionRow

_projects = cast(Table, ProjectRow.__table__)
_todos = cast(Table, ProjectTodoRow.__table__)
_contributors = cast(Table, ProjectTodoSessionRow.__table__)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class TodoRecord:
    content: str
    status: str
    active_form: str
    added_by: str  # "" when no session added it
    added_at_ms: int


@dataclass(frozen=True, slots=True)
class TodoListRecord:
    project_id: str
    todos: list[TodoRecord]
    last_sync_ms: int
    sessions: list[str]  # sessions that wrote the list, first write first


class Refusal(enum.Enum):
    PROJECT_MISSING = "project_missing"
    SESSION_MISSING = "session_missing"
    SESSION_ENDED = "session_ended"


class TodoWriteRefused(Exception):
    """The write names a missing project or session, or an ended session; nothing was written."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal


@dataclass(frozen=True, slots=True)
class _StoredTodo:
    row_id: int
    position: int
    updated_at_ms: int
    todo: TodoRecord


_TODO_COLUMNS = (
    _todos.c.content,
    _todos.c.status,
    _todos.c.active_form,
    _todos.c.added_by,
    _todos.c.added_at_ms,
)
_UPDATE_TODO = (
    update(_todos)
    .where(_todos.c.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status"),
        active_form=bindparam("b_active_form"),
        added_by=bindparam("b_added_by"),
        added_at_ms=bindparam("b_added_at_ms"),
        updated_at_ms=bindparam("b_updated_at_ms"),
        position=bindparam("b_position"),
    )
)


def _of_project(table: Table, tenant_id: str, project_id: str) -> tuple[Any, Any]:
    return table.c.tenant_id == tenant_id, table.c.project_id == project_id


class TodoStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def write(
        self,
        tenant_id: str,
        project_id: str,
        session_id: str,
        now_ms: int,
        compute: Callable[[list[TodoRecord]], tuple[list[TodoRecord], T]],
    ) -> tuple[TodoListRecord, T]:
        """Replaces the project's list with what `compute` makes of the current one, in one
        transaction. A non-empty `session_id` must name a live session: it is touched (a
        heartbeat) and recorded as a contributor. Raises TodoWriteRefused."""
        async with self._db.write() as conn:
            locked = await conn.execute(
                update(_projects)
                .where(_projects.c.tenant_id == tenant_id, _projects.c.id == project_id)
                .values(last_sync_ms=now_ms, todos_synced_at_ms=func.coalesce(_projects.c.todos_synced_at_ms, now_ms))
            )
            if not locked.rowcount:
                raise TodoWriteRefused(Refusal.PROJECT_MISSING)
            if session_id:
                touched = await touch_session(conn, tenant_id, session_id, now_ms)
                if touched is Touch.MISSING:
                    raise TodoWriteRefused(Refusal.SESSION_MISSING)
                if touched is Touch.ENDED:
                    raise TodoWriteRefused(Refusal.SESSION_ENDED)
                await conn.execute(_upsert_contributor(self._db.dialect, tenant_id, project_id, session_id, now_ms))
            stored = await _load(conn, tenant_id, project_id)
            final, outcome = compute([s.todo for s in stored])
            await _apply(conn, tenant_id, project_id, stored, final, now_ms)
            sessions = await _sessions_of(conn, tenant_id, project_id)
        return TodoListRecord(project_id, final, now_ms, sessions), outcome

    async def get(self, tenant_id: str, project_id: str) -> TodoListRecord | None:
        """The project's list, or None when the project does not exist."""
        async with self._db.engine.connect() as conn:
            last_sync = await conn.scalar(
                select(_projects.c.last_sync_ms).where(_projects.c.tenant_id == tenant_id, _projects.c.id == project_id)
            )
            if last_sync is None:
                return None
            todos = [s.todo for s in await _load(conn, tenant_id, project_id)]
            sessions = await _sessions_of(conn, tenant_id, project_id)
        return TodoListRecord(project_id, todos, int(last_sync), sessions)

    async def todos_of(self, tenant_id: str, project_ids: list[str]) -> dict[str, list[TodoRecord]]:
        """Each listed project's todos, in list order (projects without todos are absent)."""
        if not project_ids:
            return {}
        async with self._db.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(_todos.c.project_id, *_TODO_COLUMNS)
                    .where(_todos.c.tenant_id == tenant_id, _todos.c.project_id.in_(project_ids))
                    .order_by(_todos.c.project_id, _todos.c.position, _todos.c.id)
                )
            ).all()
        found: dict[str, list[TodoRecord]] = defaultdict(list)
        for row in rows:
            found[row[0]].append(TodoRecord(*row[1:]))
        return found

    async def counts_of(
        self, tenant_id: str, project_ids: list[str]
    ) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
        """Per listed project: todo count by status, and how many sessions wrote its todos."""
        if not project_ids:
            return {}, {}
        async with self._db.engine.connect() as conn:
            by_status = (
                await conn.execute(
                    select(_todos.c.project_id, _todos.c.status, func.count())
                    .where(_todos.c.tenant_id == tenant_id, _todos.c.project_id.in_(project_ids))
                    .group_by(_todos.c.project_id, _todos.c.status)
                )
            ).all()
            writers = (
                await conn.execute(
                    select(_contributors.c.project_id, func.count())
                    .where(_contributors.c.tenant_id == tenant_id, _contributors.c.project_id.in_(project_ids))
                    .group_by(_contributors.c.project_id)
                )
            ).all()
        statuses: dict[str, dict[str, int]] = defaultdict(dict)
        for project_id, status, count in by_status:
            statuses[project_id][status] = int(count)
        return statuses, {project_id: int(count) for project_id, count in writers}


async def _load(conn: AsyncConnection, tenant_id: str, project_id: str) -> list[_StoredTodo]:
    rows = (
        await conn.execute(
            select(_todos.c.id, _todos.c.position, _todos.c.updated_at_ms, *_TODO_COLUMNS)
            .where(*_of_project(_todos, tenant_id, project_id))
            .order_by(_todos.c.position, _todos.c.id)
        )
    ).all()
    return [_StoredTodo(r[0], r[1], r[2], TodoRecord(*r[3:])) for r in rows]


async def _apply(
    conn: AsyncConnection,
    tenant_id: str,
    project_id: str,
    stored: list[_StoredTodo],
    final: list[TodoRecord],
    now_ms: int,
) -> None:
    """Writes the difference between the stored list and `final` (positions 0..n-1)."""
    by_content = {s.todo.content: s for s in stored}
    kept = {t.content for t in final}
    gone = [s.row_id for s in stored if s.todo.content not in kept]
    if gone:
        await conn.execute(delete(_todos).where(_todos.c.id.in_(gone)))
    changes: list[dict[str, Any]] = []
    additions: list[dict[str, Any]] = []
    for position, todo in enumerate(final):
        old = by_content.get(todo.content)
        if old is None:
            additions.append(
                {
                    "tenant_id": tenant_id,
                    "project_id": project_id,
                    "content": todo.content,
                    "status": todo.status,
                    "active_form": todo.active_form,
                    "added_by": todo.added_by,
                    "added_at_ms": todo.added_at_ms,
                    "updated_at_ms": now_ms,
                    "position": position,
                }
            )
        elif old.todo != todo or old.position != position:
            changes.append(
                {
                    "b_id": old.row_id,
                    "b_status": todo.status,
                    "b_active_form": todo.active_form,
                    "b_added_by": todo.added_by,
                    "b_added_at_ms": todo.added_at_ms,
                    "b_updated_at_ms": now_ms if old.todo != todo else old.updated_at_ms,
                    "b_position": position,
                }
            )
    if changes:
        await conn.execute(_UPDATE_TODO, changes)
    if additions:
        await conn.execute(insert(_todos), additions)


async def _sessions_of(conn: AsyncConnection, tenant_id: str, project_id: str) -> list[str]:
    rows = await conn.scalars(
        select(_contributors.c.session_id)
        .where(*_of_project(_contributors, tenant_id, project_id))
        .order_by(_contributors.c.first_synced_at_ms, _contributors.c.session_id)
    )
    return list(rows)


def _upsert_contributor(dialect: str, tenant_id: str, project_id: str, session_id: str, now_ms: int) -> Any:
    insert_for = upsert_insert(dialect)
    stmt = insert_for(_contributors).values(
        tenant_id=tenant_id,
        project_id=project_id,
        session_id=session_id,
        first_synced_at_ms=now_ms,
        last_synced_at_ms=now_ms,
    )
    return stmt.on_conflict_do_update(
        index_elements=["tenant_id", "project_id", "session_id"], set_={"last_synced_at_ms": now_ms}
    )
