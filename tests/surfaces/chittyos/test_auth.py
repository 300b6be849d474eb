"""ChittyOS auth over REST and gRPC: minting, verification, refresh, revocation, forgery."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import grpc
import httpx
import jwt
import pytest
from chorus_contracts.chittyos.auth.v1 import auth_pb2, auth_pb2_grpc

from tests.support.chorus_process import ChorusProcess, run_cli
from tests.support.grpc_status import error_info
from tests.surfaces.chittyos.conftest import ADMIN_KEY

CHITTY_ID = "01-P-EO-0001-T-25-C-X"
INVALID = {"valid": False, "error": "Invalid or expired token"}
TOKEN_KEYS = {"access_token", "token_type", "expires_in", "scope"}


@pytest.fixture(scope="module")
def auth(service_client: Callable[[str], httpx.Client]) -> httpx.Client:
    return service_client("auth")


@pytest.fixture(scope="module")
def secret(chittyos: ChorusProcess) -> str:
    """The server's generated HS256 secret: lets tests forge tokens that only fail on one claim."""
    return (chittyos.data_dir / "jwt-secret").read_text().strip()


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def claims_of(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def verify(auth: httpx.Client, token: str) -> httpx.Response:
    return auth.post("/api/auth/verify", headers=bearer(token))


# --- health ---


def test_health(auth: httpx.Client) -> None:
    response = auth.get("/health")
    assert response.status_code == 200
    assert response.json() == {
        "service": "auth",
        "status": "healthy",
        "features": ["jwt-tokens", "rbac", "session-management"],
    }


# --- minting ---


def test_token_as_documented(auth: httpx.Client, secret: str) -> None:
    response = auth.post(
        "/api/auth/token",
        json={"chittyId": CHITTY_ID, "permissions": ["read", "write", "admin"], "expiresIn": 3600},
        headers=bearer(ADMIN_KEY),
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == TOKEN_KEYS
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "read write admin"
    claims = jwt.decode(body["access_token"], secret, algorithms=["HS256"], audience="chittyos")
    assert claims["sub"] == CHITTY_ID
    assert claims["permissions"] == ["read", "write", "admin"]
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["sid"].startswith("session-")
    assert claims["iss"] == "https://auth.chitty.cc"
    assert jwt.get_unverified_header(body["access_token"])["alg"] == "HS256"


def test_token_defaults(auth: httpx.Client) -> None:
    body = auth.post("/api/auth/token", json={"chittyId": CHITTY_ID}, headers=bearer(ADMIN_KEY)).json()
    assert body["expires_in"] == 3600
    assert body["scope"] == "read"


@pytest.mark.parametrize("headers", [{}, bearer("not-the-admin-key"), {"authorization": ADMIN_KEY}])
def test_minting_needs_the_admin_key(auth: httpx.Client, headers: dict[str, str]) -> None:
    response = auth.post("/api/auth/token", json={"chittyId": CHITTY_ID}, headers=headers)
    assert response.status_code == 401
    assert response.json() == {
        "error": "Admin credential required",
        "message": "Include Authorization: Bearer <admin-key> header",
    }


@pytest.mark.parametrize("body", [{}, {"chittyId": ""}, {"permissions": ["read"]}])
def test_missing_chitty_id_is_400_as_documented(auth: httpx.Client, body: dict[str, Any]) -> None:
    response = auth.post("/api/auth/token", json=body, headers=bearer(ADMIN_KEY))
    assert response.status_code == 400
    assert response.json() == {"error": "ChittyID required"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"chittyId": "not-a-chitty-id"}, "chittyId"),
        ({"chittyId": CHITTY_ID, "expiresIn": 0}, "expiresIn"),
        ({"chittyId": CHITTY_ID, "expiresIn": 10**8}, "expiresIn"),
        ({"chittyId": CHITTY_ID, "permissions": ["Read Everything"]}, "permissions.0"),
        ({"chittyId": CHITTY_ID, "sessionId": "bad id/with slash"}, "sessionId"),
    ],
)
def test_bad_token_requests_are_400(auth: httpx.Client, body: dict[str, Any], field: str) -> None:
    response = auth.post("/api/auth/token", json=body, headers=bearer(ADMIN_KEY))
    assert response.status_code == 400
    payload = response.json()
    assert payload["error"] == "Invalid token request"
    assert payload["message"].startswith(f"{field}: ")


@pytest.mark.parametrize(
    ("raw", "field"),
    [(b"{not json", ""), (b'{"chittyId": 5}', "chittyId"), (b'{"expiresIn": "soon"}', "expiresIn")],
)
def test_malformed_bodies_are_400(auth: httpx.Client, raw: bytes, field: str) -> None:
    response = auth.post(
        "/api/auth/token", content=raw, headers={**bearer(ADMIN_KEY), "content-type": "application/json"}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "Invalid request"
    assert field in body["message"]


def test_wrong_method_is_405(auth: httpx.Client) -> None:
    response = auth.get("/api/auth/token")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json() == {"error": "Method not allowed", "message": "Allowed methods: POST"}


# --- verify ---


def test_verify_as_documented(auth: httpx.Client, mint_token: Callable[..., str]) -> None:
    token = mint_token(["read", "write"])
    response = verify(auth, token)
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "valid": True,
        "chittyId": CHITTY_ID,
        "permissions": ["read", "write"],
        "expires": claims_of(token)["exp"],
    }


def _forged(secret: str, **changes: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": "https://auth.chitty.cc",
        "aud": "chittyos",
        "sub": CHITTY_ID,
        "tid": "chittyos",
        "sid": "session-forged",
        "permissions": ["read", "write", "admin"],
        "iat": now,
        "exp": now + 600,
        "jti": "x",
    }
    claims.update(changes)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, secret, algorithm="HS256")


def _with_real_session(token: str, secret: str, **changes: Any) -> str:
    """Re-signs a real token's claims with changes: only the changed claim is wrong."""
    claims = claims_of(token)
    claims.update(changes)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, secret, algorithm="HS256")


def test_rejects_forged_and_broken_tokens(auth: httpx.Client, mint_token: Callable[..., str], secret: str) -> None:
    real = mint_token(["read"])
    now = int(time.time())
    header, payload, signature = real.split(".")
    tampered_payload = _with_real_session(real, secret, sub="x").split(".")[1]
    unsigned = jwt.encode(claims_of(real), None, algorithm="none")  # type: ignore[arg-type]
    cases = {
        "sanity: re-signed real token verifies": (_with_real_session(real, secret), 200),
        "wrong key": (jwt.encode(claims_of(real), "another-secret-of-at-least-32-bytes!!", algorithm="HS256"), 401),
        "alg none": (unsigned, 401),
        "tampered payload": (f"{header}.{tampered_payload}.{signature}", 401),
        "expired": (_with_real_session(real, secret, exp=now - 1), 401),
        "wrong audience": (_with_real_session(real, secret, aud="someone-else"), 401),
        "wrong issuer": (_with_real_session(real, secret, iss="https://evil.example"), 401),
        "other tenant": (_with_real_session(real, secret, tid="demo"), 401),
        "no expiry": (_with_real_session(real, secret, exp=None), 401),
        "unknown session": (_forged(secret), 401),
        "garbage": ("not.a.jwt", 401),
    }
    for name, (token, status) in cases.items():
        response = verify(auth, token)
        assert response.status_code == status, name
        if status == 401:
            assert response.json() == INVALID, name
    assert payload != tampered_payload


@pytest.mark.parametrize("headers", [{}, {"authorization": "Basic abc"}, {"authorization": "Bearer"}])
def test_verify_without_a_token_is_401(auth: httpx.Client, headers: dict[str, str]) -> None:
    response = auth.post("/api/auth/verify", headers=headers)
    assert response.status_code == 401
    assert response.json() == INVALID


# --- refresh ---


def test_refresh_keeps_the_session(auth: httpx.Client, mint_token: Callable[..., str]) -> None:
    old = mint_token(["read", "write"], expires_in=600)
    response = auth.post("/api/auth/refresh", headers=bearer(old))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == TOKEN_KEYS
    assert body["expires_in"] == 600
    assert body["scope"] == "read write"
    new, before = claims_of(body["access_token"]), claims_of(old)
    assert new["sid"] == before["sid"]
    assert new["sub"] == before["sub"]
    assert new["jti"] != before["jti"]
    assert verify(auth, body["access_token"]).status_code == 200


def test_expired_token_cannot_be_refreshed(auth: httpx.Client, mint_token: Callable[..., str], secret: str) -> None:
    expired = _with_real_session(mint_token(["read"]), secret, exp=int(time.time()) - 5)
    response = auth.post("/api/auth/refresh", headers=bearer(expired))
    assert response.status_code == 401
    assert response.json() == INVALID


# --- sessions ---


def test_revoking_a_session_rejects_all_its_tokens(auth: httpx.Client, mint_token: Callable[..., str]) -> None:
    first = mint_token(["read"])
    session_id = claims_of(first)["sid"]
    joined = auth.post(
        "/api/auth/token",
        json={"chittyId": CHITTY_ID, "permissions": ["write"], "sessionId": session_id},
        headers=bearer(ADMIN_KEY),
    ).json()["access_token"]
    refreshed = auth.post("/api/auth/refresh", headers=bearer(first)).json()["access_token"]
    bystander = mint_token(["read"])

    response = auth.delete(f"/api/auth/session/{session_id}", headers=bearer(first))
    assert response.status_code == 200
    assert response.json() == {"revoked": True, "sessionId": session_id}

    for token in (first, joined, refreshed):
        assert verify(auth, token).json() == INVALID
        assert auth.post("/api/auth/refresh", headers=bearer(token)).status_code == 401
    assert verify(auth, bystander).status_code == 200
    # A revoked session takes no new tokens.
    rejoin = auth.post(
        "/api/auth/token", json={"chittyId": CHITTY_ID, "sessionId": session_id}, headers=bearer(ADMIN_KEY)
    )
    assert rejoin.status_code == 400
    assert rejoin.json()["error"] == "Session revoked"


def test_named_session_as_in_the_document(auth: httpx.Client) -> None:
    minted = auth.post(
        "/api/auth/token",
        json={"chittyId": CHITTY_ID, "sessionId": "session-123"},
        headers=bearer(ADMIN_KEY),
    ).json()
    assert claims_of(minted["access_token"])["sid"] == "session-123"
    response = auth.delete("/api/auth/session/session-123", headers=bearer(ADMIN_KEY))
    assert response.json() == {"revoked": True, "sessionId": "session-123"}
    # Revoking again with the admin key is harmless.
    assert auth.delete("/api/auth/session/session-123", headers=bearer(ADMIN_KEY)).status_code == 200


async def test_concurrent_mints_into_one_new_session_all_join_it(chittyos: ChorusProcess) -> None:
    # The session is created by whichever mint comes first; on PostgreSQL the others run
    # at the same time and must join it, not fail on the duplicate row.
    sessions = [f"concurrent-{time.monotonic_ns()}-{n}" for n in range(8)]
    headers = {"host": "auth.chitty.cc", **bearer(ADMIN_KEY)}
    async with httpx.AsyncClient(base_url=chittyos.rest_url, headers=headers, timeout=30) as client:
        responses = await asyncio.gather(
            *(
                client.post("/api/auth/token", json={"chittyId": CHITTY_ID, "sessionId": session_id})
                for session_id in sessions
                for _ in range(8)
            )
        )
    assert [r.status_code for r in responses] == [200] * 64, {r.text for r in responses if r.status_code != 200}
    joined = [claims_of(r.json()["access_token"])["sid"] for r in responses]
    assert joined == [session_id for session_id in sessions for _ in range(8)]


def test_session_of_another_chitty_id_cannot_be_joined(auth: httpx.Client, mint_token: Callable[..., str]) -> None:
    session_id = claims_of(mint_token(["read"]))["sid"]
    response = auth.post(
        "/api/auth/token",
        json={"chittyId": "01-I-NFO-0001-T-25-C-X", "sessionId": session_id},
        headers=bearer(ADMIN_KEY),
    )
    assert response.status_code == 409
    assert response.json() == {"error": "Session belongs to another ChittyID"}


def test_revocation_needs_a_right_to_it(auth: httpx.Client, mint_token: Callable[..., str]) -> None:
    victim = claims_of(mint_token(["read"]))["sid"]
    stranger = mint_token(["read", "write"])
    no_credential = auth.delete(f"/api/auth/session/{victim}")
    assert no_credential.status_code == 401
    assert no_credential.json() == {
        "error": "Authorization required",
        "message": "Include Authorization: Bearer <token> header",
    }
    forbidden = auth.delete(f"/api/auth/session/{victim}", headers=bearer(stranger))
    assert forbidden.status_code == 403
    assert forbidden.json() == {"error": "Forbidden", "message": "A token may revoke only its own session"}
    admin_token = mint_token(["admin"])
    assert auth.delete(f"/api/auth/session/{victim}", headers=bearer(admin_token)).status_code == 200


def test_unknown_session_is_404(auth: httpx.Client) -> None:
    response = auth.delete("/api/auth/session/session-nope", headers=bearer(ADMIN_KEY))
    assert response.status_code == 404
    assert response.json() == {"error": "Session not found", "sessionId": "session-nope"}


# --- gRPC ---


def test_grpc_mint_verify_and_errors(chittyos: ChorusProcess) -> None:
    with grpc.insecure_channel(chittyos.grpc_addr) as channel:
        stub = auth_pb2_grpc.AuthServiceStub(channel)
        minted = stub.CreateToken(
            auth_pb2.CreateTokenRequest(chitty_id=CHITTY_ID, permissions=["read"]),
            metadata=(("authorization", f"Bearer {ADMIN_KEY}"),),
        )
        assert minted.token_type == "Bearer"
        verified = stub.VerifyToken(
            auth_pb2.VerifyTokenRequest(), metadata=(("authorization", f"Bearer {minted.access_token}"),)
        )
        assert (verified.valid, verified.chitty_id, list(verified.permissions)) == (True, CHITTY_ID, ["read"])
        with pytest.raises(grpc.RpcError) as failed:
            stub.VerifyToken(auth_pb2.VerifyTokenRequest(), metadata=(("authorization", "Bearer nope"),))
        assert failed.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert error_info(failed.value).reason == "INVALID_TOKEN"
        with pytest.raises(grpc.RpcError) as unauthorized:
            stub.CreateToken(auth_pb2.CreateTokenRequest(chitty_id=CHITTY_ID))
        assert unauthorized.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert error_info(unauthorized.value).reason == "ADMIN_REQUIRED"


def test_cli_mints_tokens_the_server_accepts(auth: httpx.Client, chittyos: ChorusProcess) -> None:
    """`chorus auth token`: the bootstrap path that needs no admin key, only the data directory."""
    token = run_cli(
        chittyos.data_dir, "auth", "token", "--chitty-id", CHITTY_ID, "--permission", "read", "--permission", "write"
    ).strip()
    response = verify(auth, token)
    assert response.status_code == 200
    assert response.json()["permissions"] == ["read", "write"]
