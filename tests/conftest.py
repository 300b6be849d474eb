"""The backend switch: `CHORUS_TEST_BACKEND=postgres` runs the whole suite on PostgreSQL + Redis.

See tests/support/backends.py. Tests whose behaviour only exists on SQLite
carry `@pytest.mark.sqlite_only(reason=...)` and are skipped on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from server.platform.storage.database import Database
from server.platform.storage.migrate import upgrade_async
from tests.support import backends
from tests.support.mcos_identity import TestIdp

# The shared Crispy server (`chorus`, `rest`, tenants and keys) for every directory's tests.
pytest_plugins = ["tests.support.crispy_server"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only(reason): the behaviour tested exists on SQLite only")


def pytest_report_header() -> str:
    return f"chorus backend: {'PostgreSQL + Redis' if backends.POSTGRES else 'SQLite'}"


def _is_xdist_controller(config: pytest.Config) -> bool:
    """The pytest-xdist process that hands tests to workers and runs none itself."""
    return bool(getattr(config.option, "numprocesses", None)) and not hasattr(config, "workerinput")


def pytest_sessionstart(session: pytest.Session) -> None:
    if not backends.POSTGRES or _is_xdist_controller(session.config):
        return
    # Fail at once, not in every test, when the servers cannot be had.
    try:
        backends.servers()
    except backends.BackendUnavailable as error:
        pytest.exit(f"CHORUS_TEST_BACKEND=postgres, but {error}", returncode=3)


def pytest_sessionfinish(session: pytest.Session) -> None:
    backends.shutdown()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not backends.POSTGRES:
        return
    for item in items:
        marker = item.get_closest_marker("sqlite_only")
        if marker is not None:
            reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "SQLite only")
            item.add_marker(pytest.mark.skip(reason=f"SQLite only: {reason}"))


@pytest.fixture(scope="session")
def pg_redis() -> backends.PgRedis:
    """Running PostgreSQL + Redis (started on first use, in either backend's run):
    `pg_redis.new_database_url()` is a fresh database, `pg_redis.redis_url` the server."""
    try:
        return backends.servers()
    except backends.BackendUnavailable as error:
        pytest.skip(f"PostgreSQL + Redis unavailable: {error}")


@pytest.fixture
async def migrated_url(tmp_path: Path) -> str:
    """A fresh database at the latest migration: a SQLite file, or its own
    PostgreSQL database on that backend. Open as many `Database`s on it as
    the test needs processes."""
    url = backends.database_url(tmp_path / "chorus.db")
    await upgrade_async(url)
    return url


@pytest.fixture
async def two_processes(migrated_url: str) -> AsyncIterator[tuple[Database, Database]]:
    """Two engines on one database, as two Chorus processes would have."""
    first, second = Database(migrated_url), Database(migrated_url)
    yield first, second
    await first.close()
    await second.close()


@pytest.fixture(scope="session")
def idp() -> TestIdp:
    """The test identity provider whose JWKS MCoS-configured servers trust (tests/support/mcos_identity.py)."""
    return TestIdp()
