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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.chorus_process import ChorusProcess, run_cli

ROOT = Path(__file__).resolve().parent.parent
TENANT = "bench"
_CLK_TCK = os.sysconf("SC_CLK_TCK")


def raise_own_nofile() -> int:
    """Raises this process's open-file limit to the hard limit; servers started after inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads) so far."""
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK  # utime, stime


@dataclass
class Server:
    """A started server process: its addresses, pid, and captured output."""

    name: str
    pid: int
    grpc_addr: str = ""
    rest_url: str = ""
    output: list[str] = field(default_factory=list)

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
def chorus(config_toml: str = "", env: dict[str, str] | None = None, name: str = "chorus") -> Iterator[Server]:
    """`chorus serve` in a fresh temp data dir, with a tenant `bench` whose limits never bind."""
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
        proc = ChorusProcess(data_dir, args=("serve",), config_toml=config_toml, env=dict(env or {}))
        proc.start()
        try:
            assert proc._proc is not None
            server = Server(name, proc._proc.pid, proc.grpc_addr, proc.rest_url, proc.output)
            yield server
        finally:
            code = proc.stop()
            if code not in (0, None):
                server_output = "".join(proc.output[-20:])
                print(f"warning: {name} exited with {code}:\n{server_output}", file=sys.stderr)


@contextmanager
def echo_server() -> Iterator[Server]:
    """`python -m bench.echo_server` on an ephemeral port."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.echo_server", "--port", "0"],
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
            found = re.search(r"echo: gRPC listening on (\S+)", line)
            if found:
                addr.append(found.group(1))
                ready.set()
        ready.set()

    threading.Thread(target=pump, daemon=True).start()
    try:
        if not ready.wait(30) or not addr:
            raise RuntimeError("echo server did not start:\n" + "".join(output))
        yield Server("echo", proc.pid, grpc_addr=addr[0], output=output)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def run_loadgen(
    mode: str, args: Sequence[str], server: Server, timeout: float = 600.0, profile: Path | None = None
) -> dict[str, Any]:
    """Runs `python -m bench.loadgen MODE ARGS` and returns its result plus the server's CPU use in the window.

    With `profile`, py-spy records the server during the measured window into that SVG flame graph.
    """
    cmd = [sys.executable, "-m", "bench.loadgen", mode, "--tenant", TENANT, *args]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    result: dict[str, Any] | None = None
    cpu0 = t0 = server_cpu = 0.0
    spy: subprocess.Popen[bytes] | None = None
    killer = threading.Timer(timeout, proc.kill)
    killer.start()
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("MARK start"):
                cpu0, t0 = cpu_seconds(server.pid), time.perf_counter()
                spy = _start_py_spy(server.pid, profile) if profile else None
            elif line.startswith("MARK end"):
                wall = time.perf_counter() - t0
                server_cpu = (cpu_seconds(server.pid) - cpu0) / wall if wall > 0 else 0.0
                _stop_py_spy(spy)
                spy = None
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
    result["server_cpu"] = server_cpu
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
    cmd = [exe, "record", "--pid", str(pid), "--output", str(output), "--rate", "200", "--nonblocking", "--gil"]
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
