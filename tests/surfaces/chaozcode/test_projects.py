"""Projects (spec 001, "Project Endpoints"): owner-scoped CRUD, pages, merged settings, events."""

from __future__ import annotations

import re

import grpc
import pytest
from chorus_contracts.chaozcode.v2 import projects_pb2, projects_pb2_grpc

from tests.support import backends
from tests.support.chaozcode import add_user, rest
from tests.support.chorus_process import ChorusProcess
from tests.support.grpc_status import error_info

FIELDS = ["id", "name", "description", "settings", "createdAt", "updatedAt"]


def _events(proc: ChorusProcess, user_id: str) -> list[tuple[str, str]]:
    sql = "SELECT type, data FROM chaozcode_events WHERE owner_id = :u ORDER BY created_at_ms"
    return [(str(t), str(d)) for t, d in backends.fetch(proc.data_dir, sql, u=user_id)]


def test_create_get_patch_delete(chaozcode: ChorusProcess) -> None:
    account = add_user(chaozcode)
    with rest(chaozcode, account.key) as client:
        made = client.post(
            "/projects", json={"name": "My App", "description": "demo", "settings": {"lang": "ts", "lint": {"a": 1}}}
        )
        assert made.status_code == 201, made.text
        project = made.json()
        assert list(project) == FIELDS and re.fullmatch(r"proj_[0-9a-f]{24}", project["id"])
        assert project["settings"] == {"lang": "ts", "lint": {"a": 1}}
        path = f"/projects/{project['id']}"
        assert client.get(path).json() == project
        patched = client.patch(path, json={"settings": {"lint": {"b": 2}, "lang": None}})
        assert patched.status_code == 200
        after = patched.json()
        assert after["name"] == "My App" and after["description"] == "demo"
        assert after["settings"] == {"lint": {"a": 1, "b": 2}}
        renamed = client.patch(path, json={"name": "Renamed"}).json()
        assert renamed["name"] == "Renamed" and renamed["settings"] == {"lint": {"a": 1, "b": 2}}
        events = _events(chaozcode, account.user_id)
        assert [t for t, _ in events] == ["project.updated", "project.updated"]
        assert '"changed":["settings"]' in events[0][1] and '"changed":["name"]' in events[1][1]
        deleted = client.delete(path)
        assert deleted.status_code == 200 and deleted.json() == {"id": project["id"], "deleted": True}
        assert _events(chaozcode, account.user_id) == []  # its associated data went with it
        gone = client.get(path)
        assert gone.status_code == 404 and gone.json()["error"]["code"] == "NOT_FOUND"
        assert client.delete(path).status_code == 404


def test_validation_and_conflict(chaozcode: ChorusProcess) -> None:
    account = add_user(chaozcode)
    with rest(chaozcode, account.key) as client:
        missing = client.post("/projects", json={"description": "no name"})
        assert missing.status_code == 400
        assert missing.json()["error"]["details"] == {"field": "name", "reason": "required"}
        long = client.post("/projects", json={"name": "x" * 201})
        assert long.status_code == 422 and long.json()["error"]["details"] == {
            "field": "name",
            "reason": "out_of_range",
        }
        assert client.post("/projects", json={"name": "A", "id": "my-app"}).status_code == 201
        taken = client.post("/projects", json={"name": "B", "id": "my-app"})
        assert taken.status_code == 409 and taken.json()["error"]["code"] == "CONFLICT"
        bad_id = client.post("/projects", json={"name": "C", "id": "has space"})
        assert bad_id.status_code == 422 and bad_id.json()["error"]["details"]["field"] == "id"


def test_projects_are_their_owners(chaozcode: ChorusProcess) -> None:
    owner, stranger = add_user(chaozcode), add_user(chaozcode)
    with rest(chaozcode, owner.key) as client:
        project = client.post("/projects", json={"name": "Mine", "id": "shared-name"}).json()
    with rest(chaozcode, stranger.key) as client:
        path = f"/projects/{project['id']}"
        assert client.get(path).status_code == 404
        assert client.patch(path, json={"name": "stolen"}).status_code == 404
        assert client.delete(path).status_code == 404
        assert client.get("/projects").json() == {"projects": [], "nextPageToken": "", "total": 0}
        # Ids are each owner's own.
        assert client.post("/projects", json={"name": "Theirs", "id": "shared-name"}).status_code == 201
    with rest(chaozcode, owner.key) as client:
        assert client.get(f"/projects/{project['id']}").json()["name"] == "Mine"


def test_pages(chaozcode: ChorusProcess) -> None:
    account = add_user(chaozcode)
    with rest(chaozcode, account.key) as client:
        ids = [client.post("/projects", json={"name": f"p{n}"}).json()["id"] for n in range(5)]
        seen, token = [], ""
        while True:
            page = client.get("/projects", params={"pageSize": 2, **({"pageToken": token} if token else {})}).json()
            assert page["total"] == 5 and len(page["projects"]) <= 2
            seen += [p["id"] for p in page["projects"]]
            token = page["nextPageToken"]
            if not token:
                break
        assert seen == ids
        default = client.get("/projects").json()
        assert [p["id"] for p in default["projects"]] == ids and default["nextPageToken"] == ""
        assert client.get("/projects", params={"pageSize": 101}).status_code == 422
        assert client.get("/projects", params={"pageToken": "garbage!"}).status_code == 422


def test_projects_over_grpc(chaozcode: ChorusProcess, chaozcode_channel: grpc.Channel) -> None:
    account = add_user(chaozcode)
    stub = projects_pb2_grpc.ProjectServiceStub(chaozcode_channel)
    made = stub.CreateProject(projects_pb2.CreateProjectRequest(name="G"), metadata=account.metadata).project
    got = stub.GetProject(projects_pb2.GetProjectRequest(project_id=made.id), metadata=account.metadata).project
    assert got.name == "G"
    stub.DeleteProject(projects_pb2.DeleteProjectRequest(project_id=made.id), metadata=account.metadata)
    with pytest.raises(grpc.RpcError) as gone:
        stub.GetProject(projects_pb2.GetProjectRequest(project_id=made.id), metadata=account.metadata)
    assert gone.value.code() == grpc.StatusCode.NOT_FOUND and error_info(gone.value).reason == "NOT_FOUND"
