"""One real Chorus serving every surface, with a working credential for each, for the fuzz tests.

Each surface is reached as its clients reach it: ChittyOS services by their Host, Crispy and
MCoS on any host. `Surface.credentials` are real ones issued by this server (a Crispy API key
with limits high enough for fuzzing, a ChittyOS API key, the admin key, an access token with
every permission, an MCoS assertion from a test identity provider), so authenticated routes run past
their credential checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.chittyos_sync import mint
from tests.support.chorus_process import ROOT, ChorusProcess, printed, run_cli
from tests.support.mcos_identity import TestIdp
from tests.surfaces.chittyos.conftest import ADMIN_KEY, CHITTYOS_CONFIG
from tests.surfaces.mcos.conftest import mcos_config

OPENAPI = ROOT / "gen" / "chorus_contracts" / "openapi"


# What a response must agree with in the document: status, content type, headers, body schema.
CHECKS = [
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

# Where each surface's mount serves its OpenAPI document (the bridge's default mounts).
DOCUMENT_PATHS = {
    "mcos": "/api/openapi.json",
    "chaozcode": "/v2/openapi.json",
    "agentchassis": "/api/v1/openapi.json",
}
# ChaozCode's plans, raised so the fuzzer's thousands of calls stay under them.
CHAOZCODE_PLANS = "".join(
    f"\n[chaozcode.plans.{plan}]\nper_minute = 1000000\nper_day = 0\nburst = 1000000\n"
    for plan in ("free", "pro", "team", "enterprise")
)
# Agent Chassis's key, and its sign-in limits raised likewise.
CHASSIS_KEY = "fuzz-chassis-key"
CHASSIS_CONFIG = (
    f'\n[agentchassis]\napi_key = "{CHASSIS_KEY}"\nlogin_attempts = 1000000\nmails_per_minute = 1000000\n'
)


@dataclass(frozen=True)
class Surface:
    name: str  # the OpenAPI document's name, gen/chorus_contracts/openapi/<name>.json
    host: str  # the Host that routes to it ("" when any host does)
    credentials: dict[str, str] = field(default_factory=dict)
    rest_url: str = ""  # the server's
    prefix: str = ""  # the mount's path prefix (ChaozCode's "/v2"), before the document's paths

    @property
    def base_url(self) -> str:
        return self.rest_url + self.prefix

    def document(self) -> dict[str, Any]:
        """The document as the server serves it (the generated one, as package data)."""
        url = self.rest_url + DOCUMENT_PATHS.get(self.name, "/openapi.json")
        response = httpx.get(url, headers=self.headers(authenticated=False))
        response.raise_for_status()
        doc: dict[str, Any] = response.json()
        return doc

    def headers(self, authenticated: bool) -> dict[str, str]:
        headers = {"host": self.host} if self.host else {}
        return {**headers, **self.credentials} if authenticated else headers


@pytest.fixture(scope="session")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory, idp: TestIdp) -> Iterator[ChorusProcess]:
    data_dir: Path = tmp_path_factory.mktemp("fuzz")
    jwks = idp.write_jwks(data_dir / "jwks.json")
    # Operations declare their security, so schemathesis also sends made-up credentials: from
    # one address, enough to lock it out (`api_key_lockout`) for the valid key that follows.
    lockout = "\n[api_key_lockout]\nfailures = 1000000\n"
    config = CHITTYOS_CONFIG + mcos_config(jwks) + lockout + CHAOZCODE_PLANS + CHASSIS_CONFIG
    with ChorusProcess(data_dir, config_toml=config) as proc:
        yield proc


def _crispy_key(data: Path) -> str:
    run_cli(data, "tenants", "add", "fuzz", "--rate-per-minute", "1000000", "--burst-per-second", "100000")
    return printed(run_cli(data, "api-keys", "create", "--tenant", "fuzz", "--user", "fuzzer"), "key")


@pytest.fixture(scope="session")
def surfaces(fuzz_server: ChorusProcess, idp: TestIdp) -> dict[str, Surface]:
    data = fuzz_server.data_dir
    with ThreadPoolExecutor(3) as pool:  # each admin command is a process start: run them at once
        crispy = pool.submit(_crispy_key, data)
        chittyos = pool.submit(run_cli, data, "api-keys", "create", "--tenant", "chittyos", "--name", "fuzz")
        chaozcode = pool.submit(
            run_cli, data, "chaozcode", "users", "add", "--email", "fuzz@example.com", "--plan", "enterprise"
        )
        crispy_key, chittyos_key = crispy.result(), printed(chittyos.result(), "key")
        chaozcode_key = printed(chaozcode.result(), "key")
    token = mint(fuzz_server.rest_url, ["read", "write", "admin"])
    assertion = idp.token("fuzzer")
    url = fuzz_server.rest_url
    listed = [
        Surface("crispy", "", {"x-api-key": crispy_key}, url),
        Surface("mcos", "", {"cf-access-jwt-assertion": assertion}, url),
        Surface("chaozcode", "api.chaozcode.com", {"authorization": f"Bearer {chaozcode_key}"}, url, "/v2"),
        Surface("agentchassis", "", {"x-api-key": CHASSIS_KEY}, url, "/api/v1"),
        Surface("chittyos-id", "id.chitty.cc", {"authorization": f"Bearer {chittyos_key}"}, url),
        Surface("chittyos-auth", "auth.chitty.cc", {"authorization": f"Bearer {ADMIN_KEY}"}, url),
        Surface("chittyos-sync", "api.chitty.cc", {"authorization": f"Bearer {token}"}, url),
        Surface("chittyos-ai", "ai.chitty.cc", {"authorization": f"Bearer {chittyos_key}"}, url),
        Surface("chittyos-mcp", "mcp.chitty.cc", {"authorization": f"Bearer {token}"}, url),
    ]
    return {s.name: s for s in listed}


# (cases sent, seconds) per surface and credential, reported after the run.
FUZZ_STATS: dict[str, tuple[int, float]] = {}


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not FUZZ_STATS:
        return
    terminalreporter.section("schemathesis cases")
    for label, (cases, seconds) in sorted(FUZZ_STATS.items()):
        terminalreporter.write_line(f"{cases:6d} cases {seconds:6.1f} s  {label}")
    total = sum(c for c, _ in FUZZ_STATS.values()), sum(s for _, s in FUZZ_STATS.values())
    terminalreporter.write_line(f"{total[0]:6d} cases {total[1]:6.1f} s  in all")


SURFACE_NAMES = sorted(p.stem for p in OPENAPI.glob("*.json"))
