"""One Agent Chassis-ready Chorus process (a real SMTP server and a local Google issuer
beside it), shared by the Agent Chassis end-to-end tests; every test makes its own users."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.agentchassis import API_KEY, GOOGLE_CLIENT_ID
from tests.support.chorus_process import ChorusProcess
from tests.support.jwks_issuer import JwksIssuer
from tests.support.smtp_server import SmtpServer


@pytest.fixture(scope="session")
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def google_issuer() -> Iterator[JwksIssuer]:
    issuer = JwksIssuer().start()
    yield issuer
    issuer.stop()


@pytest.fixture(scope="session")
def chassis(
    tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer, google_issuer: JwksIssuer
) -> Iterator[ChorusProcess]:
    data_dir: Path = tmp_path_factory.mktemp("agentchassis")
    config = f"""
log_level = "debug"
[agentchassis]
api_key = "{API_KEY}"
[agentchassis.smtp]
host = "127.0.0.1"
port = {smtp.port}
security = "none"
[agentchassis.google]
client_id = "{GOOGLE_CLIENT_ID}"
jwks_url = "{google_issuer.jwks_url}"
"""
    with ChorusProcess(data_dir, config_toml=config) as proc:
        yield proc
