"""Scale-out tests: pre-forked workers and replicas, always on PostgreSQL + Redis.

The servers come from the session's `pg_redis` fixture (tests/conftest.py),
which installs and starts them when missing and skips only when they truly
cannot be had.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.backends import PgRedis
from tests.support.chorus_process import ChorusProcess

WORKER_HEADER = "x-chorus-worker"
_READY = re.compile(r"chorus: (\d+) workers ready \(pids ([\d, ]+)\)")


@pytest.fixture(scope="session")
def shared_backend(pg_redis: PgRedis) -> Callable[[], dict[str, str]]:
    """`shared_backend()`: `CHORUS_*` variables naming a fresh PostgreSQL database, the
    session's Redis and a key prefix of their own; every process given them shares that state."""

    def make() -> dict[str, str]:
        return {
            "CHORUS_DATABASE_URL": pg_redis.new_database_url(),
            "CHORUS_REDIS_URL": pg_redis.redis_url,
            "CHORUS_REDIS_PREFIX": f"scale-{uuid.uuid4().hex[:12]}",
        }

    return make


def ready_pids(proc: ChorusProcess) -> list[int]:
    """The worker pids a `--workers N` supervisor announced when it became ready."""
    for line in proc.output:
        found = _READY.search(line)
        if found:
            return [int(pid) for pid in found.group(2).split(", ")]
    raise AssertionError("no 'workers ready' line:\n" + "".join(proc.output))


def children_of(pid: int) -> set[int]:
    """Live processes whose parent is `pid` (zombies left out)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # exited while we looked
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if int(ppid) == pid and state != "Z":
            found.add(int(entry.name))
    return found
