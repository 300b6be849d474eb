"""Projects: what AI sessions work on, with the files they touched and a shared todo list.

Surface-agnostic: a project is a tenant's id, name, free-form metadata,
the files worked on, and its todos (kept by `todos.TodoService`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import grpc

from server.platform.clock import Clock
from server.platform.errors import ChorusError
from server.platform.merge_patch import merge_patch
from server.platform.validation import Violations
from server.surfaces.chittyos.sync.resource_fields import (
    INVALID_REQUEST,
    Page,
    check_id,
    check_metadata,
    check_text,
    id_taken,
    require_metadata_size,
)
from server.surfaces.chittyos.sync.stores.project_store import ProjectRecord, ProjectStore
from server.surfaces.chittyos.sync.stores.todo_store import TodoRecord, TodoStore

MAX_NAME = 200
MAX_FILE_PATH = 1024
MAX_FILES_PER_REQUEST = 1000
MAX_FILES = 10_000


@dataclass(frozen=True, slots=True)
class NewProject:
    id: str
    name: str  # "" means: the id
    metadata: dict[str, Any]
    files_worked: list[str]


@dataclass(frozen=True, slots=True)
class ProjectChanges:
    name: str | None  # None: unchanged
    metadata_patch: dict[str, Any] | None  # RFC 7386 merge patch; None: unchanged
    files_worked: list[str]  # appended when not listed yet


@dataclass(frozen=True, slots=True)
class ProjectState:
    """A project and its todos, as read together."""

    project: ProjectRecord
    todos: list[TodoRecord]


def project_not_found(project_id: str) -> ChorusError:
    return ChorusError(
        grpc.StatusCode.NOT_FOUND,
        "PROJECT_NOT_FOUND",
        "Project not found",
        info={"message": "Project doesn't exist", "projectId": project_id},
    )


def check_project_id(project_id: str, field: str = "projectId") -> None:
    problems = Violations()
    check_id(problems, field, project_id)
    problems.raise_if_any(INVALID_REQUEST)


def _check_files(problems: Violations, files: list[str]) -> None:
    if len(files) > MAX_FILES_PER_REQUEST:
        problems.add("filesWorked", f"Array must contain at most {MAX_FILES_PER_REQUEST} element(s)")
        return
    for index, path in enumerate(files):
        check_text(problems, f"filesWorked.{index}", path, MAX_FILE_PATH, required=True)


def _with_files(known: list[str], added: list[str]) -> list[str]:
    """`known` then the new paths of `added`, in order, each once."""
    seen = set(known)
    merged = list(known)
    for path in added:
        if path not in seen:
            seen.add(path)
            merged.append(path)
    return merged


def _check_file_total(files: list[str]) -> None:
    if len(files) > MAX_FILES:
        problems = Violations()
        problems.add("filesWorked", f"A project lists at most {MAX_FILES} files")
        problems.raise_if_any(INVALID_REQUEST)


class ProjectService:
    def __init__(self, projects: ProjectStore, todos: TodoStore, clock: Clock) -> None:
        self._projects = projects
        self._todos = todos
        self._clock = clock

    async def create(self, tenant_id: str, new: NewProject) -> ProjectRecord:
        problems = Violations()
        check_id(problems, "id", new.id)
        check_text(problems, "name", new.name, MAX_NAME)
        check_metadata(problems, "metadata", new.metadata)
        _check_files(problems, new.files_worked)
        problems.raise_if_any(INVALID_REQUEST)
        now = self._clock.now_ms()
        record = ProjectRecord(
            id=new.id,
            name=new.name.strip() or new.id,
            metadata=new.metadata,
            files_worked=_with_files([], new.files_worked),
            created_at_ms=now,
            last_sync_ms=now,
            todos_synced_at_ms=None,
        )
        if not await self._projects.insert(tenant_id, record):
            raise id_taken("Project", "projectId", new.id)
        return record

    async def get(self, tenant_id: str, project_id: str) -> ProjectState:
        check_project_id(project_id)
        project = await self._projects.get(tenant_id, project_id)
        if project is None:
            raise project_not_found(project_id)
        todos = await self._todos.todos_of(tenant_id, [project_id])
        return ProjectState(project, todos.get(project_id, []))

    async def list(self, tenant_id: str, page: Page) -> tuple[list[ProjectState], int]:
        projects, total = await self._projects.page(tenant_id, page.limit, page.offset)
        todos = await self._todos.todos_of(tenant_id, [p.id for p in projects])
        return [ProjectState(p, todos.get(p.id, [])) for p in projects], total

    async def update(self, tenant_id: str, project_id: str, changes: ProjectChanges) -> ProjectState:
        problems = Violations()
        check_id(problems, "projectId", project_id)
        if changes.name is not None:
            check_text(problems, "name", changes.name, MAX_NAME, required=True)
        if changes.metadata_patch is not None:
            check_metadata(problems, "metadata", changes.metadata_patch)
        _check_files(problems, changes.files_worked)
        problems.raise_if_any(INVALID_REQUEST)
        now = self._clock.now_ms()

        def apply(project: ProjectRecord) -> ProjectRecord:
            metadata = project.metadata
            if changes.metadata_patch is not None:
                metadata = merge_patch(metadata, changes.metadata_patch)
                require_metadata_size(metadata)
            files = _with_files(project.files_worked, changes.files_worked)
            _check_file_total(files)
            return dataclasses.replace(
                project,
                name=project.name if changes.name is None else changes.name.strip(),
                metadata=metadata,
                files_worked=files,
                last_sync_ms=now,
            )

        updated = await self._projects.update(tenant_id, project_id, apply)
        if updated is None:
            raise project_not_found(project_id)
        todos = await self._todos.todos_of(tenant_id, [project_id])
        return ProjectState(updated, todos.get(project_id, []))

    async def delete(self, tenant_id: str, project_id: str) -> None:
        """Removes the project and its todos; sessions that named it are left as they are."""
        check_project_id(project_id)
        if not await self._projects.delete(tenant_id, project_id):
            raise project_not_found(project_id)

    async def counts(self, tenant_id: str) -> tuple[int, int]:
        """(projects, projects whose todos were written at least once)."""
        return await self._projects.counts(tenant_id)
