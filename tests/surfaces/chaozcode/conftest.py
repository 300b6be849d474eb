"""One ChaozCode-ready Chorus process shared by the ChaozCode end-to-end tests.

Every test makes its own users (`add_user`, through the real CLI), so counters
and limits never collide between tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from tests.support.chorus_process import ChorusProcess


@pytest.fixture(scope="session")
def chaozcode(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChorusProcess]:
    data_dir: Path = tmp_path_factory.mktemp("chaozcode")
    with ChorusProcess(data_dir) as proc:
        yield proc


@pytest.fixture(scope="session")
def chaozcode_channel(chaozcode: ChorusProcess) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(chaozcode.grpc_addr) as channel:
        yield channel
