"""One MCoS-configured Chorus process shared by the Micro Chief of Staff end-to-end tests.

Identity comes from the session's test IdP (`idp`, tests/conftest.py; tests/support/mcos_identity.py)
whose JWKS file the server is configured with. Every test should act as its own principal
(`user()`), so per-user quotas and data never collide between tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import httpx
import pytest

from tests.support.chorus_process import ChorusProcess
from tests.support.mcos_identity import AUDIENCE, ISSUER, TestIdp, User, new_sub


def mcos_config(jwks_file: Path, extra: str = "") -> str:
    return f"""
[mcos.access]
jwks_file = "{jwks_file}"
audience = "{AUDIENCE}"
issuer = "{ISSUER}"
{extra}
"""


@pytest.fixture(scope="session")
def mcos(tmp_path_factory: pytest.TempPathFactory, idp: TestIdp) -> Iterator[ChorusProcess]:
    data_dir: Path = tmp_path_factory.mktemp("mcos")
    jwks = idp.write_jwks(data_dir / "jwks.json")
    with ChorusProcess(data_dir, config_toml=mcos_config(jwks)) as proc:
        yield proc


@pytest.fixture
def user(mcos: ChorusProcess, idp: TestIdp) -> Iterator[Callable[..., User]]:
    """`user()` -> a new principal with an httpx client for the REST bridge."""
    made: list[httpx.Client] = []

    def make(sub: str = "") -> User:
        sub = sub or new_sub()
        token = idp.token(sub)
        client = httpx.Client(base_url=mcos.rest_url, headers={"cf-access-jwt-assertion": token}, timeout=30)
        made.append(client)
        return User(sub, token, client, (("cf-access-jwt-assertion", token),))

    yield make
    for client in made:
        client.close()


@pytest.fixture(scope="session")
def mcos_channel(mcos: ChorusProcess) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(mcos.grpc_addr) as channel:
        yield channel

