"""Each surface's /docs page, in headless Chromium against a real server: Swagger UI renders
every operation of the surface's served OpenAPI document, from the bridge alone (no CDN).

Screenshots are kept in pytest's temporary directory (`docs-pages/<page>.png`, listed
in the test's output) for a person to look at.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support.chorus_process import ChorusProcess
from tests.support.chromium import Browser, browser

# Page -> (surface, Host its clients use, where its docs page is, where its document is).
# ChittyOS hosts resolve to the server through the browser's resolver rules; Crispy and MCoS
# answer on any host. Agent Chassis's `/docs` is on its own hosts (`agentchassis.localhost`,
# and port 8000, the document's); on others `/docs` stays Crispy's.
PAGES = {
    "crispy": ("crispy", "127.0.0.1", "/docs", "/openapi.json"),
    "mcos": ("mcos", "127.0.0.1", "/api/docs", "/api/openapi.json"),
    "agentchassis": ("agentchassis", "127.0.0.1", "/api/v1/docs", "/api/v1/openapi.json"),
    "agentchassis-own-host": ("agentchassis", "agentchassis.localhost", "/docs", "/api/v1/openapi.json"),
    "chittyos-id": ("chittyos-id", "id.chitty.cc", "/docs", "/openapi.json"),
    "chittyos-auth": ("chittyos-auth", "auth.chitty.cc", "/docs", "/openapi.json"),
    "chittyos-sync": ("chittyos-sync", "api.chitty.cc", "/docs", "/openapi.json"),
    "chittyos-ai": ("chittyos-ai", "ai.chitty.cc", "/docs", "/openapi.json"),
    "chittyos-mcp": ("chittyos-mcp", "mcp.chitty.cc", "/docs", "/openapi.json"),
}
_VERBS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Every operation Swagger UI drew: [METHOD, path] pairs.
_RENDERED = """[...document.querySelectorAll('.opblock')].map(block => [
  block.querySelector('.opblock-summary-method').textContent.trim(),
  block.querySelector('.opblock-summary-path').dataset.path])"""


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    # Nothing leaves the machine: every host name is this one (a CDN load would fail).
    with browser("--host-resolver-rules=MAP * 127.0.0.1") as started:
        yield started


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("docs-pages", numbered=False)


@pytest.mark.parametrize("name", sorted(PAGES))
def test_docs_page_lists_the_surfaces_operations(
    name: str, server: ChorusProcess, chromium: Browser, screenshots: Path
) -> None:
    surface, host, docs, document_url = PAGES[name]
    port = urlsplit(server.rest_url).port
    origin = f"http://{host}:{port}"
    served = httpx.get(f"{server.rest_url}{document_url}", headers={"host": host}).json()
    expected = sorted([verb.upper(), path] for path, item in served["paths"].items() for verb in item if verb in _VERBS)

    with chromium.page() as page:
        page.goto(origin + docs)
        rendered = page.wait_for(f"document.querySelectorAll('.opblock').length >= {len(expected)} && {_RENDERED}")
        title = page.evaluate("document.querySelector('.info .title').textContent")
        servers = page.evaluate("[...document.querySelectorAll('.servers option')].map(option => option.value)")
        resources = page.evaluate("performance.getEntriesByType('resource').map(entry => entry.name)")
        shot = page.screenshot(screenshots / f"{name}.png")

    print(f"screenshot: {shot}")
    assert sorted(rendered) == expected
    assert f"{surface} surface" in title
    # Under a prefix, "Try it out" calls the routes where they are (`/api/v1/agent/completion`).
    assert servers == [entry["url"] for entry in served.get("servers", [])]
    # The page, its script, styles and the document all came from this server.
    assert resources, "the page loaded nothing"
    assert all(url.startswith(origin + "/") for url in resources), json.dumps(resources, indent=1)
    assert origin + document_url in resources
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 20_000
