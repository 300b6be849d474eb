"""A throwaway `redis-server` on a free loopback port, for runs with several workers.

`chorus serve --workers N` needs Redis for its cross-process state (rate-limit
counters, locks). The bench starts its own in a temp dir, with persistence off,
and stops it afterwards.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from bench.procs import stop_process


@dataclass(frozen=True)
class Redis:
    url: str
    pid: int


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@contextmanager
def redis_server(attempts: int = 3) -> Iterator[Redis]:
    """Starts redis-server on 127.0.0.1; retries on another port if one was taken in between."""
    exe = shutil.which("redis-server")
    if exe is None:
        raise RuntimeError("redis-server is not installed (Debian: apt-get install -y redis-server)")
    with tempfile.TemporaryDirectory(prefix="chorus-bench-redis-") as tmp:
        output: list[str] = []
        for _ in range(attempts):
            port = _free_port()
            cmd = [exe, "--bind", "127.0.0.1", "--port", str(port), "--dir", tmp, "--save", "", "--appendonly", "no"]
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            try:
                if _wait_ready(proc, output):
                    yield Redis(f"redis://127.0.0.1:{port}/0", proc.pid)
                    return
            finally:
                stop_process(proc)
        raise RuntimeError("redis-server did not start:\n" + "".join(output[-20:]))


def _wait_ready(proc: subprocess.Popen[str], output: list[str], timeout: float = 15.0) -> bool:
    """Until redis-server logs that it accepts connections (True) or exits (False)."""
    ready = threading.Event()
    up = threading.Event()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            output.append(line)
            if _READY.search(line):
                up.set()
                ready.set()
        ready.set()  # exited

    threading.Thread(target=pump, daemon=True).start()
    ready.wait(timeout)
    return up.is_set() and proc.poll() is None


_READY = re.compile(r"Ready to accept connections")
