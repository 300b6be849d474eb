"""CORS per mount, over real HTTP: preflight answers, the headers of actual answers (errors
included), and nothing at all for other origins or for mounts that configure no CORS."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from pydantic import ValidationError

from server.config import CorsSettings
from tests.support.chorus_process import ChorusProcess

APP = "https://app.example.com"
EVIL = "https://evil.example.com"

MOUNTS = f"""
[[rest.mounts]]
surface = "chittyos-ai"
hosts = ["ai.*"]
cors = {{ allow_origins = ["*"], allow_headers = ["x-trace"], expose_headers = ["x-served-by"], max_age = 60 }}

[[rest.mounts]]
surface = "crispy"
cors = {{ allow_origins = ["{APP}"], allow_methods = ["GET", "POST"], allow_credentials = true }}

[[rest.mounts]]
surface = "mcos"
paths = ["/api/"]
openapi = {{ path = "/api/openapi.json" }}
docs = {{ path = "/api/docs" }}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChorusProcess]:
    with ChorusProcess(tmp_path_factory.mktemp("cors"), config_toml=MOUNTS) as proc:
        yield proc


def send(server: ChorusProcess, method: str, path: str, **headers: str) -> httpx.Response:
    return httpx.request(method, server.rest_url + path, headers={k.replace("_", "-"): v for k, v in headers.items()})


def preflight(
    server: ChorusProcess, path: str, origin: str, method: str, asked: str = "", **headers: str
) -> httpx.Response:
    extra = {"access_control_request_headers": asked} if asked else {}
    return send(server, "OPTIONS", path, origin=origin, access_control_request_method=method, **extra, **headers)


def cors_headers(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.startswith("access-control-")}


def listed(value: str) -> list[str]:
    return [part.strip() for part in value.split(",")]


def test_preflight_from_an_allowed_origin(server: ChorusProcess) -> None:
    response = preflight(server, "/chat", APP, "POST", "content-type,x-tenant-id")
    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["access-control-allow-origin"] == APP
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["access-control-allow-methods"] == "GET, POST"
    # The surface's own request headers: content type, credentials, request id, idempotency key.
    allowed = listed(response.headers["access-control-allow-headers"])
    assert {"content-type", "x-tenant-id", "x-api-key", "x-request-id", "idempotency-key"} <= set(allowed)
    assert response.headers["access-control-max-age"] == "600"
    assert "origin" in listed(response.headers["vary"])


@pytest.mark.parametrize(
    ("origin", "method", "asked"),
    [(EVIL, "POST", "content-type"), (APP, "DELETE", ""), (APP, "POST", "content-type,x-not-allowed")],
    ids=["other-origin", "method-not-allowed", "header-not-allowed"],
)
def test_a_refused_preflight_has_no_cors_headers(server: ChorusProcess, origin: str, method: str, asked: str) -> None:
    response = preflight(server, "/chat", origin, method, asked)
    # The ordinary answer to OPTIONS /chat: Crispy's 405 envelope.
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert set(response.json()) == {"error", "requestId"}
    assert cors_headers(response) == {}


def test_an_answer_to_an_allowed_origin(server: ChorusProcess) -> None:
    response = send(server, "GET", "/health", origin=APP, x_tenant_id="demo")
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == APP
    assert response.headers["access-control-allow-credentials"] == "true"
    exposed = listed(response.headers["access-control-expose-headers"])
    assert exposed == ["x-request-id", "retry-after", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"]
    assert {"x-request-id", "x-ratelimit-limit", "x-ratelimit-remaining"} <= set(response.headers)
    assert listed(response.headers["vary"]) == ["origin"]


def test_errors_carry_cors_headers_too(server: ChorusProcess) -> None:
    """A page reads the surface's error envelope only if the browser lets it."""
    missing = send(server, "GET", "/no-such-route", origin=APP)
    assert missing.status_code == 404
    assert missing.headers["access-control-allow-origin"] == APP
    unauthenticated = send(server, "GET", "/health", origin=APP)
    assert unauthenticated.status_code == 401
    assert unauthenticated.headers["access-control-allow-origin"] == APP


def test_an_answer_to_another_origin_has_no_cors_headers(server: ChorusProcess) -> None:
    for headers in ({"origin": EVIL}, {}):
        response = send(server, "GET", "/health", x_tenant_id="demo", **headers)
        assert response.status_code == 200
        assert cors_headers(response) == {}
        # The answer depends on Origin: caches must not give it to an allowed origin.
        assert listed(response.headers["vary"]) == ["origin"]


def test_any_origin_without_credentials(server: ChorusProcess) -> None:
    response = send(server, "GET", "/v1/models", host="ai.chitty.cc", origin=EVIL)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers
    assert "vary" not in response.headers
    exposed = listed(response.headers["access-control-expose-headers"])
    assert exposed[0] == "x-request-id" and exposed[-1] == "x-served-by"

    asked = "authorization,content-type,x-trace"
    allowed = preflight(server, "/v1/chat/completions", EVIL, "POST", asked, host="ai.chitty.cc")
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == "*"
    # The configured header and the surface's own, by name.
    assert set(listed(allowed.headers["access-control-allow-headers"])) >= {"authorization", "content-type", "x-trace"}
    assert allowed.headers["access-control-max-age"] == "60"

    refused = preflight(server, "/v1/chat/completions", EVIL, "POST", "x-other", host="ai.chitty.cc")
    assert refused.status_code == 405
    assert refused.json()["error"]["code"] == "method_not_allowed"
    assert cors_headers(refused) == {}


def test_a_mount_without_cors_sends_none(server: ChorusProcess) -> None:
    answer = send(server, "GET", "/api/health", origin=APP)
    assert answer.status_code == 200
    assert cors_headers(answer) == {} and "vary" not in answer.headers
    refused = preflight(server, "/api/tasks", APP, "POST", "content-type")
    assert refused.status_code == 405
    assert refused.json()["error"]["code"] == "VALIDATION_ERROR"
    assert cors_headers(refused) == {}


def test_credentials_need_named_origins() -> None:
    with pytest.raises(ValidationError, match="explicit allow_origins"):
        CorsSettings(allow_origins=["*"], allow_credentials=True)
    with pytest.raises(ValidationError):
        CorsSettings(allow_origins=[])
