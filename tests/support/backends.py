"""PostgreSQL + Redis for the test suite: found or installed, started once per session.

`CHORUS_TEST_BACKEND=postgres` runs the whole suite on them. Every Chorus a
test starts (a `chorus serve` process, a `run_cli` command, an in-process
`Chorus`, a bare `Database`) gets a database of its own per data directory:
it starts empty exactly as a fresh SQLite data directory does, a restart on
the same directory finds its data again, and two processes on one data
directory share one database, as two processes on one SQLite file do. Each
Chorus also gets a Redis key prefix of its own, so its counters (rate limits)
start at zero, as the in-memory ones of a SQLite run do at every start.

Unset, the suite runs on SQLite; tests that always need the servers (e.g.
replicas) take the `pg_redis` fixture, which starts them on first use.
The servers are stopped and their directory removed at the end of the session.

Under pytest-xdist (`make test` runs `-n 2`) every worker is a process with its
own session: it starts its own cluster and Redis (the module's globals are per
process), so workers never share a database, a Redis key or a port; the
controller, which runs no tests, starts none (tests/conftest.py).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import itertools
import os
import pwd
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import redis

from tests.support.apt import InstallFailed, apt_install

T = TypeVar("T")

BACKEND = os.environ.get("CHORUS_TEST_BACKEND", "sqlite") or "sqlite"
if BACKEND not in ("sqlite", "postgres"):
    raise RuntimeError(f"CHORUS_TEST_BACKEND must be 'sqlite' or 'postgres', not {BACKEND!r}")
POSTGRES = BACKEND == "postgres"

# PostgreSQL tuned for a throwaway test cluster: durability off (the data dies
# with the session anyway), room for every pool the suite's processes open,
# and a server time zone that is not UTC, so code relying on it would show.
_PG_CONF = """
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{socket_dir}'
max_connections = 400
shared_buffers = 64MB
fsync = off
synchronous_commit = off
full_page_writes = off
timezone = 'America/Los_Angeles'
log_min_messages = warning
"""
_START_TIMEOUT = 60.0
# pytest-xdist's worker id ("gw0", "gw1", ...), "main" without xdist: names what this process owns.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
_UNPRIVILEGED = "nobody"


class BackendUnavailable(RuntimeError):
    """PostgreSQL or Redis could not be found, installed or started; the message says why."""


@dataclass(frozen=True)
class BackendEnv:
    """Where one Chorus keeps its state on PostgreSQL + Redis."""

    database_url: str
    redis_url: str
    redis_prefix: str

    def as_env(self) -> dict[str, str]:
        return {
            "CHORUS_DATABASE_URL": self.database_url,
            "CHORUS_REDIS_URL": self.redis_url,
            "CHORUS_REDIS_PREFIX": self.redis_prefix,
        }

    def as_settings(self) -> dict[str, Any]:
        return {"database_url": self.database_url, "redis_url": self.redis_url, "redis_prefix": self.redis_prefix}


# --- finding and installing the servers -------------------------------------------------------


def _pg_bin_dir() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres: PATH, /usr/local/bin, then Debian's
    /usr/lib/postgresql/<version>/bin, newest first."""
    candidates: list[Path] = []
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).parent)
    candidates.append(Path("/usr/local/bin"))
    versions = Path("/usr/lib/postgresql").glob("*/bin")
    candidates += sorted(versions, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0, reverse=True)
    for directory in candidates:
        if all((directory / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return directory
    return None


def _ensure_installed() -> tuple[Path, str]:
    """(PostgreSQL's bin directory, the redis-server path), installing what is missing."""
    missing = []
    if _pg_bin_dir() is None:
        missing.append("postgresql")
    if shutil.which("redis-server") is None:
        missing.append("redis-server")
    if missing:
        try:
            apt_install(missing)
        except InstallFailed as error:
            raise BackendUnavailable(str(error)) from error
    pg_bin, redis_server = _pg_bin_dir(), shutil.which("redis-server")
    if pg_bin is None or redis_server is None:
        raise BackendUnavailable("PostgreSQL or redis-server still missing after apt-get install")
    return pg_bin, redis_server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# --- the servers -------------------------------------------------------------------------------


class _AdminLoop:
    """An event loop on a thread of its own for asyncpg calls: callers are synchronous test
    code that may itself be running inside the test's event loop."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="pg-admin", daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


class PgRedis:
    """A PostgreSQL cluster and a Redis server on loopback ports, in one temporary directory."""

    def __init__(self) -> None:
        self.pg_bin, self._redis_server = _ensure_installed()
        # initdb and postgres refuse to run as root: run them as an unprivileged user
        # that owns the directory, in /tmp, which that user can reach (TMPDIR may not be).
        # A short path also keeps the unix socket's path within its length limit.
        as_root = os.geteuid() == 0
        self.root = Path(tempfile.mkdtemp(prefix=f"chorus-pg-redis-{WORKER}-", dir="/tmp" if as_root else None))
        self._run_as: list[str] = []
        if as_root:
            user = pwd.getpwnam(_UNPRIVILEGED)
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self._run_as = ["runuser", "-u", _UNPRIVILEGED, "--"]
        self._pgdata = self.root / "pgdata"
        self._redis: subprocess.Popen[bytes] | None = None
        self._pg_started = False
        self._admin = _AdminLoop()
        self._admin_conn: asyncpg.Connection | None = None
        self._names = itertools.count(1)
        self._lock = threading.Lock()
        self.pg_port = 0
        self.redis_url = ""
        try:
            self._start_postgres()
            self._start_redis()
        except BaseException:
            self.stop()
            raise

    # PostgreSQL

    def _pg(self, tool: str, *args: str, timeout: float = _START_TIMEOUT) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self._run_as, str(self.pg_bin / tool), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.root,
        )

    def _start_postgres(self) -> None:
        init = self._pg(
            "initdb", "-D", str(self._pgdata), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"
        )
        if init.returncode != 0:
            raise BackendUnavailable(f"initdb failed:\n{init.stdout}\n{init.stderr}")
        base_conf = (self._pgdata / "postgresql.conf").read_text()
        # The port is free when picked but could be taken before postgres binds it: try again.
        for _ in range(3):
            self.pg_port = _free_port()
            conf = base_conf + _PG_CONF.format(port=self.pg_port, socket_dir=self.root)
            (self._pgdata / "postgresql.conf").write_text(conf)
            log = self.root / "postgres.log"
            started = self._pg(
                "pg_ctl", "start", "-w", "-t", str(int(_START_TIMEOUT)), "-D", str(self._pgdata), "-l", str(log)
            )
            if started.returncode == 0:
                self._pg_started = True
                break
        else:
            detail = log.read_text() if log.exists() else started.stderr
            raise BackendUnavailable(f"PostgreSQL did not start:\n{detail[-3000:]}")
        self._admin_conn = self._admin.run(asyncpg.connect(self.dsn("postgres")))

    def dsn(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.pg_port}/{database}"

    def new_database_url(self) -> str:
        """A fresh, empty database's SQLAlchemy URL (`postgresql+asyncpg://…`)."""
        with self._lock:
            name = f"chorus_{next(self._names)}"
            assert self._admin_conn is not None
            self._admin.run(self._admin_conn.execute(f'CREATE DATABASE "{name}"'))
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.pg_port}/{name}"

    def fetch(self, database_url: str, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        """Rows of one SQL statement (`:name` parameters), committed, on a database of this cluster."""
        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import create_async_engine
        from sqlalchemy.pool import NullPool

        async def query() -> list[tuple[Any, ...]]:
            engine = create_async_engine(database_url, poolclass=NullPool)
            try:
                async with engine.begin() as conn:
                    result = await conn.execute(text(sql), params)
                    return [tuple(row) for row in result.all()] if result.returns_rows else []
            finally:
                await engine.dispose()

        return self._admin.run(query())

    # Redis

    def _start_redis(self) -> None:
        for _ in range(3):
            port = _free_port()
            log = (self.root / "redis.log").open("wb")
            self._redis = subprocess.Popen(
                [
                    self._redis_server,
                    "--port",
                    str(port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.root),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            log.close()
            client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1)
            deadline = time.monotonic() + _START_TIMEOUT
            # Ready as soon as it answers PING; gone if it exited (e.g. the port was taken).
            while self._redis.poll() is None and time.monotonic() < deadline:
                with contextlib.suppress(redis.ConnectionError):
                    if client.ping():
                        client.close()
                        self.redis_url = f"redis://127.0.0.1:{port}/0"
                        return
                time.sleep(0.02)
            client.close()
            self._stop_redis()
        raise BackendUnavailable("redis-server did not start:\n" + (self.root / "redis.log").read_text()[-3000:])

    def _stop_redis(self) -> None:
        if self._redis is not None and self._redis.poll() is None:
            self._redis.terminate()
            try:
                self._redis.wait(10)
            except subprocess.TimeoutExpired:
                self._redis.kill()
                self._redis.wait(5)
        self._redis = None

    def stop(self) -> None:
        self._stop_redis()
        if self._admin_conn is not None:
            with contextlib.suppress(Exception):
                self._admin.run(self._admin_conn.close(), timeout=10)
            self._admin_conn = None
        self._admin.close()
        if self._pg_started:
            # Immediate: the data is thrown away, so there is nothing to flush.
            self._pg("pg_ctl", "stop", "-D", str(self._pgdata), "-m", "immediate", "-w")
            self._pg_started = False
        shutil.rmtree(self.root, ignore_errors=True)


# --- the session's servers and each data directory's share of them ---------------------------

_servers: PgRedis | None = None
_servers_error: BackendUnavailable | None = None
_servers_lock = threading.Lock()
_databases: dict[str, str] = {}  # data directory (or database file) -> its database URL
_prefixes = itertools.count(1)


def servers() -> PgRedis:
    """The session's PostgreSQL + Redis, started on first use (raises BackendUnavailable)."""
    global _servers, _servers_error
    with _servers_lock:
        if _servers is None:
            if _servers_error is not None:
                raise _servers_error
            try:
                _servers = PgRedis()
            except BackendUnavailable as error:
                _servers_error = error
                raise
            atexit.register(shutdown)
        return _servers


def shutdown() -> None:
    """Stops the servers if they were started; called at the end of the session."""
    global _servers
    with _servers_lock:
        if _servers is not None:
            _servers.stop()
            _servers = None
        _databases.clear()


def _database_for(key: Path) -> str:
    name = str(key.resolve())
    with _servers_lock:
        found = _databases.get(name)
    if found is None:
        created = servers().new_database_url()
        with _servers_lock:
            found = _databases.setdefault(name, created)
    return found


def _env_for(data_dir: Path) -> BackendEnv:
    return BackendEnv(_database_for(data_dir), servers().redis_url, f"chorus-test-{WORKER}-{next(_prefixes)}")


def chorus_env(data_dir: Path) -> dict[str, str]:
    """`CHORUS_*` variables putting a data directory's Chorus on the session backend (none on
    SQLite); each call has a new Redis prefix, so call it once per Chorus started."""
    return _env_for(data_dir).as_env() if POSTGRES else {}


def settings_overrides(data_dir: Path) -> dict[str, Any]:
    """`Settings(...)` arguments putting an in-process Chorus on the session backend (none on SQLite)."""
    return _env_for(data_dir).as_settings() if POSTGRES else {}


def database_url(sqlite_file: Path) -> str:
    """A database for a test that opens one itself: that SQLite file, or on PostgreSQL a fresh
    database of its own (the same one each time for the same path)."""
    if POSTGRES:
        # <dir>/chorus.db is the data directory's own database, as on SQLite.
        key = sqlite_file.parent if sqlite_file.name == "chorus.db" else sqlite_file
        return _database_for(key)
    return f"sqlite+aiosqlite:///{sqlite_file}"


def fetch(data_dir: Path, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    """Rows of one SQL statement (`:name` parameters), committed, on a data directory's database."""
    if POSTGRES:
        return servers().fetch(_database_for(data_dir), sql, **params)
    with contextlib.closing(sqlite3.connect(data_dir / "chorus.db")) as db, db:
        return [tuple(row) for row in db.execute(sql, params).fetchall()]
