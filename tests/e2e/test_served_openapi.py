"""The pages the bridge serves itself: each surface's OpenAPI document (package data) and
its Swagger UI page, at the paths its mount configures, with errors in the surface's envelope."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema
import openapi_spec_validator
import pytest
from pydantic import ValidationError
from swagger_ui_bundle import swagger_ui_path

from rest_bridge.openapi_pages import packaged_document
from server.config import DocsPage, OpenApiPage
from tests.support.chorus_process import ChorusProcess

# Surface -> (Host, document path, docs path) under the default mounts.
DEFAULTS = {
    "crispy": ("127.0.0.1", "/openapi.json", "/docs"),
    "mcos": ("127.0.0.1", "/api/openapi.json", "/api/docs"),
    "chittyos-id": ("id.chitty.cc", "/openapi.json", "/docs"),
    "chittyos-auth": ("auth.chitty.cc", "/openapi.json", "/docs"),
    "chittyos-sync": ("sync.chitty.cc", "/openapi.json", "/docs"),
    "chittyos-ai": ("ai.chitty.cc", "/openapi.json", "/docs"),
    "chittyos-mcp": ("portal.chitty.cc", "/openapi.json", "/docs"),
}

# Every mount as by default, but: ChittyOS ID serves no document, Crispy sits under /v9 with
# its document where Agent Chassis will want one, MCoS serves its document but no page, Agent
# Chassis is on one host and port only, with its page outside its prefix.
CUSTOM_MOUNTS = """
[[rest.mounts]]
surface = "chittyos-id"
hosts = ["id.*"]
openapi = { enabled = false }

[[rest.mounts]]
surface = "chittyos-auth"
hosts = ["auth.*"]

[[rest.mounts]]
surface = "crispy"
prefix = "/v9"
openapi = { path = "/api/v1/openapi.json" }

[[rest.mounts]]
surface = "mcos"
paths = ["/api/"]
openapi = { path = "/api/openapi.json" }
docs = { enabled = false }

[[rest.mounts]]
surface = "agentchassis"
hosts = ["chassis.example:8443"]
prefix = "/api/v1"
docs = { path = "/reference", below_prefix = false }
"""


@pytest.fixture(scope="module")
def custom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChorusProcess]:
    with ChorusProcess(tmp_path_factory.mktemp("served-openapi-custom"), config_toml=CUSTOM_MOUNTS) as proc:
        yield proc


def get(server: ChorusProcess, host: str, path: str, method: str = "GET") -> httpx.Response:
    return httpx.request(method, server.rest_url + path, headers={"host": host})


def assert_error_envelope(doc: dict[str, Any], response: httpx.Response, status: int) -> None:
    """An error answer as the document's `Error` response describes it."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    error = doc["components"]["responses"]["Error"]
    for name, header in error["headers"].items():
        assert not header.get("required") or name in response.headers, name
    # The error schema, resolved within the document (OpenAPI 3.1 schemas are JSON Schema 2020-12).
    schema = {**doc, **error["content"]["application/json"]["schema"]}
    jsonschema.Draft202012Validator(schema).validate(response.json())


@pytest.mark.parametrize("surface", sorted(DEFAULTS))
def test_each_surface_serves_its_packaged_document(surface: str, server: ChorusProcess) -> None:
    host, path, _ = DEFAULTS[surface]
    response = get(server, host, path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content == packaged_document(surface)
    doc = response.json()
    openapi_spec_validator.validate(doc)
    assert doc["info"]["title"] == f"Chorus — {surface} surface"

    head = get(server, host, path, "HEAD")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(response.content))

    refused = get(server, host, path, "POST")
    assert refused.headers["allow"] == "GET, HEAD"
    assert_error_envelope(doc, refused, 405)


@pytest.mark.parametrize("surface", sorted(DEFAULTS))
def test_each_surface_serves_swagger_ui_from_the_bridge(surface: str, server: ChorusProcess) -> None:
    host, document, docs = DEFAULTS[surface]
    page = get(server, host, docs)
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["content-security-policy"].startswith("default-src 'self';")
    links = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert links and all(link.startswith(docs + "/") for link in links), links
    for link in links:
        asset = get(server, host, link)
        assert asset.status_code == 200, link
        if not link.endswith("/start.js"):
            assert asset.content == (swagger_ui_path / link.rsplit("/", 1)[1]).read_bytes()
    start = get(server, host, docs + "/start.js")
    assert f'url: "{document}"' in start.text
    assert start.headers["content-type"] == "text/javascript; charset=utf-8"

    doc = get(server, host, document).json()
    # Only the page's own files: any other name below it is the surface's 404.
    assert_error_envelope(doc, get(server, host, docs + "/swagger-initializer.js"), 404)
    assert_error_envelope(doc, get(server, host, docs + "/../" + document), 404)


def test_a_mount_may_not_serve_its_document(custom: ChorusProcess) -> None:
    doc = get(custom, "auth.chitty.cc", "/openapi.json").json()  # the same envelope as chittyos-id's
    for path in ("/openapi.json", "/docs"):
        response = get(custom, "id.chitty.cc", path)
        assert_error_envelope(doc, response, 404)
        assert response.json()["error"] == "Not found"


def test_a_document_path_below_the_mounts_prefix(custom: ChorusProcess) -> None:
    response = get(custom, "localhost", "/v9/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    # Under a prefix the document says where its paths are; otherwise it is the packaged one.
    assert doc.pop("servers") == [{"url": "/v9", "description": "Where this bridge mounts the surface."}]
    assert doc == httpx.Response(200, content=packaged_document("crispy")).json()
    assert 'url: "/v9/api/v1/openapi.json"' in get(custom, "localhost", "/v9/docs/start.js").text
    # The default path is now an unknown one: the catch-all surface's 404.
    assert_error_envelope(doc, get(custom, "localhost", "/openapi.json"), 404)


def test_a_mount_may_serve_its_document_without_the_page(custom: ChorusProcess) -> None:
    doc = get(custom, "localhost", "/api/openapi.json").json()
    assert doc["info"]["title"] == "Chorus — mcos surface"
    response = get(custom, "localhost", "/api/docs")
    assert_error_envelope(doc, response, 404)
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_page_paths_are_checked_at_start() -> None:
    assert DocsPage().path == "/docs" and OpenApiPage().path == "/openapi.json"
    for wrong in ("openapi.json", "/docs/"):
        with pytest.raises(ValidationError, match="a path starts with '/'"):
            OpenApiPage(path=wrong)


# Agent Chassis's own hosts: the document's `http://localhost:8000` (port 8000 on any name)
# and `agentchassis.localhost` on any port. Others keep Crispy's `/docs`.
AGENT_CHASSIS_HOSTS = ("localhost:8000", "127.0.0.1:8000", "192.0.2.7:8000", "agentchassis.localhost:8080")
OTHER_HOSTS = ("localhost:8080", "127.0.0.1", "localhost:18000", "localhost:800")


@pytest.mark.parametrize("host", AGENT_CHASSIS_HOSTS)
def test_agent_chassis_serves_docs_where_its_document_says(host: str, server: ChorusProcess) -> None:
    document = get(server, host, "/api/v1/openapi.json")
    assert document.status_code == 200
    doc = document.json()
    assert doc["info"]["title"] == "Chorus — agentchassis surface"
    assert doc["servers"] == [{"url": "/api/v1", "description": "Where this bridge mounts the surface."}]

    page = get(server, host, "/docs")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "<title>Chorus — agentchassis surface</title>" in page.text
    assert 'url: "/api/v1/openapi.json"' in get(server, host, "/docs/start.js").text
    assert get(server, host, "/docs/swagger-ui.css").content == (swagger_ui_path / "swagger-ui.css").read_bytes()
    # Below its prefix as on every host.
    assert 'url: "/api/v1/openapi.json"' in get(server, host, "/api/v1/docs/start.js").text
    # The other surfaces still answer on this host: Crispy's document, ChittyOS's by its name.
    assert get(server, host, "/openapi.json").json()["info"]["title"] == "Chorus — crispy surface"
    # Unknown paths are Agent Chassis's, as on the document's server.
    assert_error_envelope(doc, get(server, host, "/docs/swagger-initializer.js"), 404)
    assert get(server, host, "/no-such-page").json() == {"detail": "Not Found"}


@pytest.mark.parametrize("host", OTHER_HOSTS)
def test_other_hosts_keep_crispys_docs(host: str, server: ChorusProcess) -> None:
    page = get(server, host, "/docs")
    assert page.status_code == 200
    assert "<title>Chorus — crispy surface</title>" in page.text
    assert 'url: "/openapi.json"' in get(server, host, "/docs/start.js").text
    # Agent Chassis's document is where the document says on every host, its page below its prefix.
    document = get(server, host, "/api/v1/openapi.json")
    assert document.json()["info"]["title"] == "Chorus — agentchassis surface"
    assert 'url: "/api/v1/openapi.json"' in get(server, host, "/api/v1/docs/start.js").text


def test_a_named_host_mount_wins_over_the_port_one(server: ChorusProcess) -> None:
    """ChittyOS AI's `ai.*` is declared before Agent Chassis's `*:8000`: its `/docs` stays its own."""
    page = get(server, "ai.localhost:8000", "/docs")
    assert "<title>Chorus — chittyos-ai surface</title>" in page.text
    document = get(server, "ai.localhost:8000", "/api/v1/openapi.json").json()
    assert document["info"]["title"] == "Chorus — agentchassis surface"


def test_a_page_path_from_the_root(custom: ChorusProcess) -> None:
    page = get(custom, "chassis.example:8443", "/reference")
    assert "<title>Chorus — agentchassis surface</title>" in page.text
    assert 'url: "/api/v1/openapi.json"' in get(custom, "chassis.example:8443", "/reference/start.js").text
    assert get(custom, "chassis.example:8443", "/api/v1/openapi.json").json()["servers"][0]["url"] == "/api/v1"
    # Not below the prefix, and not on another port of that name.
    assert get(custom, "chassis.example:8443", "/api/v1/reference").json() == {"detail": "Not Found"}
    assert get(custom, "chassis.example:8080", "/reference").status_code == 404
