"""Process layouts of `chorus serve`: one process, or pre-forked workers sharing Redis."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from bench.procs import Server, chorus
from bench.redis_server import redis_server


@dataclass(frozen=True)
class Layout:
    workers: int = 1
    # Start a redis-server for the run and point Chorus at it (CHORUS_REDIS_URL).
    redis: bool = False

    def describe(self) -> str:
        processes = "1 process" if self.workers == 1 else f"`--workers {self.workers}`"
        return processes + (" + Redis" if self.redis else "")


@contextmanager
def serve(layout: Layout, config_toml: str = "") -> Iterator[Server]:
    """`chorus serve` in `layout` (fresh data dir; a fresh Redis when asked), stopped afterwards."""
    with ExitStack() as stack:
        env: dict[str, str] = {}
        sidecars: dict[str, int] = {}
        if layout.redis:
            redis = stack.enter_context(redis_server())
            env["CHORUS_REDIS_URL"] = redis.url
            sidecars["redis"] = redis.pid
        args = ("--workers", str(layout.workers)) if layout.workers != 1 else ()
        yield stack.enter_context(chorus(config_toml, env=env, serve_args=args, sidecars=sidecars))
