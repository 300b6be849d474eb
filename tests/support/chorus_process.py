"""Runs a real `chorus` process on ephemeral ports for end-to-end tests."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.support import backends

ROOT = Path(__file__).resolve().parents[2]
CHORUS = [sys.executable, "-m", "server.cli"]
_LISTEN = re.compile(r"chorus: (gRPC|REST|admin) listening on (\S+)")


@dataclass
class ChorusProcess:
    data_dir: Path
    args: Sequence[str] = ("serve",)
    env: dict[str, str] = field(default_factory=dict)
    config_toml: str = ""
    # A command the chorus command line is appended to (e.g. one that mounts its data directory first).
    launcher: Sequence[str] = ()
    grpc_addr: str = ""
    rest_url: str = ""
    # The admin port (/metrics, /livez, /readyz), when `[admin]` is enabled.
    admin_url: str = ""
    output: list[str] = field(default_factory=list)
    _proc: subprocess.Popen[str] | None = None

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CHORUS_")}
        env.update(
            {
                "CHORUS_DATA_DIR": str(self.data_dir),
                "CHORUS_GRPC__PORT": "0",
                "CHORUS_REST__PORT": "0",
                "CHORUS_CONFIG": str(self.data_dir / "chorus.toml"),
                "PYTHONUNBUFFERED": "1",
            }
        )
        # On CHORUS_TEST_BACKEND=postgres: this data directory's own database and Redis prefix.
        env.update(backends.chorus_env(self.data_dir))
        env.update(self.env)
        return env

    def start(self, timeout: float = 60.0) -> ChorusProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / "chorus.toml").write_text(self.config_toml)
        self._proc = subprocess.Popen(
            [*self.launcher, *CHORUS, *self.args],
            cwd=ROOT,
            env=self.environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        ready = threading.Event()
        expect_rest = "--grpc-only" not in self.args
        expect_grpc = self.args[0] != "bridge"

        def pump() -> None:
            assert self._proc is not None and self._proc.stdout is not None
            for line in self._proc.stdout:
                self.output.append(line)
                found = _LISTEN.search(line)
                if found:
                    if found.group(1) == "gRPC":
                        self.grpc_addr = found.group(2)
                    elif found.group(1) == "admin":
                        self.admin_url = found.group(2)
                    else:
                        self.rest_url = found.group(2)
                if (self.rest_url or not expect_rest) and (self.grpc_addr or not expect_grpc):
                    ready.set()
            ready.set()

        threading.Thread(target=pump, daemon=True).start()
        started = ready.wait(timeout) and bool(self.rest_url or self.grpc_addr)
        if not started or self._proc.poll() is not None:
            self.stop()
            raise RuntimeError("chorus did not start:\n" + "".join(self.output))
        return self

    @property
    def pid(self) -> int:
        """The `chorus` process itself (with `--workers N`, the supervisor)."""
        assert self._proc is not None
        return self._proc.pid

    def signal(self, sig: int) -> None:
        assert self._proc is not None
        self._proc.send_signal(sig)

    def wait(self, timeout: float) -> int:
        assert self._proc is not None
        return self._proc.wait(timeout)

    def stop(self) -> int | None:
        if self._proc is None or self._proc.poll() is not None:
            return self._proc.returncode if self._proc else None
        self._proc.send_signal(signal.SIGTERM)
        try:
            return self._proc.wait(20)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            return self._proc.wait(5)

    def __enter__(self) -> ChorusProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_cli(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Runs a one-shot `chorus` admin command against a data directory."""
    proc_env = {k: v for k, v in os.environ.items() if not k.startswith("CHORUS_")}
    proc_env.update({"CHORUS_DATA_DIR": str(data_dir), "CHORUS_CONFIG": str(data_dir / "chorus.toml")})
    proc_env.update(backends.chorus_env(data_dir))  # the same database as a ChorusProcess on data_dir
    proc_env.update(env or {})
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "chorus.toml").touch()
    done = subprocess.run([*CHORUS, *args], cwd=ROOT, env=proc_env, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"chorus {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


def printed(out: str, label: str) -> str:
    """The value of the `label: value` line an admin command printed (`api-keys create`: "id", "key")."""
    return next(line.split()[1] for line in out.splitlines() if line.startswith(f"{label}:"))


def wait_until(predicate, timeout: float = 5.0, interval: float = 0.05) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
