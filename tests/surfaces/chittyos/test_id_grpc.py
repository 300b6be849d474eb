"""The ID service over gRPC: the API key in `authorization` metadata, rich error status."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import grpc
import httpx
import pytest
from chorus_contracts.chittyos.id.v1 import id_pb2, id_pb2_grpc

from server.platform.struct_values import dict_to_struct
from server.surfaces.chittyos.id.chitty_ids import parse_chitty_id
from tests.support.chorus_process import ChorusProcess
from tests.support.grpc_status import error_info


@pytest.fixture(scope="module")
def stub(chittyos: ChorusProcess) -> Iterator[id_pb2_grpc.IdServiceStub]:
    channel = grpc.insecure_channel(chittyos.grpc_addr)
    yield id_pb2_grpc.IdServiceStub(channel)
    channel.close()


def test_health_over_grpc(stub: id_pb2_grpc.IdServiceStub) -> None:
    health = stub.GetHealth(id_pb2.GetHealthRequest())
    assert (health.service, health.status, health.mode, health.version) == (
        "chitty-id",
        "healthy",
        "authority",
        "2.1.0",
    )


def test_generate_over_grpc_with_authorization_metadata(
    stub: id_pb2_grpc.IdServiceStub, chittyos_api_key: str, service_client: Callable[[str], httpx.Client]
) -> None:
    request = id_pb2.GenerateChittyIdRequest(
        metadata=dict_to_struct({"entityType": "GRPC", "description": "over gRPC"}),
        session_context=dict_to_struct({"sessionId": "grpc-1"}),
    )
    response = stub.GenerateChittyId(request, metadata=(("authorization", f"Bearer {chittyos_api_key}"),))
    parts = parse_chitty_id(response.chitty_id)
    assert parts is not None and parts.entity_type == "GRPC"
    assert response.pipeline == "chorus-authority" and response.source == "id.chitty.cc"
    assert dict(response.metadata) == {"entityType": "GRPC", "description": "over gRPC"}
    # The REST side reads the same store.
    stored = service_client("id").get(f"/metadata/{response.chitty_id}").json()
    assert stored["sessionContext"] == {"sessionId": "grpc-1"} and stored["created"] == response.created


@pytest.mark.parametrize(
    ("metadata", "reason", "message"),
    [
        ((), "API_KEY_REQUIRED", "API key required"),
        ((("authorization", "Bearer chorus_deadbeef_forged"),), "INVALID_API_KEY", "Invalid API key"),
    ],
)
def test_generate_over_grpc_without_a_valid_key_is_unauthenticated(
    stub: id_pb2_grpc.IdServiceStub, metadata: tuple[tuple[str, str], ...], reason: str, message: str
) -> None:
    request = id_pb2.GenerateChittyIdRequest(metadata=dict_to_struct({"entityType": "GRPC"}))
    with pytest.raises(grpc.RpcError) as caught:
        stub.GenerateChittyId(request, metadata=metadata)
    error = caught.value
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert error.details() == message
    info = error_info(error)
    assert info.reason == reason
    assert dict(info.metadata) == {"message": "Include Authorization: Bearer <api-key> header"}


def test_generate_over_grpc_with_a_bad_entity_type_is_invalid_argument(
    stub: id_pb2_grpc.IdServiceStub, chittyos_api_key: str
) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        stub.GenerateChittyId(
            id_pb2.GenerateChittyIdRequest(metadata=dict_to_struct({"entityType": "grpc"})),
            metadata=(("authorization", f"Bearer {chittyos_api_key}"),),
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_info(caught.value).reason == "VALIDATION_ERROR"


def test_validate_over_grpc(stub: id_pb2_grpc.IdServiceStub) -> None:
    valid = stub.ValidateChittyId(id_pb2.ValidateChittyIdRequest(chitty_id="01-P-ROP-0001-T-25-C-X"))
    assert valid.valid and valid.chitty_id == "01-P-ROP-0001-T-25-C-X"
    assert valid.format == "VV-G-LLL-SSSS-T-YM-C-X" and valid.HasField("has_metadata")
    assert not valid.HasField("error")
    invalid = stub.ValidateChittyId(id_pb2.ValidateChittyIdRequest(chitty_id="01-P-ROP"))
    assert not invalid.valid
    assert invalid.error == "Invalid ChittyID format - must be VV-G-LLL-SSSS-T-YM-C-X"
    assert not any(invalid.HasField(f) for f in ("chitty_id", "has_metadata", "format"))


def test_unknown_metadata_over_grpc_is_not_found_with_reason(stub: id_pb2_grpc.IdServiceStub) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        stub.GetChittyIdMetadata(id_pb2.GetChittyIdMetadataRequest(chitty_id="01-Z-ZZZ-9999-T-25-C-X"))
    error = caught.value
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert error.details() == "Metadata not found"
    info = error_info(error)
    assert info.reason == "METADATA_NOT_FOUND"
    assert dict(info.metadata) == {"chittyId": "01-Z-ZZZ-9999-T-25-C-X"}
