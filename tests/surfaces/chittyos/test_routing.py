"""ChittyOS services are chosen by Host; the bridge's own errors use ChittyOS's envelope."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.support.chorus_process import ChorusProcess


@pytest.mark.parametrize("service", ["mcp", "portal"])
def test_mcp_portal_health_on_both_hosts(service_client: Callable[[str], httpx.Client], service: str) -> None:
    response = service_client(service).get("/health")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-request-id"]
    assert response.json() == {"service": "mcp", "status": "healthy"}


def test_host_port_and_case_do_not_matter(chittyos: ChorusProcess) -> None:
    response = httpx.get(chittyos.rest_url + "/health", headers={"host": "MCP.Chitty.CC:8443"})
    assert response.json() == {"service": "mcp", "status": "healthy"}


def test_other_hosts_reach_crispy_not_chittyos(chittyos: ChorusProcess) -> None:
    response = httpx.get(chittyos.rest_url + "/health", headers={"x-tenant-id": "demo"})
    assert response.status_code == 200
    assert response.json()["tenant"] == "demo"


def test_wrong_method_is_405_in_chittyos_envelope(service_client: Callable[[str], httpx.Client]) -> None:
    response = service_client("mcp").post("/health")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"
    assert response.json() == {"error": "Method not allowed", "message": "Allowed methods: GET, HEAD"}


def test_unknown_route_is_404_in_chittyos_envelope(service_client: Callable[[str], httpx.Client]) -> None:
    response = service_client("portal").get("/nope")
    assert response.status_code == 404
    body = response.json()
    assert body["error"] == "Not found"
    assert set(body) == {"error", "message"}


def test_curl_resolves_localhost_service_hosts(chittyos: ChorusProcess) -> None:
    """README examples use http://<service>.localhost:<port>: curl maps *.localhost to loopback."""
    import shutil
    import subprocess

    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    port = chittyos.rest_url.rsplit(":", 1)[1]
    out = subprocess.run(
        ["curl", "-sS", f"http://mcp.localhost:{port}/health"], capture_output=True, text=True, timeout=30, check=True
    )
    assert out.stdout == '{"service":"mcp","status":"healthy"}'
