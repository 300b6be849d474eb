"""`chorus serve --workers N`: a pre-fork supervisor.

gRPC's C core does not survive fork() once it runs (grpc/grpc
examples/python/multiprocessing), so this parent never creates a gRPC server,
channel, event loop or database connection. It:

1. reserves the gRPC and REST ports with SO_REUSEPORT sockets that never
   listen, so port 0 resolves to one real port that every worker shares;
2. runs migrations and tenant seeding once, in a short-lived child, so the
   workers never race on them;
3. forks N workers. Each is a whole `Chorus(worker=True)` whose gRPC server
   (`grpc.so_reuseport`) and REST listener (SO_REUSEPORT) bind the reserved
   ports; the kernel hashes each new connection onto one worker's own accept
   queue. (A REST socket created here and inherited would be one queue that
   asyncio drains in batches of up to its backlog per wakeup: whichever worker
   wakes first would take most of a burst.)

It prints the "listening" lines once, when every worker is ready. A worker
that dies after it was ready is reported and replaced: all shared state lives
in the database and Redis, so a new worker is as good as the old one. A worker
that dies before it is ready (bad configuration, database down) stops the
service instead, since a replacement would only fail the same way.
SIGTERM/SIGINT are forwarded to every worker, which drains its open calls
within `grpc.shutdown_grace`; the parent exits 0 once they all have, or kills
the stragglers `_KILL_AFTER` seconds past the grace and exits 1. Should the
parent itself be killed, the workers get SIGTERM from the kernel (Linux
PR_SET_PDEATHSIG) and drain too.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import logging
import os
import selectors
import signal
import socket
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from server.config import Settings

log = logging.getLogger("chorus.workers")

_SIGNALS = {signal.SIGTERM, signal.SIGINT, signal.SIGCHLD}
_STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}
_KILL_AFTER = 15.0
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
# Exit statuses of a worker stopped on purpose: drained (0), interrupted
# before its loop took over the signals (130, or killed by the signal itself).
_STOPPED = {0, 130, -signal.SIGTERM, -signal.SIGINT}

Ready = Callable[[str, str], None]
# Imported once, before any fork, so the workers share the loaded modules
# (copy-on-write) instead of each spending ~2 s of CPU importing them. Importing
# them starts no thread and creates no gRPC object, so forking stays safe.
_PRELOAD = ("server.app", "rest_bridge.app", "rest_bridge.transport", "rest_bridge.inprocess")


def serve_workers(
    settings: Settings,
    count: int,
    *,
    serves_rest: bool,
    prepare: Callable[[], int],
    worker: Callable[[Settings, Ready], int],
) -> int:
    """Runs `count` workers until SIGTERM/SIGINT; returns the exit code.

    `prepare()` migrates and seeds (run in a child; returns its exit code).
    `worker(settings, ready)` serves on the given ports, calls `ready(grpc
    address, REST URL)` once listening, and returns its exit code.
    """
    if not settings.redis_url:
        print(
            f"chorus: --workers {count} needs redis_url (CHORUS_REDIS_URL): without Redis every worker "
            "would count rate limits and quotas on its own. Set redis_url, or run one worker.",
            file=sys.stderr,
        )
        return 2
    if settings.resolved_database_url.startswith("sqlite"):
        log.warning(
            "the workers share one SQLite file (WAL), on this machine only; "
            "PostgreSQL (database_url = postgresql+asyncpg://...) is the scale-out database"
        )
    reserved: list[socket.socket] = []
    admin = settings.admin
    try:
        reserved.append(_reserve(settings.grpc.host, settings.grpc.port))
        if serves_rest:
            reserved.append(_reserve(settings.rest.host, settings.rest.port))
        if admin.enabled:
            # One admin port for all: a scrape lands on any worker, which reads every worker's values.
            admin_socket = _reserve(admin.host, admin.port)
            reserved.append(admin_socket)
    except OSError as exc:
        for sock in reserved:
            sock.close()
        print(f"chorus: {exc}", file=sys.stderr)
        return 1
    metrics_dir = None
    if admin.enabled and admin.metrics:
        from server.platform.observability.metrics import enable_multiprocess

        metrics_dir = tempfile.TemporaryDirectory(prefix="chorus-metrics-")
        enable_multiprocess(metrics_dir.name)
    for module in _PRELOAD:
        importlib.import_module(module)
    grpc_port = reserved[0].getsockname()[1]
    rest_port = reserved[1].getsockname()[1] if serves_rest else settings.rest.port
    update: dict[str, Any] = {
        "grpc": settings.grpc.model_copy(update={"port": grpc_port}),
        "rest": settings.rest.model_copy(update={"port": rest_port}),
    }
    if admin.enabled:
        update["admin"] = admin.model_copy(update={"port": admin_socket.getsockname()[1]})
    worker_settings = settings.model_copy(update=update)
    supervisor = _Supervisor(count, settings.grpc.shutdown_grace, reserved)
    if admin.enabled:
        supervisor.admin_url = f"http://{admin.host}:{admin_socket.getsockname()[1]}"
    try:
        return supervisor.run(prepare, lambda ready: worker(worker_settings, ready), serves_rest)
    finally:
        supervisor.close()
        if metrics_dir is not None:
            metrics_dir.cleanup()


def _forget_metrics_of(pid: int) -> None:
    """A dead worker's live gauges (open streams) stop counting; its counters stay summed."""
    from server.platform.observability.metrics import multiprocess_dir

    if multiprocess_dir() is not None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)


def _reserve(host: str, port: int) -> socket.socket:
    """A bound, never listening SO_REUSEPORT socket: it holds the port (and
    picks it, for port 0) without taking any connection."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host.strip("[]") or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    if port:
        # SO_REUSEPORT alone would join a port that another server of this
        # user (say, a second chorus) listens on, and take half its connections.
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


@dataclass
class _Child:
    pid: int
    # Read end of the pipe on which a worker writes "<gRPC address> <REST URL>\n"
    # once it listens; None for the preparation child.
    pipe: int | None
    received: bytes = b""
    replaces: int = 0

    @property
    def ready(self) -> bool:
        return b"\n" in self.received


class _Supervisor:
    def __init__(self, count: int, grace: float, reserved: list[socket.socket]) -> None:
        self.count = count
        self.grace = grace
        self.reserved = reserved
        self.children: dict[int, _Child] = {}
        self.stopping = False
        self.failure = 0  # the exit code when something went wrong
        self.deadline: float | None = None  # when stragglers get SIGKILL
        self.preparing = True
        self.announced = False
        self.last_exit = 0
        self._serves_rest = False
        self.admin_url = ""  # announced with the listening lines
        self._serve: Callable[[Ready], int] = lambda ready: 1
        self._selector = selectors.DefaultSelector()
        # Signals arrive as bytes on this socket (signal.set_wakeup_fd): the
        # loop below handles them between selects, with no work in handlers.
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._selector.register(self._wake_r, selectors.EVENT_READ)
        self._previous_wakeup = signal.set_wakeup_fd(self._wake_w.fileno())
        self._previous = {sig: signal.signal(sig, _ignore) for sig in _SIGNALS}

    def close(self) -> None:
        signal.set_wakeup_fd(self._previous_wakeup)
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._selector.close()
        for sock in (self._wake_r, self._wake_w, *self.reserved):
            sock.close()

    # --- running ---

    def run(self, prepare: Callable[[], int], serve: Callable[[Ready], int], serves_rest: bool) -> int:
        self._serves_rest, self._serve = serves_rest, serve
        preparation = self._fork(lambda _ready: prepare(), with_pipe=False)
        while preparation.pid in self.children:
            self._step()
        self.preparing = False
        if self.stopping:
            return self.failure
        if self.last_exit != 0:
            return self.last_exit if self.last_exit > 0 else 1
        for _ in range(self.count):
            self._fork(self._serve, with_pipe=True)
        while self.children:
            self._step()
        return self.failure

    def _step(self) -> None:
        timeout = None if self.deadline is None else max(0.0, self.deadline - time.monotonic())
        for key, _ in self._selector.select(timeout):
            if key.fileobj is self._wake_r:
                self._on_signals()
            else:
                self._read_pipe(key.data)
        self._reap()
        if self.deadline is not None and time.monotonic() >= self.deadline and self.children:
            for child in self.children.values():
                log.error("worker %d did not drain within %.0fs: killed", child.pid, self.grace + _KILL_AFTER)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child.pid, signal.SIGKILL)
            self.failure = self.failure or 1
            self.deadline = None  # they are reaped on the next SIGCHLD

    def _on_signals(self) -> None:
        with contextlib.suppress(BlockingIOError):
            for number in self._wake_r.recv(512):
                if number in _STOP_SIGNALS:
                    self._stop(signal.Signals(number))

    def _stop(self, sig: signal.Signals) -> None:
        """Forwards `sig` to every child; each drains and exits."""
        if not self.stopping:
            log.info("%s: stopping %d process(es)", sig.name, len(self.children))
            self.stopping = True
            self.deadline = time.monotonic() + self.grace + _KILL_AFTER
        for child in self.children.values():
            with contextlib.suppress(ProcessLookupError):
                os.kill(child.pid, sig)

    def _read_pipe(self, child: _Child) -> None:
        if child.pipe is None:
            return
        was_ready = child.ready
        data = b""
        with contextlib.suppress(BlockingIOError):
            data = os.read(child.pipe, 4096)
        if not data:  # closed: the worker wrote its line, or died
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(child.pipe)
            return
        child.received += data
        if child.ready and not was_ready:
            self._on_ready(child)

    def _on_ready(self, child: _Child) -> None:
        if child.replaces:
            log.warning("worker %d ready, replacing worker %d", child.pid, child.replaces)
        if self.announced or sum(c.ready for c in self.children.values()) < self.count:
            return
        self.announced = True
        grpc_addr, _, rest_url = child.received.decode().strip().partition(" ")
        # The pids first: whoever waits for the "listening" lines has them by then.
        pids = ", ".join(str(pid) for pid in self.children)
        print(f"chorus: {self.count} workers ready (pids {pids})", flush=True)
        if self.admin_url:
            print(f"chorus: admin listening on {self.admin_url}", flush=True)
        print(f"chorus: gRPC listening on {grpc_addr}", flush=True)
        if self._serves_rest:
            print(f"chorus: REST listening on {rest_url}", flush=True)

    def _reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            child = self.children.get(pid)
            if child is None:
                continue
            # What it wrote before dying counts: ready, then crashed, is a crash.
            self._read_pipe(child)
            del self.children[pid]
            if child.pipe is not None:
                with contextlib.suppress(KeyError, ValueError):
                    self._selector.unregister(child.pipe)
                os.close(child.pipe)
            self.last_exit = code = os.waitstatus_to_exitcode(status)
            _forget_metrics_of(pid)
            self._on_exit(child, code)

    def _on_exit(self, child: _Child, code: int) -> None:
        if self.preparing:
            return  # `run` reads `last_exit`
        if self.stopping:
            if code not in _STOPPED:
                log.error("worker %d exited with %s while stopping", child.pid, _describe(code))
                self.failure = self.failure or 1
            return
        if not child.ready:
            log.error("worker %d exited with %s before it was ready: stopping", child.pid, _describe(code))
            self.failure = code if code > 0 else 1
            self._stop(signal.SIGTERM)
            return
        log.error("worker %d exited unexpectedly with %s: starting a replacement", child.pid, _describe(code))
        self._fork(self._serve, with_pipe=True).replaces = child.pid

    # --- forking ---

    def _fork(self, target: Callable[[Ready], int], with_pipe: bool) -> _Child:
        read_end, write_end = os.pipe() if with_pipe else (None, None)
        # Blocked across fork: a signal in between would reach the child while
        # it still has the parent's handlers, and be taken for the parent's.
        signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
        supervisor = os.getpid()
        try:
            pid = os.fork()
            if pid == 0:
                if read_end is not None:
                    os.close(read_end)
                self._become_child()
                _die_with(supervisor)
                _child_main(target, write_end)
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)
        child = _Child(pid, read_end)
        self.children[pid] = child
        if read_end is not None and write_end is not None:
            os.close(write_end)
            os.set_blocking(read_end, False)
            self._selector.register(read_end, selectors.EVENT_READ, child)
        return child

    def _become_child(self) -> None:
        """Drops the parent's signal handling and descriptors; the worker's
        event loop installs its own signal handlers when it runs."""
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)
        self._selector.close()
        for child in self.children.values():
            if child.pipe is not None:
                os.close(child.pipe)
        for sock in (self._wake_r, self._wake_w, *self.reserved):
            sock.close()


def _child_main(target: Callable[[Ready], int], pipe: int | None) -> NoReturn:
    """Runs in the forked child: `target`, then exit with its code."""
    code = 1

    def ready(grpc_addr: str, rest_url: str) -> None:
        assert pipe is not None
        os.write(pipe, f"{grpc_addr} {rest_url}\n".encode())
        os.close(pipe)

    try:
        code = target(ready)
    except BaseException:
        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
        # _exit: the parent's atexit handlers and buffers are not the child's to run.
        os._exit(code)


def _die_with(supervisor: int) -> None:
    """Linux: SIGTERM (a drain) for this child when the supervisor dies, even
    by SIGKILL, so no orphaned worker keeps serving the port."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != supervisor:  # it died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)


def _ignore(signum: int, frame: object) -> None:
    """Installed so signals reach the wakeup fd; the supervisor loop handles them."""


def _describe(code: int) -> str:
    return f"signal {signal.Signals(-code).name}" if code < 0 else f"code {code}"
