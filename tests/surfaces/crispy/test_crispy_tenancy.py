"""Tenant identification, isolation, API keys and per-tenant rate limits."""

from __future__ import annotations

import uuid

import httpx

from tests.support.crispy_server import DEMO, assert_sessions_kept_apart


def _new_session(rest: httpx.Client, headers: dict[str, str]) -> str:
    session = str(uuid.uuid4())
    response = rest.post("/chat", json={"sessionId": session, "message": "Hello", "stream": False}, headers=headers)
    assert response.status_code == 200, response.text
    return session


def test_tenants_never_see_each_other(rest: httpx.Client) -> None:
    assert_sessions_kept_apart(rest, DEMO, {"x-tenant-id": "other"})


def test_host_mapping(rest: httpx.Client) -> None:
    response = rest.get("/health", headers={"host": "demo.example.com"})
    assert response.status_code == 200 and response.json()["tenant"] == "demo"
    response = rest.get("/health", headers={"host": "other.example.com:8787"})
    assert response.json()["tenant"] == "other"


def test_missing_tenant_is_401(rest: httpx.Client) -> None:
    response = rest.get("/health")
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"error", "requestId"} and body["error"]
    assert response.headers["x-request-id"] == body["requestId"]


def test_unknown_tenant_is_401(rest: httpx.Client) -> None:
    assert rest.get("/health", headers={"x-tenant-id": "ghost"}).status_code == 401


def test_api_key_tenant(rest: httpx.Client, acme_key: str) -> None:
    header_only = rest.get("/health", headers={"x-tenant-id": "acme"})
    assert header_only.status_code == 401
    assert header_only.json()["error"] == "Invalid or missing API key"
    ok = rest.get("/health", headers={"x-api-key": acme_key})
    assert ok.status_code == 200 and ok.json()["tenant"] == "acme"
    both = rest.get("/health", headers={"x-api-key": acme_key, "x-tenant-id": "acme"})
    assert both.status_code == 200
    mismatch = rest.get("/health", headers={"x-api-key": acme_key, "x-tenant-id": "demo"})
    assert mismatch.status_code == 401
    forged = acme_key[:-4] + ("AAAA" if not acme_key.endswith("AAAA") else "BBBB")
    assert rest.get("/health", headers={"x-api-key": forged}).status_code == 401
    assert rest.get("/health", headers={"x-api-key": "garbage"}).status_code == 401
    session = _new_session(rest, {"x-api-key": acme_key})
    assert rest.get(f"/chat/{session}/history", headers=DEMO).status_code == 404


def test_rate_limit_headers_and_429(rest: httpx.Client) -> None:
    tiny = {"x-tenant-id": "tiny"}
    remaining = []
    for _ in range(3):
        response = rest.get("/health", headers=tiny)
        assert response.status_code == 200
        assert response.headers["x-ratelimit-limit"] == "3"
        remaining.append(int(response.headers["x-ratelimit-remaining"]))
    assert remaining == [2, 1, 0]
    limited = rest.get("/health", headers=tiny)
    assert limited.status_code == 429
    assert limited.json() == {"error": "Rate limit exceeded", "requestId": limited.headers["x-request-id"]}
    assert limited.headers["x-ratelimit-limit"] == "3"
    assert limited.headers["x-ratelimit-remaining"] == "0"
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    # A limited chat writes nothing.
    session = str(uuid.uuid4())
    chat = rest.post("/chat", json={"sessionId": session, "message": "hi"}, headers=tiny)
    assert chat.status_code == 429
    # Other tenants are unaffected.
    assert rest.get("/health", headers=DEMO).status_code == 200
