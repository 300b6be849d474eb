"""RBAC on the Sync routes: reads need `read`, writes need `write`; health and status are public."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import jwt
import pytest
from chorus_contracts.chittyos.sync.v1 import sync_pb2

from rest_bridge.method_rules import load_method_rules
from tests.support.chittyos_sync import is_json, unique
from tests.support.chorus_process import ChorusProcess
from tests.surfaces.chittyos.conftest import HOSTS

READS = [
    ("GET", "/api/project"),
    ("GET", "/api/project/x"),
    ("GET", "/api/session"),
    ("GET", "/api/session/x"),
    ("GET", "/api/topic"),
    ("GET", "/api/topic/x"),
    ("GET", "/api/todos"),
    ("GET", "/api/todos/x"),
]
WRITES = [
    ("POST", "/api/project"),
    ("PUT", "/api/project/x"),
    ("DELETE", "/api/project/x"),
    ("POST", "/api/session"),
    ("PUT", "/api/session/x"),
    ("DELETE", "/api/session/x"),
    ("POST", "/api/topic"),
    ("POST", "/api/todos/x"),
    ("PUT", "/api/todos/x/sync"),
    ("GET", "/neon"),
    ("POST", "/local"),
    ("GET", "/api/orchestrate"),
]


def _call(chittyos: ChorusProcess, method: str, path: str, token: str | None) -> httpx.Response:
    headers = {"host": HOSTS["api"]}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    body = None
    if method in ("POST", "PUT"):
        # A body the route accepts, so the answer is about the credentials alone.
        body = b'{"todos": []}' if path.startswith("/api/todos/") and method == "POST" else b"{}"
        headers["content-type"] = "application/json"
    return httpx.request(method, chittyos.rest_url + path, headers=headers, content=body, timeout=30)


@pytest.mark.parametrize(("method", "path"), READS + WRITES)
def test_no_token_is_401(chittyos: ChorusProcess, method: str, path: str) -> None:
    response = _call(chittyos, method, path, None)
    assert is_json(response, 401)
    assert response.json() == {
        "error": "Authorization required",
        "message": "Include Authorization: Bearer <token> header",
    }


@pytest.mark.parametrize(("method", "path"), [READS[0], WRITES[0]])
@pytest.mark.parametrize("token", ["garbage", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."])
def test_invalid_token_is_401(chittyos: ChorusProcess, method: str, path: str, token: str) -> None:
    response = _call(chittyos, method, path, token)
    assert is_json(response, 401)
    assert response.json() == {"valid": False, "error": "Invalid or expired token"}


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_read_token_cannot_write(
    chittyos: ChorusProcess, mint_token: Callable[..., str], method: str, path: str
) -> None:
    response = _call(chittyos, method, path, mint_token(["read"]))
    assert is_json(response, 403)
    assert response.json() == {"error": "Forbidden", "message": "This route needs the 'write' permission"}


@pytest.mark.parametrize(("method", "path"), READS)
def test_write_token_cannot_read(
    chittyos: ChorusProcess, mint_token: Callable[..., str], method: str, path: str
) -> None:
    response = _call(chittyos, method, path, mint_token(["write"]))
    assert is_json(response, 403)
    assert response.json() == {"error": "Forbidden", "message": "This route needs the 'read' permission"}


def test_a_refused_write_changes_nothing(chittyos: ChorusProcess, mint_token: Callable[..., str]) -> None:
    project_id = unique("proj")
    headers = {"host": HOSTS["api"], "authorization": f"Bearer {mint_token(['read'])}"}
    refused = httpx.post(chittyos.rest_url + "/api/project", json={"id": project_id}, headers=headers, timeout=30)
    assert refused.status_code == 403
    assert httpx.get(chittyos.rest_url + f"/api/project/{project_id}", headers=headers, timeout=30).status_code == 404


@pytest.mark.parametrize("permissions", [["read", "write"], ["admin"]])
def test_permitted_tokens_pass(chittyos: ChorusProcess, mint_token: Callable[..., str], permissions: list[str]) -> None:
    token = mint_token(permissions)
    project_id = unique("proj")
    headers = {"host": HOSTS["sync"], "authorization": f"Bearer {token}"}
    created = httpx.post(chittyos.rest_url + "/api/project", json={"id": project_id}, headers=headers, timeout=30)
    assert created.status_code == 201
    assert httpx.get(chittyos.rest_url + f"/api/project/{project_id}", headers=headers, timeout=30).status_code == 200


@pytest.mark.parametrize("path", ["/health", "/api/status"])
def test_health_and_status_are_public(chittyos: ChorusProcess, path: str) -> None:
    response = _call(chittyos, "GET", path, None)
    assert is_json(response, 200)
    assert response.json()["service"] == "sync"


def test_expired_and_revoked_tokens_are_401(
    chittyos: ChorusProcess, mint_token: Callable[..., str], service_client: Callable[[str], httpx.Client]
) -> None:
    expiring = mint_token(["read"], expires_in=1)
    revoked = mint_token(["read"])
    assert _call(chittyos, "GET", "/api/project", revoked).status_code == 200
    session_id = jwt.decode(revoked, options={"verify_signature": False})["sid"]
    revoke = service_client("auth").delete(
        f"/api/auth/session/{session_id}", headers={"authorization": f"Bearer {revoked}"}
    )
    assert revoke.status_code == 200
    time.sleep(2.1)
    for token in (expiring, revoked):
        refused = _call(chittyos, "GET", "/api/project", token)
        assert is_json(refused, 401)
        assert refused.json() == {"valid": False, "error": "Invalid or expired token"}


def test_every_method_needs_a_permission_except_health_and_status() -> None:
    service = sync_pb2.DESCRIPTOR.services_by_name["SyncService"]
    rules = load_method_rules()
    access = {name: rules[f"/{service.full_name}/{name}"].access for name in service.methods_by_name}
    assert {name for name, a in access.items() if a.public} == {"GetHealth", "GetStatus"}
    assert {a.permission for a in access.values() if not a.public} == {"read", "write"}
