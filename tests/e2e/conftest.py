"""`server`: a Chorus with nothing configured, started once for the end-to-end tests that only
read what the default mounts serve (OpenAPI documents, docs pages). A module that needs other
settings defines its own `server` (test_cors.py, test_slow_clients.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.chorus_process import ChorusProcess


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChorusProcess]:
    with ChorusProcess(tmp_path_factory.mktemp("default-mounts")) as proc:
        yield proc
