"""Key types, enforced by the method rules: each type on a read, a write and an unlisted route,
over REST and over gRPC (spec 001, "API Key Types")."""

from __future__ import annotations

import grpc
import pytest
from chorus_contracts.chaozcode.v2 import user_pb2, user_pb2_grpc

from tests.support.chaozcode import add_user, new_key, rest
from tests.support.chorus_process import ChorusProcess
from tests.support.grpc_status import error_info

# The restricted key lists the read and the write, not the third route.
SCOPES = ["GET /user/me", "PATCH /user/me"]
# type -> (read GET /user/me, write PATCH /user/me, unlisted GET /user/api-keys)
EXPECTED = {
    "development": (200, 200, 200),
    "production": (200, 200, 200),
    "readonly": (200, 403, 200),
    "restricted": (200, 200, 403),
}


def _key_of_type(proc: ChorusProcess, key_type: str) -> str:
    account = add_user(proc)
    return new_key(proc, account, key_type, SCOPES if key_type == "restricted" else None)


@pytest.mark.parametrize("key_type", list(EXPECTED))
def test_over_rest(chaozcode: ChorusProcess, key_type: str) -> None:
    key = _key_of_type(chaozcode, key_type)
    with rest(chaozcode, key) as client:
        answers = (client.get("/user/me"), client.patch("/user/me", json={"name": "x"}), client.get("/user/api-keys"))
    assert tuple(a.status_code for a in answers) == EXPECTED[key_type], [a.text for a in answers]
    for answer in answers:
        assert "x-ratelimit-limit" in answer.headers  # refused or not
        if answer.status_code == 403:
            error = answer.json()["error"]
            assert error["code"] == "FORBIDDEN" and key_type in error["message"]
            assert list(error) == ["code", "message", "details", "requestId"]


@pytest.mark.parametrize("key_type", list(EXPECTED))
def test_over_grpc(chaozcode: ChorusProcess, chaozcode_channel: grpc.Channel, key_type: str) -> None:
    key = _key_of_type(chaozcode, key_type)
    stub = user_pb2_grpc.UserServiceStub(chaozcode_channel)
    metadata = (("authorization", f"Bearer {key}"),)
    calls = (
        lambda: stub.GetMe(user_pb2.GetMeRequest(), metadata=metadata),
        lambda: stub.UpdateMe(user_pb2.UpdateMeRequest(name="x"), metadata=metadata),
        lambda: stub.ListApiKeys(user_pb2.ListApiKeysRequest(), metadata=metadata),
    )
    outcomes = []
    for call in calls:
        try:
            call()
        except grpc.RpcError as error:
            assert error.code() == grpc.StatusCode.PERMISSION_DENIED and error_info(error).reason == "FORBIDDEN"
            outcomes.append(403)
        else:
            outcomes.append(200)
    assert tuple(outcomes) == EXPECTED[key_type]


def test_a_readonly_key_cannot_claim_a_get_over_grpc(chaozcode: ChorusProcess, chaozcode_channel: grpc.Channel) -> None:
    """The verb metadata a gRPC client may send must be one of the method's own routes."""
    key = _key_of_type(chaozcode, "readonly")
    stub = user_pb2_grpc.UserServiceStub(chaozcode_channel)
    metadata = (("authorization", f"Bearer {key}"), ("x-chorus-http-method", "GET"))
    with pytest.raises(grpc.RpcError) as refused:
        stub.UpdateMe(user_pb2.UpdateMeRequest(name="x"), metadata=metadata)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
