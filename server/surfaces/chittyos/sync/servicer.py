"""chittyos.sync.v1.SyncService: the Sync hub's routes over the project, session, todo and topic domains."""

from __future__ import annotations

from typing import Any

import grpc
from chorus_contracts.chittyos.sync.v1 import sync_pb2, sync_pb2_grpc

from server.platform.admission.call import current_tenant_id
from server.platform.clock import Clock
from server.platform.document_enums import DocumentEnum
from server.platform.errors import ChorusError
from server.platform.struct_values import dict_to_struct, struct_to_dict
from server.platform.times import rfc3339_ms
from server.platform.validation import Violations
from server.surfaces.chittyos.sync.projects import NewProject, ProjectChanges, ProjectService, ProjectState
from server.surfaces.chittyos.sync.resource_fields import INVALID_REQUEST, Page, check_page
from server.surfaces.chittyos.sync.stores.todo_store import TodoRecord
from server.surfaces.chittyos.sync.todos import TODO_STATUS, TodoInput, TodoService
from server.surfaces.chittyos.sync.topics import NewConversation, TopicService
from server.surfaces.chittyos.sync.work_sessions import NewWorkSession, WorkSessionService

VERSION = "2.0.0"
# The document's platforms, from the contract (chittyos.sync.v1.Platform).
PLATFORM = DocumentEnum(sync_pb2.Platform)
PLATFORMS = PLATFORM.choices
# The document's notes, verbatim.
PROJECT_DELETED_NOTE = "Project removed from sync index (GitHub data preserved)"
HEARTBEAT_NOTE = "Sessions auto-update via heartbeat mechanism"

_HEALTH = sync_pb2.GetHealthResponse(
    service="sync",
    status="healthy",
    version=VERSION,
    architecture="Platform Integration Hub",
    platforms=PLATFORMS,
    resources=("project", "session", "topic", "todos", "orchestration"),
    endpoints=sync_pb2.Endpoints(
        platforms=sync_pb2.PlatformEndpoints(**{name: f"/{name}" for name in PLATFORMS}),
        resources=sync_pb2.ResourceEndpoints(
            project="/api/project",
            session="/api/session",
            topic="/api/topic",
            todos="/api/todos",
            orchestrate="/api/orchestrate",
            status="/api/status",
        ),
    ),
)


def _page(limit: int | None, offset: int) -> Page:
    problems = Violations()
    page = check_page(problems, limit, offset)
    problems.raise_if_any(INVALID_REQUEST)
    return page


def _limit(request: Any) -> int | None:
    return request.limit if request.HasField("limit") else None


def _metadata_in(request: Any) -> dict[str, Any] | None:
    """The request's `metadata` Struct as a dict, or None when it was left out."""
    if not request.HasField("metadata"):
        return None
    return struct_to_dict(request.metadata)


def _todo(todo: TodoRecord) -> sync_pb2.Todo:
    return sync_pb2.Todo(
        content=todo.content,
        status=TODO_STATUS.number(todo.status),
        active_form=todo.active_form,
        added_by=todo.added_by,
        added_at=rfc3339_ms(todo.added_at_ms),
    )


def _todo_inputs(given: Any) -> list[TodoInput]:
    return [
        TodoInput(t.content, TODO_STATUS.text(t.status), t.active_form if t.HasField("active_form") else None)
        for t in given
    ]


def _project_detail(state: ProjectState) -> sync_pb2.ProjectDetail:
    project = state.project
    return sync_pb2.ProjectDetail(
        id=project.id,
        name=project.name,
        last_sync=rfc3339_ms(project.last_sync_ms),
        files_worked=project.files_worked,
        consolidated_todos=[_todo(t) for t in state.todos],
        from_github=False,
        metadata=dict_to_struct(project.metadata),
    )


def _platform_unavailable(platform: str) -> ChorusError:
    if platform == "local":
        return ChorusError(
            grpc.StatusCode.UNIMPLEMENTED,
            "LOCAL_RUNTIME_REQUIRED",
            "Local sync unavailable",
            info={
                "message": "Requires Node.js runtime: local sync reads Claude files on the client's machine",
                "platform": platform,
            },
        )
    return ChorusError(
        grpc.StatusCode.UNIMPLEMENTED,
        "PLATFORM_NOT_CONFIGURED",
        "Platform not configured",
        info={"message": f"The {platform} integration is not configured on this server", "platform": platform},
    )


class ChittySyncService(sync_pb2_grpc.SyncServiceServicer):
    def __init__(
        self,
        projects: ProjectService,
        sessions: WorkSessionService,
        todos: TodoService,
        topics: TopicService,
        clock: Clock,
    ) -> None:
        self._projects = projects
        self._sessions = sessions
        self._todos = todos
        self._topics = topics
        self._clock = clock

    def _now(self) -> str:
        return rfc3339_ms(self._clock.now_ms())

    async def GetHealth(
        self, request: sync_pb2.GetHealthRequest, context: grpc.aio.ServicerContext
    ) -> sync_pb2.GetHealthResponse:
        return _HEALTH

    async def GetStatus(
        self, request: sync_pb2.GetStatusRequest, context: grpc.aio.ServicerContext
    ) -> sync_pb2.GetStatusResponse:
        tenant = current_tenant_id()
        projects, synced = await self._projects.counts(tenant)
        sessions, active = await self._sessions.counts(tenant)
        categories, conversations = await self._topics.counts(tenant)
        return sync_pb2.GetStatusResponse(
            service="sync",
            version=VERSION,
            timestamp=self._now(),
            projects=sync_pb2.ProjectCounts(total=projects, synced=synced),
            sessions=sync_pb2.SessionCounts(total=sessions, active=active),
            topics=sync_pb2.TopicCounts(categories=categories, total_conversations=conversations),
        )

    # --- projects ---

    async def ListProjects(
        self, request: sync_pb2.ListProjectsRequest, context: grpc.aio.ServicerContext
    ) -> sync_pb2.ListProjectsResponse:
        states, total = await self._projects.list(current_tenant_id(), _page(_limit(request), request.offset))
        return sync_pb2.ListProjectsResponse(
            projects=[
                sync_pb2.ProjectSummary(
                    id=s.project.id,
                    name=s.project.name,
                    last_sync=rfc3339_ms(s.project.last_sync_ms),
                    files_worked=s.project.files_worked,
                    consolidated_todos=[_todo(t) for t in s.todos],
                )
                for s in states
            ],
            total=total,
            timestamp=self._now(),
        )

    async def GetProject(
        self, request: sync_pb2.GetProjectRequest, context: grpc.aio.ServicerContext
    ) -> sync_pb2.GetProjectResponse:
        state = await self._projects.get(current_tenant_id(), request.project_id)
        return sync_pb2.GetProjectResponse(project=_project_detail(state))

    async def CreateProject(
        self, request: sync_pb2.CreateProjectRequest, context: grpc.aio.ServicerContext
    ) -> sync_pb2.CreateProjectResponse:
        new = NewProject(request.id, request.name, _metadata_in(request) or {}, list(request.files_worked))
        project = await self._projects.create(current_tenant_id(), new)
        return sync_pb2.CreateProjectResponse(
            success=True,
            created=True,
            project=sync_pb2.CreatedProject(
                id=project.id, name=project.name, last_sync=rfc3339_ms(project.last_sync_ms), synced_to_github=False
            ),
            services_registered=False,
        )

    async def UpdateProject(
        self, request: sync_pb2.UpdateProjectRequest, context: grpc.aio.ServicerContext
    ) -> sync_pb2.UpdateProjectResponse:
        changes = ProjectChanges(
            name=request.name if request.HasField("name") else None,
            metadata_patch=_metadata_in(request),
            files_worked=list(request.files_worked),
        )
        state = await self._projects.update(current_tenant_id(), request.project_id, changes)
        return sync_pb2.UpdateProjectResponse(success=True, project=_project_detail(state))

    async def DeleteProject(
        self, request: sync_pb2.DeleteProjectRequest, context: grpc.aio.ServicerContext
    ) -> sync_pb2.DeleteProjectResponse:
        await self._projects.delete(current_tenant_id(), request.project_id)
        return sync_pb2.DeleteProjectResponse(success=True, deleted=request.project_id, note=PROJECT_DELETED_NOTE)

    # --- sessions ---

    async def ListSessions(
        self, request: sync_pb2.ListSessionsRequest, context: grpc.aio.ServicerContext
    ) -> sync_pb2.ListSessionsResponse:
        page = await self._sessions.list(current_tenant_id(), _page(_limit(request), request.offset))
        return sync_pb2.ListSessionsResponse(
            sessions=[
                sync_pb2.SessionSummary(
                    session_id=s.id,
                    project_id=s.project_id,
                    ai_platform=s.ai_platform,
                    active=s.active(page.active_since_ms),
                    last_activity=rfc3339_ms(s.last_activity_ms),
                )
                for s in page.sessions
            ],
            total=page.total,
            active=page.active,
            timestamp=self._now(),
        )

    async def GetSession(
        self, request: sync_pb2.GetSessionRequest, context: grpc.aio.ServicerContext
    ) -> sync_pb2.GetSessionResponse:
        session = await self._sessions.get(current_tenant_id(), request.session_id)
        response = sync_pb2.GetSessionResponse(
            session_id=session.id,
            project_id=session.project_id,
            ai_platform=session.ai_platform,
            active=self._sessions.is_active(session),
            created=rfc3339_ms(session.created_at_ms),
            last_activity=rfc3339_ms(session.last_activity_ms),
            machine_id=session.machine_id,
            metadata=dict_to_struct(session.metadata),
        )
        if session.ended_at_ms is not None:
            response.ended = rfc3339_ms(session.ended_at_ms)
        return response

    async def CreateSession(
        self, request: sync_pb2.CreateSessionRequest, context: grpc.aio.ServicerContext
    ) -> sync_pb2.CreateSessionResponse:
        new = NewWorkSession(
            id=request.id,
            project_id=request.project_id,
            ai_platform=request.ai_platform,
            machine_id=request.machine_id,
            metadata=_metadata_in(request) or {},
        )
        session = await self._sessions.create(current_tenant_id(), new)
        return sync_pb2.CreateSessionResponse(
            success=True,
            session=sync_pb2.CreatedSession(
                id=session.id,
                project_id=session.project_id,
                ai_platform=session.ai_platform,
                created=rfc3339_ms(session.created_at_ms),
                active=True,
            ),
        )

    async def UpdateSession(
        self, request: sync_pb2.UpdateSessionRequest, context: grpc.aio.ServicerContext
    ) -> sync_pb2.UpdateSessionResponse:
        active = request.active if request.HasField("active") else None
        beat = await self._sessions.heartbeat(current_tenant_id(), request.session_id, active, _metadata_in(request))
        return sync_pb2.UpdateSessionResponse(
            success=True, session_id=request.session_id, updated=rfc3339_ms(beat), note=HEARTBEAT_NOTE
        )

    async def DeleteSession(
        self, request: sync_pb2.DeleteSessionRequest, context: grpc.aio.ServicerContext
    ) -> sync_pb2.DeleteSessionResponse:
        ended = await self._sessions.end(current_tenant_id(), request.session_id)
        return sync_pb2.DeleteSessionResponse(success=True, session_id=request.session_id, ended=rfc3339_ms(ended))

    # --- topics ---

    async def ListTopics(
        self, request: sync_pb2.ListTopicsRequest, context: grpc.aio.ServicerContext
    ) -> sync_pb2.ListTopicsResponse:
        categories, total = await self._topics.categories(current_tenant_id(), _page(_limit(request), request.offset))
        return sync_pb2.ListTopicsResponse(
            topics=[
                sync_pb2.TopicSummary(
                    category=c.category,
                    count=c.count,
                    avg_confidence=round(c.avg_confidence, 4),
                    last_updated=rfc3339_ms(c.last_updated_ms),
                )
                for c in categories
            ],
            total=total,
            timestamp=self._now(),
        )

    async def GetTopic(
        self, request: sync_pb2.GetTopicRequest, context: grpc.aio.ServicerContext
    ) -> sync_pb2.GetTopicResponse:
        page = _page(_limit(request), request.offset)
        category, conversations, count = await self._topics.conversations(current_tenant_id(), request.category, page)
        return sync_pb2.GetTopicResponse(
            category=category,
            conversations=[
                sync_pb2.Conversation(
                    id=c.id,
                    file=c.file,
                    category=c.category,
                    subcategories=c.subcategories,
                    confidence=c.confidence,
                    categorized=rfc3339_ms(c.categorized_at_ms),
                    content_preview=c.content_preview,
                )
                for c in conversations
            ],
            count=count,
        )

    async def CreateTopic(
        self, request: sync_pb2.CreateTopicRequest, context: grpc.aio.ServicerContext
    ) -> sync_pb2.CreateTopicResponse:
        new = NewConversation(
            id=request.id,
            content=request.content,
            file=request.file,
            category=request.category,
            subcategories=list(request.subcategories),
            confidence=request.confidence if request.HasField("confidence") else None,
        )
        conversation = await self._topics.create(current_tenant_id(), new)
        return sync_pb2.CreateTopicResponse(
            success=True,
            conversation=sync_pb2.CategorizedConversation(
                id=conversation.id,
                category=conversation.category,
                subcategories=conversation.subcategories,
                confidence=conversation.confidence,
                categorized=rfc3339_ms(conversation.categorized_at_ms),
            ),
        )

    # --- todos ---

    async def ListTodos(
        self, request: sync_pb2.ListTodosRequest, context: grpc.aio.ServicerContext
    ) -> sync_pb2.ListTodosResponse:
        summaries, total = await self._todos.summaries(current_tenant_id(), _page(_limit(request), request.offset))
        return sync_pb2.ListTodosResponse(
            projects=[
                sync_pb2.ProjectTodoSummary(
                    project_id=s.project_id,
                    todo_count=s.total,
                    last_sync=rfc3339_ms(s.last_sync_ms),
                    sessions=s.sessions,
                    pending_todos=s.by_status["pending"],
                    in_progress_todos=s.by_status["in_progress"],
                    completed_todos=s.by_status["completed"],
                )
                for s in summaries
            ],
            total=total,
            timestamp=self._now(),
        )

    async def GetTodos(
        self, request: sync_pb2.GetTodosRequest, context: grpc.aio.ServicerContext
    ) -> sync_pb2.GetTodosResponse:
        found = await self._todos.get(current_tenant_id(), request.project_id)
        return sync_pb2.GetTodosResponse(
            project_id=found.project_id,
            todos=[_todo(t) for t in found.todos],
            last_sync=rfc3339_ms(found.last_sync_ms),
            sessions=found.sessions,
        )

    async def ReplaceTodos(
        self, request: sync_pb2.ReplaceTodosRequest, context: grpc.aio.ServicerContext
    ) -> sync_pb2.ReplaceTodosResponse:
        written = await self._todos.replace(
            current_tenant_id(), request.project_id, _todo_inputs(request.todos), request.session_id
        )
        return sync_pb2.ReplaceTodosResponse(
            success=True,
            project_id=written.project_id,
            todos=[_todo(t) for t in written.todos],
            last_sync=rfc3339_ms(written.last_sync_ms),
            github_synced=False,
        )

    async def SyncTodos(
        self, request: sync_pb2.SyncTodosRequest, context: grpc.aio.ServicerContext
    ) -> sync_pb2.SyncTodosResponse:
        outcome = await self._todos.sync(
            current_tenant_id(), request.project_id, request.session_id, _todo_inputs(request.todos)
        )
        return sync_pb2.SyncTodosResponse(
            success=True,
            project_id=outcome.todos.project_id,
            session_id=request.session_id,
            todos=[_todo(t) for t in outcome.todos.todos],
            total_todos=len(outcome.todos.todos),
            added=outcome.added,
            updated=outcome.updated,
            last_sync=rfc3339_ms(outcome.todos.last_sync_ms),
        )

    # --- what needs a local runtime or an external platform ---

    async def Orchestrate(
        self, request: sync_pb2.OrchestrateRequest, context: grpc.aio.ServicerContext
    ) -> sync_pb2.OrchestrateResponse:
        raise ChorusError(
            grpc.StatusCode.UNIMPLEMENTED,
            "LOCAL_RUNTIME_REQUIRED",
            "Todo orchestration unavailable",
            info={
                "message": "Requires Node.js runtime: orchestration reads the sessions' files on the client's machine"
            },
        )

    async def SyncPlatform(
        self, request: sync_pb2.SyncPlatformRequest, context: grpc.aio.ServicerContext
    ) -> sync_pb2.SyncPlatformResponse:
        platform = PLATFORM.text(request.platform)
        if platform not in PLATFORMS:
            problems = Violations()
            problems.add("platform", "Must be one of: " + ", ".join(PLATFORMS))
            problems.raise_if_any(INVALID_REQUEST)
        raise _platform_unavailable(platform)
