"""A project's unified todo list, written by many sessions.

A todo is identified by its exact `content` within its project. A replace
sets the whole list; a sync merges one session's todos into it: a known
todo takes the session's status (and `activeForm`, when given), a new one is
appended with `addedBy` = the session. The store runs each write as one
transaction on the project (see `storage.todo_store`), so concurrent syncs
from several sessions lose nothing and their counts are exact.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from chorus_contracts.chittyos.sync.v1 import sync_pb2

from server.platform.clock import Clock
from server.platform.document_enums import DocumentEnum
from server.platform.errors import ChorusError
from server.platform.validation import Violations
from server.surfaces.chittyos.sync.projects import check_project_id, project_not_found
from server.surfaces.chittyos.sync.resource_fields import INVALID_REQUEST, Page, check_id, check_text
from server.surfaces.chittyos.sync.stores.project_store import ProjectStore
from server.surfaces.chittyos.sync.stores.todo_store import (
    Refusal,
    TodoListRecord,
    TodoRecord,
    TodoStore,
    TodoWriteRefused,
)
from server.surfaces.chittyos.sync.work_sessions import session_ended, session_not_found

# The document's closed set, from the contract (chittyos.sync.v1.TodoStatus).
TODO_STATUS = DocumentEnum(sync_pb2.TodoStatus)
TODO_STATUSES = TODO_STATUS.choices
MAX_CONTENT = 500
MAX_ACTIVE_FORM = 500
MAX_TODOS = 1000


@dataclass(frozen=True, slots=True)
class TodoInput:
    content: str
    status: str
    active_form: str | None  # None: keep a known todo's, "" for a new one


@dataclass(frozen=True, slots=True)
class SyncOutcome:
    todos: TodoListRecord
    added: int
    updated: int


@dataclass(frozen=True, slots=True)
class TodoSummary:
    project_id: str
    last_sync_ms: int
    sessions: int  # sessions that wrote the project's todos
    by_status: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def _check_todos(problems: Violations, todos: list[TodoInput]) -> None:
    if len(todos) > MAX_TODOS:
        problems.add("todos", f"Array must contain at most {MAX_TODOS} element(s)")
        return
    seen: set[str] = set()
    for index, todo in enumerate(todos):
        where = f"todos.{index}"
        check_text(problems, f"{where}.content", todo.content, MAX_CONTENT, required=True)
        if todo.content in seen:
            problems.add(f"{where}.content", "Duplicate content: each todo's content must be unique")
        seen.add(todo.content)
        if todo.status not in TODO_STATUSES:
            problems.add(f"{where}.status", "Must be one of: " + ", ".join(TODO_STATUSES))
        if todo.active_form is not None:
            check_text(problems, f"{where}.activeForm", todo.active_form, MAX_ACTIVE_FORM)


def _updated(known: TodoRecord, given: TodoInput) -> TodoRecord:
    active_form = known.active_form if given.active_form is None else given.active_form
    return dataclasses.replace(known, status=given.status, active_form=active_form)


def _new(given: TodoInput, added_by: str, now_ms: int) -> TodoRecord:
    return TodoRecord(given.content, given.status, given.active_form or "", added_by, now_ms)


def plan_replace(current: list[TodoRecord], given: list[TodoInput], session_id: str, now_ms: int) -> list[TodoRecord]:
    """The list `given` describes; todos already listed keep who added them and when."""
    known = {t.content: t for t in current}
    return [_updated(known[t.content], t) if t.content in known else _new(t, session_id, now_ms) for t in given]


def plan_sync(
    current: list[TodoRecord], given: list[TodoInput], session_id: str, now_ms: int
) -> tuple[list[TodoRecord], tuple[int, int]]:
    """The merged list, and (todos added, known todos whose status or activeForm changed)."""
    merged = list(current)
    index = {t.content: i for i, t in enumerate(current)}
    added = updated = 0
    for todo in given:
        at = index.get(todo.content)
        if at is None:
            index[todo.content] = len(merged)
            merged.append(_new(todo, session_id, now_ms))
            added += 1
            continue
        changed = _updated(merged[at], todo)
        if changed != merged[at]:
            merged[at] = changed
            updated += 1
    return merged, (added, updated)


def _refused(refusal: Refusal, project_id: str, session_id: str) -> ChorusError:
    if refusal is Refusal.PROJECT_MISSING:
        return project_not_found(project_id)
    if refusal is Refusal.SESSION_MISSING:
        return session_not_found(session_id)
    return session_ended(session_id)


class TodoService:
    def __init__(self, todos: TodoStore, projects: ProjectStore, clock: Clock) -> None:
        self._todos = todos
        self._projects = projects
        self._clock = clock

    async def get(self, tenant_id: str, project_id: str) -> TodoListRecord:
        check_project_id(project_id)
        found = await self._todos.get(tenant_id, project_id)
        if found is None:
            raise project_not_found(project_id)
        return found

    async def replace(
        self, tenant_id: str, project_id: str, todos: list[TodoInput], session_id: str = ""
    ) -> TodoListRecord:
        problems = Violations()
        check_id(problems, "projectId", project_id)
        if session_id:
            check_id(problems, "sessionId", session_id)
        _check_todos(problems, todos)
        problems.raise_if_any(INVALID_REQUEST)
        now = self._clock.now_ms()
        try:
            written, _ = await self._todos.write(
                tenant_id,
                project_id,
                session_id,
                now,
                lambda current: (plan_replace(current, todos, session_id, now), None),
            )
        except TodoWriteRefused as refused:
            raise _refused(refused.refusal, project_id, session_id) from None
        return written

    async def sync(self, tenant_id: str, project_id: str, session_id: str, todos: list[TodoInput]) -> SyncOutcome:
        problems = Violations()
        check_id(problems, "projectId", project_id)
        check_id(problems, "sessionId", session_id)
        _check_todos(problems, todos)
        problems.raise_if_any(INVALID_REQUEST)
        now = self._clock.now_ms()
        try:
            written, (added, updated) = await self._todos.write(
                tenant_id, project_id, session_id, now, lambda current: plan_sync(current, todos, session_id, now)
            )
        except TodoWriteRefused as refused:
            raise _refused(refused.refusal, project_id, session_id) from None
        return SyncOutcome(written, added, updated)

    async def summaries(self, tenant_id: str, page: Page) -> tuple[list[TodoSummary], int]:
        """Every project's todo counts (from the todo rows themselves), projects oldest first."""
        projects, total = await self._projects.page(tenant_id, page.limit, page.offset)
        ids = [p.id for p in projects]
        by_status, writers = await self._todos.counts_of(tenant_id, ids)
        summaries = [
            TodoSummary(
                project_id=p.id,
                last_sync_ms=p.last_sync_ms,
                sessions=writers.get(p.id, 0),
                by_status={status: by_status.get(p.id, {}).get(status, 0) for status in TODO_STATUSES},
            )
            for p in projects
        ]
        return summaries, total
