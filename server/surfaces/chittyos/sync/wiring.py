"""Composition of the ChittyOS Sync hub: stores, domain services and the servicer."""

from __future__ import annotations

from chorus_contracts.chittyos.sync.v1 import sync_pb2_grpc

from server.platform.surface import Platform, ServiceUnit
from server.surfaces.chittyos.auth.policies import RequirePermission
from server.surfaces.chittyos.deployment import chittyos
from server.surfaces.chittyos.settings import SETTINGS
from server.surfaces.chittyos.sync.projects import ProjectService
from server.surfaces.chittyos.sync.servicer import ChittySyncService
from server.surfaces.chittyos.sync.stores.project_store import ProjectStore
from server.surfaces.chittyos.sync.stores.todo_store import TodoStore
from server.surfaces.chittyos.sync.stores.topic_store import TopicStore
from server.surfaces.chittyos.sync.stores.work_session_store import WorkSessionStore
from server.surfaces.chittyos.sync.todos import TodoService
from server.surfaces.chittyos.sync.topics import TopicService
from server.surfaces.chittyos.sync.work_sessions import WorkSessionService


def sync_servicer(platform: Platform) -> ChittySyncService:
    db, clock = platform.db, platform.clock
    projects, todos = ProjectStore(db), TodoStore(db)
    return ChittySyncService(
        projects=ProjectService(projects, todos, clock),
        sessions=WorkSessionService(WorkSessionStore(db), clock, SETTINGS.of(platform.settings).sync.session_timeout),
        todos=TodoService(todos, projects, clock),
        topics=TopicService(TopicStore(db), clock),
        clock=clock,
    )


async def build(platform: Platform) -> list[ServiceUnit]:
    core = await chittyos(platform)
    return [
        ServiceUnit(
            "chittyos.sync.v1.SyncService",
            sync_pb2_grpc.add_SyncServiceServicer_to_server,
            sync_servicer(platform),
            (core.in_tenant, RequirePermission(core.tokens)),
        )
    ]
