"""Sync service over gRPC: the same methods, credentials in metadata, rich error status."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import grpc
import pytest
from chorus_contracts.chittyos.sync.v1 import sync_pb2, sync_pb2_grpc
from google.protobuf import struct_pb2

from tests.support.chittyos_sync import unique
from tests.support.chorus_process import ChorusProcess
from tests.support.grpc_status import error_info, field_violations, violated_fields
from tests.support.grpcurl import grpcurl

Metadata = tuple[tuple[str, str], ...]


@pytest.fixture(scope="module")
def stub(chittyos: ChorusProcess) -> Iterator[sync_pb2_grpc.SyncServiceStub]:
    channel = grpc.insecure_channel(chittyos.grpc_addr)
    yield sync_pb2_grpc.SyncServiceStub(channel)
    channel.close()


@pytest.fixture(scope="module")
def writer(mint_token: Callable[..., str]) -> Metadata:
    return (("authorization", f"Bearer {mint_token(['read', 'write'])}"),)


def test_health_needs_no_credentials(stub: sync_pb2_grpc.SyncServiceStub) -> None:
    health = stub.GetHealth(sync_pb2.GetHealthRequest())
    assert (health.service, health.status, health.version) == ("sync", "healthy", "2.0.0")
    assert health.endpoints.resources.todos == "/api/todos"


def test_create_get_and_conflict(stub: sync_pb2_grpc.SyncServiceStub, writer: Metadata) -> None:
    project_id = unique("proj")
    metadata = struct_pb2.Struct()
    metadata.update({"team": "core"})
    created = stub.CreateProject(
        sync_pb2.CreateProjectRequest(id=project_id, name="Via gRPC", metadata=metadata, files_worked=["a.py"]),
        metadata=writer,
    )
    assert created.success and created.created and created.project.name == "Via gRPC"
    assert not created.project.synced_to_github and not created.services_registered
    got = stub.GetProject(sync_pb2.GetProjectRequest(project_id=project_id), metadata=writer).project
    assert (got.id, got.name, list(got.files_worked), got.last_sync) == (
        project_id,
        "Via gRPC",
        ["a.py"],
        created.project.last_sync,
    )
    assert dict(got.metadata) == {"team": "core"} and not got.from_github
    with pytest.raises(grpc.RpcError) as caught:
        stub.CreateProject(sync_pb2.CreateProjectRequest(id=project_id), metadata=writer)
    assert caught.value.code() == grpc.StatusCode.ALREADY_EXISTS  # type: ignore[attr-defined]
    assert error_info(caught.value).reason == "PROJECT_EXISTS"


def test_not_found_carries_error_info(stub: sync_pb2_grpc.SyncServiceStub, writer: Metadata) -> None:
    missing = unique("nope")
    with pytest.raises(grpc.RpcError) as caught:
        stub.GetProject(sync_pb2.GetProjectRequest(project_id=missing), metadata=writer)
    error = caught.value
    assert error.code() == grpc.StatusCode.NOT_FOUND  # type: ignore[attr-defined]
    assert error.details() == "Project not found"  # type: ignore[attr-defined]
    info = error_info(error)
    assert (info.reason, info.domain) == ("PROJECT_NOT_FOUND", "chorus")
    assert dict(info.metadata) == {"message": "Project doesn't exist", "projectId": missing}
    with pytest.raises(grpc.RpcError) as session_error:
        stub.GetSession(sync_pb2.GetSessionRequest(session_id=missing), metadata=writer)
    assert error_info(session_error.value).reason == "SESSION_NOT_FOUND"


def test_invalid_input_lists_every_violation(stub: sync_pb2_grpc.SyncServiceStub, writer: Metadata) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        stub.CreateSession(sync_pb2.CreateSessionRequest(id="", project_id="bad id", ai_platform=""), metadata=writer)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT  # type: ignore[attr-defined]
    info, violations = error_info(caught.value), violated_fields(caught.value)
    assert info.reason == "VALIDATION_ERROR"
    assert violations == ["id", "projectId", "aiPlatform"]


def test_todo_sync_over_grpc(stub: sync_pb2_grpc.SyncServiceStub, writer: Metadata) -> None:
    project_id, session_id = unique("proj"), unique("session")
    stub.CreateProject(sync_pb2.CreateProjectRequest(id=project_id), metadata=writer)
    stub.CreateSession(
        sync_pb2.CreateSessionRequest(id=session_id, project_id=project_id, ai_platform="gpt"), metadata=writer
    )
    todos = [
        sync_pb2.TodoInput(
            content="Fix authentication bug", status=sync_pb2.TODO_STATUS_IN_PROGRESS, active_form="Fixing it"
        ),
        sync_pb2.TodoInput(content="Ship", status=sync_pb2.TODO_STATUS_PENDING),
    ]
    synced = stub.SyncTodos(
        sync_pb2.SyncTodosRequest(project_id=project_id, session_id=session_id, todos=todos), metadata=writer
    )
    assert (synced.added, synced.updated, synced.total_todos) == (2, 0, 2)
    assert [(t.content, t.added_by) for t in synced.todos] == [
        ("Fix authentication bug", session_id),
        ("Ship", session_id),
    ]
    again = stub.SyncTodos(
        sync_pb2.SyncTodosRequest(
            project_id=project_id,
            session_id=session_id,
            todos=[sync_pb2.TodoInput(content="Ship", status=sync_pb2.TODO_STATUS_COMPLETED)],
        ),
        metadata=writer,
    )
    assert (again.added, again.updated, again.total_todos) == (0, 1, 2)
    unified = stub.GetTodos(sync_pb2.GetTodosRequest(project_id=project_id), metadata=writer)
    assert [t.status for t in unified.todos] == [sync_pb2.TODO_STATUS_IN_PROGRESS, sync_pb2.TODO_STATUS_COMPLETED]
    assert list(unified.sessions) == [session_id]


def test_credentials_are_checked_over_grpc(stub: sync_pb2_grpc.SyncServiceStub, mint_token: Callable[..., str]) -> None:
    with pytest.raises(grpc.RpcError) as anonymous:
        stub.ListProjects(sync_pb2.ListProjectsRequest())
    assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED  # type: ignore[attr-defined]
    reader = (("authorization", f"Bearer {mint_token(['read'])}"),)
    assert stub.ListProjects(sync_pb2.ListProjectsRequest(limit=1), metadata=reader).total >= 0
    with pytest.raises(grpc.RpcError) as forbidden:
        stub.CreateProject(sync_pb2.CreateProjectRequest(id=unique("proj")), metadata=reader)
    assert forbidden.value.code() == grpc.StatusCode.PERMISSION_DENIED  # type: ignore[attr-defined]


def test_platforms_are_unimplemented(stub: sync_pb2_grpc.SyncServiceStub, writer: Metadata) -> None:
    with pytest.raises(grpc.RpcError) as neon:
        stub.SyncPlatform(sync_pb2.SyncPlatformRequest(platform=sync_pb2.PLATFORM_NEON), metadata=writer)
    assert neon.value.code() == grpc.StatusCode.UNIMPLEMENTED  # type: ignore[attr-defined]
    assert dict(error_info(neon.value).metadata)["platform"] == "neon"
    with pytest.raises(grpc.RpcError) as local:
        stub.SyncPlatform(sync_pb2.SyncPlatformRequest(platform=sync_pb2.PLATFORM_LOCAL), metadata=writer)
    assert error_info(local.value).reason == "LOCAL_RUNTIME_REQUIRED"
    # Unset, and a number outside the set (gRPC enums are open), are refused alike.
    for platform in (sync_pb2.PLATFORM_UNSPECIFIED, sync_pb2.Platform.ValueType(99)):
        with pytest.raises(grpc.RpcError) as unknown:
            stub.SyncPlatform(sync_pb2.SyncPlatformRequest(platform=platform), metadata=writer)
        assert unknown.value.code() == grpc.StatusCode.INVALID_ARGUMENT  # type: ignore[attr-defined]
        violations = [(v.field, v.description) for v in field_violations(unknown.value)]
        assert violations == [("platform", "Must be one of: neon, notion, github, drive, cloudflare, local")]


def test_grpcurl_describes_and_invokes(chittyos: ChorusProcess, writer: Metadata) -> None:
    described = grpcurl(chittyos.grpc_addr, "describe", "chittyos.sync.v1.SyncService")
    assert "rpc SyncTodos ( .chittyos.sync.v1.SyncTodosRequest ) returns ( .chittyos.sync.v1.SyncTodosResponse )" in (
        described
    )
    project_id = unique("proj")
    created = grpcurl(
        chittyos.grpc_addr,
        "chittyos.sync.v1.SyncService/CreateProject",
        headers=dict(writer),
        data={"id": project_id, "name": "From grpcurl"},
    )
    assert json.loads(created)["project"]["name"] == "From grpcurl"
    got = grpcurl(
        chittyos.grpc_addr,
        "chittyos.sync.v1.SyncService/GetProject",
        headers=dict(writer),
        data={"projectId": project_id},
    )
    assert json.loads(got)["project"]["id"] == project_id
