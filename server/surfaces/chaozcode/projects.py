"""Projects: each user's own, listed in pages, updated field by field, deleted with all they have.

A project's associated data, in this part of the API, is its recorded events
(`project.updated`, kept for webhook deliveries): deleting the project
deletes them in the same transaction. An update records `project.updated`
in the transaction that changes the project, and emits it to the owner's webhooks there.
"""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.exc import IntegrityError

from server.platform.clock import Clock
from server.platform.errors import ChorusError, FieldViolation, already_exists, invalid_argument, not_found
from server.platform.merge_patch import merge_patch
from server.platform.storage.database import Database
from server.surfaces.chaozcode.events import PROJECT_UPDATED, ChaozCodeEvents
from server.surfaces.chaozcode.query import missing
from server.surfaces.chaozcode.tables import EventRow, ProjectRow

MAX_NAME = 200
MAX_DESCRIPTION = 10_000
DEFAULT_PAGE, MAX_PAGE = 20, 100
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True, slots=True)
class Project:
    id: str
    name: str
    description: str
    settings: dict[str, Any]
    created_at_ms: int
    updated_at_ms: int


@dataclass(frozen=True, slots=True)
class ProjectPage:
    projects: list[Project]
    next_token: str
    total: int


def _project(row: ProjectRow) -> Project:
    return Project(row.id, row.name, row.description, orjson.loads(row.settings), row.created_at_ms, row.updated_at_ms)


def _invalid(name: str, reason: str, message: str) -> ChorusError:
    return invalid_argument(message, (FieldViolation(name, reason),))


def _check(name: str | None, description: str | None) -> None:
    if name is not None and not 1 <= len(name) <= MAX_NAME:
        raise _invalid("name", "out_of_range", f"name must be 1 to {MAX_NAME} characters")
    if description is not None and len(description) > MAX_DESCRIPTION:
        raise _invalid("description", "too_long", f"description must be at most {MAX_DESCRIPTION} characters")


def _token(row: Project) -> str:
    return base64.urlsafe_b64encode(f"{row.created_at_ms}:{row.id}".encode()).decode()


def _position(token: str) -> tuple[int, str]:
    try:
        created, _, project_id = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        return int(created), project_id
    except (ValueError, UnicodeDecodeError):
        raise _invalid("pageToken", "invalid", "pageToken is not one this API gave") from None


def _subject(project_id: str) -> str:
    return f"project:{project_id}"


class ProjectService:
    def __init__(self, db: Database, clock: Clock, events: ChaozCodeEvents) -> None:
        self._db = db
        self._clock = clock
        self._events = events

    async def create(
        self, tenant_id: str, owner_id: str, name: str, description: str, settings: dict[str, Any], project_id: str
    ) -> Project:
        if not name:
            raise missing("name")
        _check(name, description)
        if project_id and not _ID.fullmatch(project_id):
            raise _invalid("id", "invalid", "id must be 1-64 letters, digits, '-' or '_'")
        now = self._clock.now_ms()
        row = ProjectRow(
            tenant_id=tenant_id,
            owner_id=owner_id,
            id=project_id or "proj_" + secrets.token_hex(12),
            name=name,
            description=description,
            settings=orjson.dumps(settings).decode(),
            created_at_ms=now,
            updated_at_ms=now,
        )
        try:
            async with self._db.session() as session, session.begin():
                if await session.get(ProjectRow, (tenant_id, owner_id, row.id)) is not None:
                    raise _exists(row.id)
                session.add(row)
        except IntegrityError:
            raise _exists(row.id) from None
        return _project(row)

    async def get(self, tenant_id: str, owner_id: str, project_id: str) -> Project:
        async with self._db.session() as session:
            row = await session.get(ProjectRow, (tenant_id, owner_id, project_id))
        if row is None:
            raise _not_found(project_id)
        return _project(row)

    async def page(self, tenant_id: str, owner_id: str, size: int, token: str) -> ProjectPage:
        if size < 0 or size > MAX_PAGE:
            raise _invalid("pageSize", "out_of_range", f"pageSize must be 1 to {MAX_PAGE}")
        size = size or DEFAULT_PAGE
        owned = and_(ProjectRow.tenant_id == tenant_id, ProjectRow.owner_id == owner_id)
        query = select(ProjectRow).where(owned)
        if token:
            created, after_id = _position(token)
            query = query.where(
                or_(
                    ProjectRow.created_at_ms > created,
                    and_(ProjectRow.created_at_ms == created, ProjectRow.id > after_id),
                )
            )
        query = query.order_by(ProjectRow.created_at_ms, ProjectRow.id).limit(size + 1)
        async with self._db.session() as session:
            rows = [_project(r) for r in await session.scalars(query)]
            total = int(await session.scalar(select(func.count()).select_from(ProjectRow).where(owned)) or 0)
        more = len(rows) > size
        rows = rows[:size]
        return ProjectPage(rows, _token(rows[-1]) if more else "", total)

    async def update(
        self,
        tenant_id: str,
        owner_id: str,
        project_id: str,
        *,
        name: str | None,
        description: str | None,
        settings: dict[str, Any] | None,
    ) -> Project:
        """Changes what is given (settings merged) and records `project.updated`, together."""
        _check(name, description)
        now = self._clock.now_ms()
        async with self._db.session() as session, session.begin():
            row = await session.get(ProjectRow, (tenant_id, owner_id, project_id))
            if row is None:
                raise _not_found(project_id)
            changed: list[str] = []
            if name is not None:
                row.name = name
                changed.append("name")
            if description is not None:
                row.description = description
                changed.append("description")
            if settings is not None:
                row.settings = orjson.dumps(merge_patch(orjson.loads(row.settings), settings)).decode()
                changed.append("settings")
            row.updated_at_ms = now
            data = {"projectId": project_id, "changed": changed}
            event_id = await self._events.emit(await session.connection(), owner_id, PROJECT_UPDATED, data)
            session.add(
                EventRow(
                    id=event_id,
                    tenant_id=tenant_id,
                    owner_id=owner_id,
                    type=PROJECT_UPDATED,
                    subject=_subject(project_id),
                    data=orjson.dumps(data).decode(),
                    created_at_ms=now,
                )
            )
            project = _project(row)
        return project

    async def delete(self, tenant_id: str, owner_id: str, project_id: str) -> None:
        """The project and its events, in one transaction."""
        async with self._db.session() as session, session.begin():
            row = await session.get(ProjectRow, (tenant_id, owner_id, project_id))
            if row is None:
                raise _not_found(project_id)
            await session.execute(
                delete(EventRow).where(
                    EventRow.tenant_id == tenant_id,
                    EventRow.owner_id == owner_id,
                    EventRow.subject == _subject(project_id),
                )
            )
            await session.delete(row)


def _exists(project_id: str) -> ChorusError:
    return already_exists(f"Project '{project_id}' already exists", info={"field": "id"})


def _not_found(project_id: str) -> ChorusError:
    return not_found(f"Project '{project_id}' not found")
