"""A shared Chorus process for end-to-end tests (real server, ephemeral ports)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.chorus_process import ChorusProcess, printed, run_cli

# Tenants the shared server knows besides the default `demo`:
#   acme  — API key required; one key issued (in `acme_key`)
#   other — id header accepted (to prove isolation from demo)
#   tiny, tiny-grpc — id header accepted, 3 requests/minute (rate limit tests)
#   e2e   — id header accepted, limits high enough for the whole suite
#   bursty — id header accepted, the default 100/minute with a burst of 2/second
#   proxied, proxied-grpc — id header accepted, 3 requests/minute (client address tests)
# Most tests use `e2e`: the suite sends far more than demo's 100/minute.
SEED_CONFIG = """
[[crispy.tenants]]
id = "demo"
allow_unauthenticated = true
hosts = ["demo.example.com"]

[[crispy.tenants]]
id = "other"
allow_unauthenticated = true
hosts = ["other.example.com"]
"""


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("chorus-e2e")


@pytest.fixture(scope="session")
def acme_key(data_dir: Path) -> str:
    (data_dir / "chorus.toml").write_text(SEED_CONFIG)
    run_cli(data_dir, "tenants", "add", "acme", "--name", "Acme")
    run_cli(
        data_dir,
        "tenants",
        "add",
        "e2e",
        "--allow-unauthenticated",
        "--rate-per-minute",
        "1000000",
        "--burst-per-second",
        "100000",
    )
    run_cli(data_dir, "tenants", "add", "tiny-grpc", "--allow-unauthenticated", "--rate-per-minute", "3")
    run_cli(data_dir, "tenants", "add", "tiny", "--allow-unauthenticated", "--rate-per-minute", "3")
    run_cli(data_dir, "tenants", "add", "bursty", "--allow-unauthenticated", "--burst-per-second", "2")
    for proxied in ("proxied", "proxied-grpc"):
        run_cli(data_dir, "tenants", "add", proxied, "--allow-unauthenticated", "--rate-per-minute", "3")
    out = run_cli(data_dir, "api-keys", "create", "--tenant", "acme", "--user", "alice")
    return printed(out, "key")


@pytest.fixture(scope="session")
def acme_bob_key(data_dir: Path, acme_key: str) -> str:
    """A second user's key of `acme` (the first is alice's, `acme_key`)."""
    out = run_cli(data_dir, "api-keys", "create", "--tenant", "acme", "--user", "bob")
    return printed(out, "key")


@pytest.fixture(scope="session", params=["grpc", "inprocess"])
def chorus(request: pytest.FixtureRequest, data_dir: Path, acme_key: str) -> Iterator[ChorusProcess]:
    """The suite runs once per bridge transport: loopback gRPC and in-process."""
    env = {"CHORUS_REST__TRANSPORT": request.param}
    with ChorusProcess(data_dir, config_toml=SEED_CONFIG, env=env) as proc:
        yield proc


@pytest.fixture(scope="session")
def rest(chorus: ChorusProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=chorus.rest_url, timeout=30) as client:
        yield client


DEMO = {"x-tenant-id": "e2e"}


def assert_sessions_kept_apart(rest: httpx.Client, owner: dict[str, str], stranger: dict[str, str]) -> None:
    """`stranger` can neither read nor delete a session of `owner`'s; its chat under the same
    session id is a session of its own."""
    session = str(uuid.uuid4())
    said = rest.post("/chat", json={"sessionId": session, "message": "Hello", "stream": False}, headers=owner)
    assert said.status_code == 200, said.text
    assert rest.get(f"/chat/{session}/history", headers=stranger).status_code == 404
    assert rest.delete(f"/chat/{session}", headers=stranger).status_code == 404
    rest.post("/chat", json={"sessionId": session, "message": "Mine", "stream": False}, headers=stranger)
    mine = rest.get(f"/chat/{session}/history", headers=stranger).json()["messages"]
    theirs = rest.get(f"/chat/{session}/history", headers=owner).json()["messages"]
    assert [m["content"] for m in mine if m["role"] == "user"] == ["Mine"]
    assert [m["content"] for m in theirs if m["role"] == "user"] == ["Hello"]
