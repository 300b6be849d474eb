"""grpcurl lists, describes and invokes the MCoS services, the assertion in metadata."""

from __future__ import annotations

import json

import pytest

from tests.support.chorus_process import ChorusProcess
from tests.support.grpcurl import grpcurl
from tests.support.mcos_identity import TestIdp, new_sub

SERVICES = {
    "mcos.v1.ChatService": "rpc Chat ( .mcos.v1.ChatRequest ) returns ( stream .mcos.v1.ChatResponse )",
    "mcos.v1.StateService": "rpc UpdatePreferences ( .mcos.v1.UpdatePreferencesRequest )",
    "mcos.v1.TaskService": "rpc UpdateTask ( .mcos.v1.UpdateTaskRequest )",
    "mcos.v1.ToolService": "rpc SearchFlights ( .mcos.v1.SearchFlightsRequest )",
    "mcos.v1.MemoryService": "rpc PinMemory ( .mcos.v1.PinMemoryRequest )",
    "mcos.v1.HealthService": "rpc GetHealth ( .mcos.v1.GetHealthRequest )",
}


def test_list_shows_every_service(mcos: ChorusProcess) -> None:
    assert set(SERVICES) <= set(grpcurl(mcos.grpc_addr, "list").split())


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_describe(mcos: ChorusProcess, service: str) -> None:
    assert SERVICES[service] in grpcurl(mcos.grpc_addr, "describe", service)


def test_invoke_with_the_assertion_in_metadata(mcos: ChorusProcess, idp: TestIdp) -> None:
    headers = {"cf-access-jwt-assertion": idp.token(new_sub()), "x-correlation-id": "corr_grpcurl"}
    health = json.loads(grpcurl(mcos.grpc_addr, "mcos.v1.HealthService/GetHealth"))
    assert health["status"] == "healthy"
    pinned = json.loads(
        grpcurl(
            mcos.grpc_addr,
            "mcos.v1.MemoryService/PinMemory",
            headers=headers,
            data={"type": "preference", "key": "favorite_airline", "value": "United Airlines"},
        )
    )
    assert pinned["memory"]["key"] == "favorite_airline"
    listed = json.loads(grpcurl(mcos.grpc_addr, "mcos.v1.MemoryService/ListMemories", headers=headers, data={}))
    assert [m["id"] for m in listed["pinned_memories"]] == [pinned["memory"]["id"]]
