"""The README's "Running at scale" commands work as written.

The replicas block is run by bash exactly as printed, except that its fixed
ports become free ones and `CHORUS_DATABASE_URL` / `CHORUS_REDIS_URL` name
the test's real PostgreSQL and Redis (the exports a reader sets from the
blocks above it).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.support.chorus_process import ROOT, wait_until


def _section() -> str:
    text = (ROOT / "README.md").read_text()
    return text.split("## Running at scale", 1)[1].split("\n## ", 1)[0]


def _bash_blocks() -> list[str]:
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", _section(), flags=re.S)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_exports_name_the_settings_chorus_reads() -> None:
    exports = "\n".join(b for b in _bash_blocks() if b.startswith("export "))
    names = set(re.findall(r"export (CHORUS_\w+)=", exports))
    assert names == {"CHORUS_DATABASE_URL", "CHORUS_REDIS_URL", "CHORUS_REDIS_PREFIX"}
    assert "postgresql+asyncpg://" in exports and "redis://" in exports


def test_two_replicas_with_workers_as_written(shared_backend: Callable[[], dict[str, str]], tmp_path: Path) -> None:
    block = next(b for b in _bash_blocks() if "CHORUS_GRPC__PORT=50052" in b)
    ports = {p: str(_free_port()) for p in ("50051", "50052", "8080", "8081")}
    command = block
    for fixed, free in ports.items():
        command = command.replace(f"PORT={fixed}", f"PORT={free}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHORUS_")}
    env.update(shared_backend())
    env["CHORUS_DATA_DIR"] = str(tmp_path)
    (tmp_path / "chorus.toml").touch()  # defaults, as with no chorus.toml
    env["CHORUS_CONFIG"] = str(tmp_path / "chorus.toml")
    # `&` leaves both replicas running; `wait` keeps the shell (their parent) alive.
    shell = subprocess.Popen(
        ["bash", "-c", command + "\nwait"], cwd=ROOT, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        urls = [f"http://127.0.0.1:{ports['8080']}", f"http://127.0.0.1:{ports['8081']}"]

        def both_up() -> bool:
            try:
                return all(httpx.get(f"{u}/api/health", timeout=2).status_code == 200 for u in urls)
            except httpx.HTTPError:
                return False

        assert wait_until(both_up, timeout=60, interval=0.2), "the replicas did not come up"
        workers = {
            httpx.get(f"{url}/api/health", timeout=5).headers["x-chorus-worker"]
            for url in urls
            for _ in range(12)
        }
        assert len(workers) >= 3  # two replicas of two workers each; connections spread over them
    finally:
        os.killpg(shell.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while shell.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        if shell.poll() is None:
            os.killpg(shell.pid, signal.SIGKILL)
