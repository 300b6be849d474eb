"""One ChittyOS-configured Chorus process shared by the ChittyOS end-to-end tests.

Each ChittyOS service is reached through its documented Host (`id.*`,
`auth.*`, `sync.*`/`api.*`, `ai.*`, `mcp.*`/`portal.*`), exactly as the
bridge's default mounts route them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.chorus_process import ChorusProcess, printed, run_cli

# The bootstrap admin credential that may mint tokens (POST /api/auth/token).
ADMIN_KEY = "test-admin-key-0123456789abcdef"

CHITTYOS_CONFIG = f"""
[chittyos.auth]
admin_key = "{ADMIN_KEY}"
"""

HOSTS = {
    "id": "id.chitty.cc",
    "auth": "auth.chitty.cc",
    "sync": "sync.chitty.cc",
    "api": "api.chitty.cc",
    "ai": "ai.chitty.cc",
    "mcp": "mcp.chitty.cc",
    "portal": "portal.chitty.cc",
}


@pytest.fixture(scope="session")
def chittyos(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChorusProcess]:
    data_dir: Path = tmp_path_factory.mktemp("chittyos")
    with ChorusProcess(data_dir, config_toml=CHITTYOS_CONFIG) as proc:
        yield proc


@pytest.fixture(scope="session")
def service_client(chittyos: ChorusProcess) -> Iterator[Callable[[str], httpx.Client]]:
    """`service_client("auth")`: an httpx client whose requests carry that service's Host."""
    clients: dict[str, httpx.Client] = {}

    def client(service: str) -> httpx.Client:
        if service not in clients:
            clients[service] = httpx.Client(
                base_url=chittyos.rest_url, headers={"host": HOSTS[service]}, timeout=30
            )
        return clients[service]

    yield client
    for c in clients.values():
        c.close()


@pytest.fixture(scope="session")
def chittyos_api_key(chittyos: ChorusProcess) -> str:
    """An API key of the ChittyOS tenant (what `POST /generate` takes as its Bearer credential)."""
    out = run_cli(chittyos.data_dir, "api-keys", "create", "--tenant", "chittyos", "--name", "tests")
    return printed(out, "key")


@pytest.fixture(scope="session")
def mint_token(service_client: Callable[[str], httpx.Client]) -> Callable[..., str]:
    """`mint_token(["read"], chitty_id=..., expires_in=...)`: a JWT from POST /api/auth/token."""

    def mint(permissions: list[str], chitty_id: str = "01-P-EO-0001-T-25-C-X", expires_in: int = 3600) -> str:
        response = service_client("auth").post(
            "/api/auth/token",
            json={"chittyId": chitty_id, "permissions": permissions, "expiresIn": expires_in},
            headers={"authorization": f"Bearer {ADMIN_KEY}"},
        )
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token

    return mint
