"""Server processes for the bench (fresh data dir each) and the load generator runner."""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.proctree import cpu_seconds, process_tree
from tests.support.chorus_process import ChorusProcess, run_cli

ROOT = Path(__file__).resolve().parent.parent
TENANT = "bench"


def raise_own_nofile() -> int:
    """Raises this process's open-file limit to the hard limit; servers started after inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


@dataclass
class Server:
    """A started server process: its addresses, pid, and captured output."""

    name: str
    pid: int
    grpc_addr: str = ""
    rest_url: str = ""
    output: list[str] = field(default_factory=list)
    # Other processes the server depends on (Redis, an upstream), by name: their CPU is sampled too.
    sidecars: dict[str, int] = field(default_factory=dict)
    # A `chorus serve`'s data directory (its database is data_dir/chorus.db, or that dir's on PostgreSQL).
    data_dir: Path | None = None
    # Where the load generator creates the session it reads, when not at `rest_url` (a peer app).
    setup_url: str = ""

    def problems(self) -> list[str]:
        """Server-side errors in the output: ERROR/CRITICAL log lines and exception lines, ids masked."""
        found = []
        for raw in self.output:
            line = raw.rstrip()
            if _LOGGED_ERROR.search(line) or _EXCEPTION_LINE.match(line):
                line = _TIMESTAMP.sub("", line)
                found.append(_UUID.sub("<id>", line))
        return found


_LOGGED_ERROR = re.compile(r"(^|\s)(ERROR|CRITICAL)[: ]")
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)(:|$)")
_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ ")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@contextmanager
def chorus(
    config_toml: str = "",
    env: dict[str, str] | None = None,
    name: str = "chorus",
    serve_args: Sequence[str] = (),
    sidecars: dict[str, int] | None = None,
) -> Iterator[Server]:
    """`chorus serve [serve_args]` in a fresh temp data dir, with a tenant `bench` whose limits never bind."""
    with tempfile.TemporaryDirectory(prefix="chorus-bench-") as tmp:
        data_dir = Path(tmp)
        (data_dir / "chorus.toml").write_text(config_toml)
        run_cli(
            data_dir,
            "tenants",
            "add",
            TENANT,
            "--allow-unauthenticated",
            "--rate-per-minute",
            "100000000",
            "--burst-per-second",
            "10000000",
        )
        proc = ChorusProcess(data_dir, args=("serve", *serve_args), config_toml=config_toml, env=dict(env or {}))
        proc.start()
        try:
            assert proc._proc is not None
            server = Server(
                name, proc._proc.pid, proc.grpc_addr, proc.rest_url, proc.output, dict(sidecars or {}), data_dir
            )
            yield server
        finally:
            code = proc.stop()
            if code not in (0, None):
                server_output = "".join(proc.output[-20:])
                print(f"warning: {name} exited with {code}:\n{server_output}", file=sys.stderr)


@contextmanager
def echo_server() -> Iterator[Server]:
    """`python -m bench.echo_server` on an ephemeral port."""
    with _module_server("echo", "bench.echo_server", r"echo: gRPC listening on (\S+)") as (pid, addr, output):
        yield Server("echo", pid, grpc_addr=addr, output=output)


@contextmanager
def upstream_server(tokens: int) -> Iterator[Server]:
    """`python -m bench.upstream` (a fast OpenAI-compatible server) on an ephemeral port; `rest_url` has no /v1."""
    ready = r"upstream: listening on (\S+)/v1"
    with _module_server("upstream", "bench.upstream", ready, "--tokens", str(tokens)) as (pid, url, output):
        yield Server("upstream", pid, rest_url=url, output=output)


@contextmanager
def _module_server(name: str, module: str, ready_pattern: str, *args: str) -> Iterator[tuple[int, str, list[str]]]:
    """`python -m MODULE --port 0 ARGS`; yields (pid, the address its ready line names, its output)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", module, "--port", "0", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    output: list[str] = []
    ready = threading.Event()
    addr: list[str] = []

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            output.append(line)
            found = re.search(ready_pattern, line)
            if found:
                addr.append(found.group(1))
                ready.set()
        ready.set()

    threading.Thread(target=pump, daemon=True).start()
    try:
        if not ready.wait(30) or not addr:
            raise RuntimeError(f"{name} server did not start:\n" + "".join(output))
        yield proc.pid, addr[0], output
    finally:
        stop_process(proc)


def stop_process(proc: subprocess.Popen[Any]) -> None:
    """SIGTERM, then SIGKILL if it has not exited within 10 s."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


class _CpuWindow:
    """CPU use of the server's process tree and of its sidecars over the measured window."""

    def __init__(self, server: Server) -> None:
        self._server = server
        self._pids = process_tree(server.pid)
        self._start = {pid: cpu_seconds(pid) for pid in [*self._pids, *server.sidecars.values()]}
        self._t0 = time.perf_counter()

    def finish(self, result: dict[str, Any]) -> None:
        """Adds `server_cpu` (whole tree), `server_cpu_by_pid` and `sidecar_cpu` (by name), as fractions of a core."""
        wall = time.perf_counter() - self._t0

        def used(pid: int) -> float:
            return (cpu_seconds(pid) - self._start[pid]) / wall if wall > 0 else 0.0

        by_pid = {str(pid): used(pid) for pid in self._pids}
        result["server_cpu"] = sum(by_pid.values())
        result["server_cpu_by_pid"] = by_pid
        result["sidecar_cpu"] = {name: used(pid) for name, pid in self._server.sidecars.items()}


def run_loadgen(
    mode: str,
    args: Sequence[str],
    server: Server,
    timeout: float = 600.0,
    profile: Path | None = None,
    on_wave: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Runs `python -m bench.loadgen MODE ARGS` and returns its result plus the server's CPU use in the window.

    With `profile`, py-spy records the server during the measured window into that SVG flame graph.
    With `on_wave`, the load generator is started with `--ack`: after each `MARK wave ...` line
    it waits while `on_wave` gets the rest of the line (e.g. to sample the server's memory).
    """
    cmd = [sys.executable, "-m", "bench.loadgen", mode, "--tenant", TENANT, *args]
    if on_wave is not None:
        cmd.append("--ack")
    stdin = subprocess.PIPE if on_wave is not None else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, cwd=ROOT, stdin=stdin, stdout=subprocess.PIPE, text=True)
    result: dict[str, Any] | None = None
    window: _CpuWindow | None = None
    finished: dict[str, Any] = {}
    spy: subprocess.Popen[bytes] | None = None
    killer = threading.Timer(timeout, proc.kill)
    killer.start()
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("MARK start"):
                window = _CpuWindow(server)
                spy = _start_py_spy(server.pid, profile) if profile else None
            elif line.startswith("MARK end"):
                if window is not None:
                    window.finish(finished)
                _stop_py_spy(spy)
                spy = None
            elif line.startswith("MARK wave ") and on_wave is not None:
                on_wave(line[len("MARK wave ") :].strip())
                assert proc.stdin is not None
                proc.stdin.write("go\n")
                proc.stdin.flush()
            elif line.startswith("RESULT "):
                result = json.loads(line[len("RESULT ") :])
            else:
                sys.stderr.write(line)
        code = proc.wait()
    finally:
        killer.cancel()
        _stop_py_spy(spy)
    if result is None or code != 0:
        raise RuntimeError(f"load generator {mode} failed (exit {code})")
    result.update(finished or {"server_cpu": 0.0, "server_cpu_by_pid": {}, "sidecar_cpu": {}})
    return result


def py_spy_path() -> str | None:
    """py-spy next to this interpreter or on PATH (optional; `pip install py-spy`)."""
    local = Path(sys.executable).parent / "py-spy"
    return str(local) if local.exists() else shutil.which("py-spy")


def _start_py_spy(pid: int, output: Path) -> subprocess.Popen[bytes] | None:
    exe = py_spy_path()
    if exe is None:
        print("bench: py-spy not found; no profile recorded", file=sys.stderr)
        return None
    output.parent.mkdir(parents=True, exist_ok=True)
    # --subprocesses: with `--workers N` the parent only supervises; the work is in its children.
    cmd = [exe, "record", "--pid", str(pid), "--output", str(output), "--rate", "200", "--nonblocking", "--gil"]
    cmd.append("--subprocesses")
    if output.suffix == ".txt":  # collapsed stacks, for bench/profile_top.py
        cmd += ["--format", "raw"]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _stop_py_spy(spy: subprocess.Popen[bytes] | None) -> None:
    """Stops a recording; py-spy writes its flame graph on SIGINT."""
    if spy is None or spy.poll() is not None:
        return
    spy.send_signal(signal.SIGINT)
    try:
        spy.wait(30)
    except subprocess.TimeoutExpired:
        spy.kill()
        spy.wait(5)
