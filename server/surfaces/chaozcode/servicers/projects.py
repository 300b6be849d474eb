"""chaozcode.v2.ProjectService: the caller's projects."""

from __future__ import annotations

import grpc
from chorus_contracts.chaozcode.v2 import projects_pb2, projects_pb2_grpc
from google.protobuf.json_format import MessageToDict
from google.protobuf.struct_pb2 import Struct

from server.platform.admission.call import current_tenant_id
from server.surfaces.chaozcode.projects import Project, ProjectService
from server.surfaces.chaozcode.servicers.common import grant, timestamp


def _project(project: Project) -> projects_pb2.Project:
    settings = Struct()
    settings.update(project.settings)
    return projects_pb2.Project(
        id=project.id,
        name=project.name,
        description=project.description,
        settings=settings,
        created_at=timestamp(project.created_at_ms),
        updated_at=timestamp(project.updated_at_ms),
    )


class ChaozCodeProjectService(projects_pb2_grpc.ProjectServiceServicer):
    def __init__(self, projects: ProjectService) -> None:
        self._projects = projects

    async def ListProjects(
        self, request: projects_pb2.ListProjectsRequest, context: grpc.aio.ServicerContext
    ) -> projects_pb2.ListProjectsResponse:
        page = await self._projects.page(current_tenant_id(), grant().user_id, request.page_size, request.page_token)
        return projects_pb2.ListProjectsResponse(
            projects=[_project(p) for p in page.projects], next_page_token=page.next_token, total=page.total
        )

    async def CreateProject(
        self, request: projects_pb2.CreateProjectRequest, context: grpc.aio.ServicerContext
    ) -> projects_pb2.CreateProjectResponse:
        project = await self._projects.create(
            current_tenant_id(),
            grant().user_id,
            request.name,
            request.description,
            MessageToDict(request.settings),
            request.id,
        )
        return projects_pb2.CreateProjectResponse(project=_project(project))

    async def GetProject(
        self, request: projects_pb2.GetProjectRequest, context: grpc.aio.ServicerContext
    ) -> projects_pb2.GetProjectResponse:
        project = await self._projects.get(current_tenant_id(), grant().user_id, request.project_id)
        return projects_pb2.GetProjectResponse(project=_project(project))

    async def UpdateProject(
        self, request: projects_pb2.UpdateProjectRequest, context: grpc.aio.ServicerContext
    ) -> projects_pb2.UpdateProjectResponse:
        project = await self._projects.update(
            current_tenant_id(),
            grant().user_id,
            request.project_id,
            name=request.name if request.HasField("name") else None,
            description=request.description if request.HasField("description") else None,
            settings=MessageToDict(request.settings) if request.HasField("settings") else None,
        )
        return projects_pb2.UpdateProjectResponse(project=_project(project))

    async def DeleteProject(
        self, request: projects_pb2.DeleteProjectRequest, context: grpc.aio.ServicerContext
    ) -> projects_pb2.DeleteProjectResponse:
        await self._projects.delete(current_tenant_id(), grant().user_id, request.project_id)
        return projects_pb2.DeleteProjectResponse(id=request.project_id, deleted=True)
