"""Accounts and API keys: `chorus chaozcode users add`, /v2/user/me and /v2/user/api-keys, end to end."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import grpc
from chorus_contracts.chaozcode.v2 import user_pb2, user_pb2_grpc

from tests.support import backends
from tests.support.chaozcode import add_user, new_key, rest
from tests.support.chorus_process import ChorusProcess
from tests.support.grpc_status import error_info

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")


def _next_midnight() -> str:
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    return f"{tomorrow.isoformat()}T00:00:00Z"


def test_users_add_prints_a_live_key_once_and_stores_only_its_hash(chaozcode: ChorusProcess) -> None:
    account = add_user(chaozcode, plan="team", name="Jane Developer")
    assert re.fullmatch(r"cc_live_[0-9a-f]{8}_[A-Za-z0-9_-]{43}", account.key)
    stored = "SELECT key_hash, prefix FROM user_api_keys WHERE user_id = :u"
    rows = backends.fetch(chaozcode.data_dir, stored, u=account.user_id)
    assert len(rows) == 1 and account.key not in rows[0] and rows[0][1] == account.key[8:16]
    assert backends.fetch(chaozcode.data_dir, "SELECT plan FROM users WHERE id = :u", u=account.user_id) == [("team",)]


def test_get_me_is_the_documented_profile_with_todays_calls(chaozcode: ChorusProcess) -> None:
    account = add_user(chaozcode, plan="pro", name="Jane Developer")
    with rest(chaozcode, account.key) as client:
        first = client.get("/user/me")
        second = client.get("/user/me")
    assert first.status_code == 200 and first.headers["content-type"] == "application/json"
    body = second.json()
    assert list(body) == ["id", "email", "name", "plan", "usage", "createdAt"]
    assert body["id"] == account.user_id and body["id"].startswith("user_")
    assert body["email"] == account.email and body["name"] == "Jane Developer" and body["plan"] == "pro"
    assert body["usage"] == {"apiCalls": 2, "limit": 10_000, "resetAt": _next_midnight()}
    assert ISO.fullmatch(body["createdAt"])


def test_enterprise_has_no_daily_limit(chaozcode: ChorusProcess) -> None:
    account = add_user(chaozcode, plan="enterprise")
    with rest(chaozcode, account.key) as client:
        assert client.get("/user/me").json()["usage"]["limit"] is None


def test_patch_me_changes_only_the_fields_sent(chaozcode: ChorusProcess) -> None:
    account = add_user(chaozcode, name="Before")
    other = add_user(chaozcode)
    with rest(chaozcode, account.key) as client:
        renamed = client.patch("/user/me", json={"name": "After"})
        assert renamed.status_code == 200 and renamed.json()["name"] == "After"
        assert renamed.json()["email"] == account.email
        moved = client.patch("/user/me", json={"email": "  New.Address@Example.COM "})
        assert moved.json()["email"] == "new.address@example.com" and moved.json()["name"] == "After"
        invalid = client.patch("/user/me", json={"email": "not-an-address"})
        assert invalid.status_code == 422
        assert invalid.json()["error"]["code"] == "VALIDATION_ERROR"
        assert invalid.json()["error"]["details"] == {"field": "email", "reason": "invalid_format"}
        taken = client.patch("/user/me", json={"email": other.email.upper()})
        assert taken.status_code == 409 and taken.json()["error"]["code"] == "CONFLICT"
        assert client.get("/user/me").json()["email"] == "new.address@example.com"


def test_keys_are_issued_typed_listed_masked_and_revoked(chaozcode: ChorusProcess) -> None:
    account = add_user(chaozcode)
    with rest(chaozcode, account.key) as client:
        made = client.post("/user/api-keys", json={"name": "laptop", "type": "development"})
        assert made.status_code == 201, made.text
        key = made.json()
        assert list(key) == ["id", "key", "name", "type", "maskedKey", "scopes", "createdAt"]
        assert key["key"].startswith("cc_test_") and key["type"] == "development" and key["name"] == "laptop"
        assert key["maskedKey"] == key["key"][:17] + "…"
        listed = client.get("/user/api-keys")
        assert listed.status_code == 200
        keys = listed.json()["apiKeys"]
        assert keys[0]["id"] == key["id"] and len(keys) == 2
        assert all("key" not in k for k in keys) and key["key"] not in listed.text
        first = next(k for k in keys if k["name"] == "first key")
        assert first["type"] == "production" and ISO.fullmatch(first["lastUsedAt"])
        assert keys[0]["lastUsedAt"] is None
        with rest(chaozcode, key["key"]) as laptop:
            assert laptop.get("/user/me").status_code == 200
            revoked = client.delete(f"/user/api-keys/{key['id']}")
            assert revoked.status_code == 200
            assert revoked.json()["id"] == key["id"] and revoked.json()["revoked"] is True
            refused = laptop.get("/user/me")
            assert refused.status_code == 401 and refused.json()["error"]["code"] == "UNAUTHORIZED"
        assert [k["id"] for k in client.get("/user/api-keys").json()["apiKeys"]] == [first["id"]]
        again = client.delete(f"/user/api-keys/{key['id']}")
        assert again.status_code == 404 and again.json()["error"]["code"] == "NOT_FOUND"


def test_another_users_key_cannot_be_revoked(chaozcode: ChorusProcess) -> None:
    mine, theirs = add_user(chaozcode), add_user(chaozcode)
    with rest(chaozcode, theirs.key) as client:
        their_key = client.get("/user/api-keys").json()["apiKeys"][0]["id"]
    with rest(chaozcode, mine.key) as client:
        assert client.delete(f"/user/api-keys/{their_key}").status_code == 404
    with rest(chaozcode, theirs.key) as client:
        assert client.get("/user/me").status_code == 200


def test_a_key_issues_no_more_power_than_its_own(chaozcode: ChorusProcess) -> None:
    account = add_user(chaozcode)
    development = new_key(chaozcode, account, "development")
    restricted = new_key(chaozcode, account, "restricted", ["GET /user/me", "POST /user/api-keys"])
    with rest(chaozcode, development) as client:
        up = client.post("/user/api-keys", json={"type": "production"})
        assert up.status_code == 403 and up.json()["error"]["code"] == "FORBIDDEN"
        assert client.post("/user/api-keys", json={"type": "readonly"}).status_code == 201
    with rest(chaozcode, restricted) as client:
        assert client.post("/user/api-keys", json={"type": "readonly"}).status_code == 403
        wider = client.post("/user/api-keys", json={"type": "restricted", "scopes": ["GET /user/api-keys"]})
        assert wider.status_code == 403
        narrower = client.post("/user/api-keys", json={"type": "restricted", "scopes": ["GET /user/me"]})
        assert narrower.status_code == 201 and narrower.json()["scopes"] == ["GET /user/me"]


def test_scopes_are_checked(chaozcode: ChorusProcess) -> None:
    account = add_user(chaozcode)
    with rest(chaozcode, account.key) as client:
        none = client.post("/user/api-keys", json={"type": "restricted"})
        assert none.status_code == 422 and none.json()["error"]["details"] == {"field": "scopes", "reason": "required"}
        unknown = client.post("/user/api-keys", json={"type": "restricted", "scopes": ["GET /nowhere"]})
        assert unknown.status_code == 422
        assert unknown.json()["error"]["details"] == {"field": "scopes", "reason": "unknown_endpoint"}
        stray = client.post("/user/api-keys", json={"type": "production", "scopes": ["GET /user/me"]})
        assert stray.status_code == 422
        good = client.post("/user/api-keys", json={"type": "restricted", "scopes": ["DELETE /user/api-keys/{keyId}"]})
        assert good.status_code == 201


def test_the_same_account_over_grpc(chaozcode: ChorusProcess, chaozcode_channel: grpc.Channel) -> None:
    account = add_user(chaozcode, plan="free")
    stub = user_pb2_grpc.UserServiceStub(chaozcode_channel)
    me = stub.GetMe(user_pb2.GetMeRequest(), metadata=account.metadata).user
    assert me.id == account.user_id and me.plan == user_pb2.PLAN_FREE and me.usage.limit == 100
    made = stub.CreateApiKey(
        user_pb2.CreateApiKeyRequest(name="ci", type=user_pb2.KEY_TYPE_READONLY), metadata=account.metadata
    ).api_key
    assert made.key.startswith("cc_live_") and made.type == user_pb2.KEY_TYPE_READONLY
    listed = stub.ListApiKeys(user_pb2.ListApiKeysRequest(), metadata=account.metadata).api_keys
    assert {k.id for k in listed} >= {made.id}
    try:
        stub.GetMe(user_pb2.GetMeRequest(), metadata=(("authorization", "Bearer cc_live_00000000_nope"),))
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.UNAUTHENTICATED and error_info(error).reason == "UNAUTHORIZED"
    else:
        raise AssertionError("a forged key was accepted")
