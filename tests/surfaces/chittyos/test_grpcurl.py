"""grpcurl lists, describes and invokes every ChittyOS service, with credentials in metadata."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tests.support.chorus_process import ChorusProcess
from tests.support.grpcurl import grpcurl
from tests.surfaces.chittyos.conftest import ADMIN_KEY

SERVICES = {
    "chittyos.id.v1.IdService": "rpc GenerateChittyId ( .chittyos.id.v1.GenerateChittyIdRequest )",
    "chittyos.auth.v1.AuthService": "rpc CreateToken ( .chittyos.auth.v1.CreateTokenRequest )",
    "chittyos.sync.v1.SyncService": "rpc SyncTodos ( .chittyos.sync.v1.SyncTodosRequest )",
    "chittyos.ai.v1.AiGatewayService": (
        "rpc CreateChatCompletion ( .chittyos.ai.v1.CreateChatCompletionRequest )"
        " returns ( stream .chittyos.ai.v1.CreateChatCompletionResponse )"
    ),
    "chittyos.mcp.v1.McpService": "rpc GetHealth ( .chittyos.mcp.v1.GetHealthRequest )",
}


def test_list_shows_every_service(chittyos: ChorusProcess) -> None:
    listed = grpcurl(chittyos.grpc_addr, "list").split()
    assert set(SERVICES) <= set(listed)


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_describe(chittyos: ChorusProcess, service: str) -> None:
    assert SERVICES[service] in grpcurl(chittyos.grpc_addr, "describe", service)


def test_invoke_each_with_the_same_credentials_as_rest(
    chittyos: ChorusProcess, chittyos_api_key: str, mint_token: Callable[..., str]
) -> None:
    address = chittyos.grpc_addr

    def call(method: str, data: object = None, credential: str = "") -> dict[str, object]:
        headers = {"authorization": f"Bearer {credential}"} if credential else None
        result: dict[str, object] = json.loads(grpcurl(address, method, headers=headers, data=data or {}))
        return result

    minted = call(
        "chittyos.id.v1.IdService/GenerateChittyId",
        {"metadata": {"entityType": "INFO", "description": "via grpcurl"}},
        chittyos_api_key,
    )
    # grpcurl prints proto field names (chitty_id), and reads either spelling.
    assert str(minted["chitty_id"]).startswith("01-I-NFO-")
    token = call(
        "chittyos.auth.v1.AuthService/CreateToken",
        {"chittyId": minted["chitty_id"], "permissions": ["read", "write"]},
        ADMIN_KEY,
    )
    verified = call("chittyos.auth.v1.AuthService/VerifyToken", credential=str(token["access_token"]))
    assert verified["chitty_id"] == minted["chitty_id"]
    projects = call("chittyos.sync.v1.SyncService/ListProjects", credential=mint_token(["read"]))
    assert isinstance(projects.get("projects", []), list)
    models = call("chittyos.ai.v1.AiGatewayService/ListModels")
    assert models["object"] == "list"
    assert call("chittyos.mcp.v1.McpService/GetHealth") == {"service": "mcp", "status": "healthy"}
