"""Composition of the ChittyOS Sync hub: stores, domain services and the servicer."""

from __future__ import annotations

from server.domain.projects import ProjectService
from server.domain.todos import TodoService
from server.domain.topics import TopicService
from server.domain.work_sessions import WorkSessionService
from server.services.chittyos_sync import ChittySyncService
from server.storage.project_store import ProjectStore
from server.storage.todo_store import TodoStore
from server.storage.topic_store import TopicStore
from server.storage.work_session_store import WorkSessionStore
from server.surfaces import Platform


def sync_servicer(platform: Platform) -> ChittySyncService:
    db, clock = platform.db, platform.clock
    projects, todos = ProjectStore(db), TodoStore(db)
    return ChittySyncService(
        projects=ProjectService(projects, todos, clock),
        sessions=WorkSessionService(WorkSessionStore(db), clock, platform.settings.chittyos.sync.session_timeout),
        todos=TodoService(todos, projects, clock),
        topics=TopicService(TopicStore(db), clock),
        clock=clock,
    )
