"""CorsPolicy's decisions, and the send wrapper that adds its headers."""

from __future__ import annotations

from typing import Any

import pytest

from rest_bridge.cors import CorsPolicy, adding_headers
from rest_bridge.dialects import DIALECTS

APP = "https://app.example.com"


def policy(**overrides: Any) -> CorsPolicy:
    args: dict[str, Any] = {"origins": [APP], "methods": ["get", "POST"], "headers": [], "expose": []}
    return CorsPolicy.build(**{**args, **overrides})


def test_a_wildcard_header_list_names_what_the_preflight_asked_for() -> None:
    headers = dict(policy(headers=["*"]).preflight(APP, "POST", "Authorization, X-Anything") or [])
    # `*` would not cover Authorization: the answer names the headers.
    assert headers[b"access-control-allow-headers"] == b"authorization, x-anything"
    assert headers[b"access-control-allow-methods"] == b"GET, POST"


def test_origins_are_exact() -> None:
    cors = policy(origins=[APP + "/"])
    assert cors.preflight(APP, "GET", "") is not None
    assert cors.preflight(APP + ".evil.com", "GET", "") is None
    assert cors.preflight("http://app.example.com", "GET", "") is None


def test_credentials_need_named_origins() -> None:
    with pytest.raises(ValueError, match="explicit list of origins"):
        policy(origins=["*"], credentials=True)


def test_the_surfaces_own_headers_are_allowed_and_exposed() -> None:
    cors = policy(headers=["x-trace"], expose=["x-served-by"]).with_surface_headers(DIALECTS["mcos"])
    own = ("content-type", "idempotency-key", "x-correlation-id", "cf-access-jwt-assertion")
    assert cors.allow_headers == ("x-trace", *own)
    assert cors.expose_headers[0] == "x-correlation-id" and cors.expose_headers[-1] == "x-served-by"
    assert "x-ratelimit-remaining" in cors.expose_headers


async def test_vary_joins_the_one_the_response_has() -> None:
    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(message)

    wrapped = adding_headers(send, [(b"access-control-allow-origin", APP.encode()), (b"vary", b"origin")])
    await wrapped({"type": "http.response.start", "status": 200, "headers": [(b"vary", b"accept-encoding")]})
    await wrapped({"type": "http.response.body", "body": b"{}"})
    assert sent[0]["headers"] == [(b"vary", b"accept-encoding, origin"), (b"access-control-allow-origin", APP.encode())]
    assert sent[1] == {"type": "http.response.body", "body": b"{}"}
