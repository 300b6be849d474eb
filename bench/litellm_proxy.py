"""LiteLLM proxy, the gateway part's peer: the same upstream behind the framework a user would pick.

It is the `bench` extra (`uv pip install -e '.[bench]'`; `make bench` installs
it). Without it the part runs without the LiteLLM rows and says why. One
`litellm` process (one uvicorn worker, no database) routes the gateway's model
id to `bench/upstream.py`; it requires a master key, which the load generator
sends as a bearer token.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from bench.procs import Server

MASTER_KEY = "sk-bench-0123456789abcdef0123456789abcdef"
START_TIMEOUT = 180.0  # it imports a great deal: ~35 s on a busy 2-core box


def litellm_version() -> str | None:
    try:
        return version("litellm")
    except PackageNotFoundError:
        return None


def missing_reason() -> str | None:
    """Why the LiteLLM rows cannot run, or None when they can."""
    if litellm_version() is None:
        return "LiteLLM is not installed (it is the `bench` extra: `uv pip install -e '.[bench]'`)"
    if _executable() is None:
        return "the `litellm` command is not next to this interpreter or on PATH"
    return None


def _executable() -> str | None:
    local = Path(sys.executable).parent / "litellm"
    return str(local) if local.exists() else shutil.which("litellm")


def _config(upstream_v1: str, model: str) -> str:
    return f"""model_list:
  - model_name: "{model}"
    litellm_params:
      model: openai/bench-upstream
      api_base: {upstream_v1}
      api_key: sk-bench-upstream
litellm_settings:
  telemetry: false
general_settings:
  master_key: {MASTER_KEY}
"""


@contextmanager
def litellm_proxy(upstream_v1: str, model: str) -> Iterator[Server]:
    exe = _executable()
    assert exe is not None, missing_reason()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory(prefix="chorus-bench-litellm-") as tmp:
        config = Path(tmp) / "config.yaml"
        config.write_text(_config(upstream_v1, model))
        env = {
            **_inherited_env(),
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # no download of the price list at start
            "LITELLM_LOG": "ERROR",
        }
        cmd = [exe, "--config", str(config), "--host", "127.0.0.1", "--port", str(port), "--num_workers", "1"]
        proc = subprocess.Popen(
            cmd, cwd=tmp, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
        )
        output: list[str] = []
        reader = threading.Thread(target=_collect, args=(proc, output), daemon=True)
        reader.start()
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(proc, url, output)
            yield Server("litellm", proc.pid, rest_url=url, output=output)
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def _inherited_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("CHORUS_")}


def _collect(proc: subprocess.Popen[str], output: list[str]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        output.append(line)


def _wait_ready(proc: subprocess.Popen[str], url: str, output: list[str]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"litellm exited with {proc.returncode}:\n{''.join(output[-20:])}")
        try:
            with urllib.request.urlopen(f"{url}/health/liveliness", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"litellm did not start within {START_TIMEOUT:.0f} s:\n{''.join(output[-20:])}")
