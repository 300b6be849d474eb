"""`chorus serve --workers N`: one service on shared ports, spread over N pre-forked processes."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import httpx
import pytest
from chorus_contracts.crispy.v1 import chat_pb2, chat_pb2_grpc

from tests.scale.conftest import WORKER_HEADER, children_of, ready_pids
from tests.support.chorus_process import CHORUS, ROOT, ChorusProcess, wait_until
from tests.support.sse import parse_sse

DEMO = {"x-tenant-id": "demo"}
# Bursts of parallel requests must not meet the default 20/second limit.
CONFIG = """
[crispy.rate_limit]
per_minute = 100000
burst_per_second = 100000
"""
# A reply of the builtin model takes seconds: streams are still open when SIGTERM comes.
SLOW_CONFIG = (
    CONFIG
    + """
[grpc]
shutdown_grace = 10.0
[models.providers.builtin]
kind = "builtin"
token_delay = 0.02
"""
)
WORKERS = ("serve", "--workers", "2")


@pytest.fixture(scope="module")
def workers(
    tmp_path_factory: pytest.TempPathFactory, shared_backend: Callable[[], dict[str, str]]
) -> Iterator[ChorusProcess]:
    data_dir = tmp_path_factory.mktemp("workers")
    with ChorusProcess(data_dir, args=WORKERS, env=shared_backend(), config_toml=CONFIG) as proc:
        yield proc


def current_workers(proc: ChorusProcess) -> set[int]:
    return children_of(proc.pid)


def rest_worker(proc: ChorusProcess) -> str:
    # A client of its own: a new connection, which the kernel may hand to either worker.
    response = httpx.get(proc.rest_url + "/health", headers=DEMO, timeout=30)
    assert response.status_code == 200, response.text
    assert response.json()["tenant"] == "demo"
    return response.headers[WORKER_HEADER]


def grpc_worker(proc: ChorusProcess) -> str:
    # A local subchannel pool: each channel its own connection, not one shared by all.
    with grpc.insecure_channel(proc.grpc_addr, options=[("grpc.use_local_subchannel_pool", 1)]) as channel:
        stub = chat_pb2_grpc.ChatServiceStub(channel)
        response, call = stub.GetHealth.with_call(chat_pb2.GetHealthRequest(), metadata=tuple(DEMO.items()))
    assert response.status == "ok"
    return str(dict(call.trailing_metadata())[WORKER_HEADER])


def spread(ask: Callable[[ChorusProcess], str], proc: ChorusProcess, count: int) -> set[int]:
    with ThreadPoolExecutor(16) as pool:
        return {int(pid) for pid in pool.map(lambda _: ask(proc), range(count))}


def test_rest_and_grpc_requests_are_served_by_both_workers(workers: ChorusProcess) -> None:
    pids = ready_pids(workers)
    assert len(set(pids)) == 2
    assert current_workers(workers) == set(pids)  # forked by the supervisor
    assert spread(rest_worker, workers, 48) == set(pids)
    assert spread(grpc_worker, workers, 32) == set(pids)


def test_a_chat_written_through_one_worker_is_read_through_the_other(workers: ChorusProcess) -> None:
    session = str(uuid.uuid4())
    written: list[str] = []
    writers: set[str] = set()
    # Each request on a fresh connection, until both workers have written a turn ...
    while len(writers) < 2:
        assert len(written) < 30, f"30 turns all went to {writers}"
        written.append(f"turn {len(written)}")
        chat = httpx.post(
            workers.rest_url + "/chat",
            json={"sessionId": session, "message": written[-1], "stream": False},
            headers=DEMO,
            timeout=30,
        )
        assert chat.status_code == 200, chat.text
        writers.add(chat.headers[WORKER_HEADER])
    # ... and both have read the whole history.
    readers: set[str] = set()
    for _ in range(30):
        history = httpx.get(f"{workers.rest_url}/chat/{session}/history", headers=DEMO, timeout=30)
        assert history.status_code == 200, history.text
        messages = history.json()["messages"]
        assert [m["content"] for m in messages if m["role"] == "user"] == written
        assert len(messages) == 2 * len(written)
        readers.add(history.headers[WORKER_HEADER])
        if len(readers) == 2:
            break
    assert len(readers) == 2


def test_a_worker_that_dies_is_replaced(workers: ChorusProcess) -> None:
    before = current_workers(workers)
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    replaced = re.compile(rf"worker (\d+) ready, replacing worker {victim}\b")
    assert wait_until(lambda: any(replaced.search(line) for line in workers.output), timeout=30), "".join(
        workers.output
    )
    newcomer = int(next(m.group(1) for m in map(replaced.search, workers.output) if m))
    assert f"worker {victim} exited unexpectedly with signal SIGKILL" in "".join(workers.output)
    after = current_workers(workers)
    assert after == (before - {victim}) | {newcomer}
    # The replacement shares the ports: the service is whole again.
    assert spread(rest_worker, workers, 48) == after
    assert spread(grpc_worker, workers, 32) == after


def test_sigterm_drains_every_worker_and_exits_0(tmp_path: Path, shared_backend: Callable[[], dict[str, str]]) -> None:
    proc = ChorusProcess(tmp_path / "drain", args=WORKERS, env=shared_backend(), config_toml=SLOW_CONFIG).start()
    try:
        pids = set(ready_pids(proc))
        opened: queue.Queue[str] = queue.Queue()
        finished: list[tuple[str, float, str]] = []  # (worker, when, body)
        message = " ".join(f"word{i}" for i in range(60))  # ~2 s of tokens at 20 ms each

        def stream() -> None:
            with (
                httpx.Client(base_url=proc.rest_url, headers=DEMO, timeout=30) as client,
                client.stream("POST", "/chat", json={"sessionId": str(uuid.uuid4()), "message": message}) as response,
            ):
                assert response.status_code == 200
                worker = response.headers[WORKER_HEADER]
                opened.put(worker)
                body = response.read().decode()
            finished.append((worker, time.monotonic(), body))

        # Open streams until both workers hold at least one.
        threads, seen = [], set()
        while seen != {str(p) for p in pids}:
            assert len(threads) < 30, f"30 streams all went to {seen}"
            threads.append(threading.Thread(target=stream))
            threads[-1].start()
            seen.add(opened.get(timeout=10))

        proc.signal(signal.SIGTERM)
        sent = time.monotonic()
        for thread in threads:
            thread.join(30)
        assert len(finished) == len(threads)
        for _, when, body in finished:
            events, _ = parse_sse(body)
            assert events[-1].event == "done", body[-200:]
            assert when > sent  # it was still streaming when the drain began
        assert {worker for worker, _, _ in finished} == seen
        assert proc.wait(30) == 0
        assert not any(os.path.exists(f"/proc/{pid}") for pid in pids)
        with pytest.raises(httpx.TransportError):
            httpx.get(proc.rest_url + "/health", headers=DEMO, timeout=2)
    finally:
        proc.stop()


def _serve_once(tmp_path: Path, env: dict[str, str], config: str = "") -> subprocess.CompletedProcess[str]:
    """`chorus serve --workers 2` expected to exit by itself."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("CHORUS_")}
    (tmp_path / "chorus.toml").write_text(config)
    base.update(
        {
            "CHORUS_DATA_DIR": str(tmp_path),
            "CHORUS_CONFIG": str(tmp_path / "chorus.toml"),
            "CHORUS_GRPC__PORT": "0",
            "CHORUS_REST__PORT": "0",
        }
    )
    return subprocess.run(
        [*CHORUS, *WORKERS], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=60
    )


def test_workers_without_redis_refuse_to_start(tmp_path: Path) -> None:
    done = _serve_once(tmp_path, {})
    assert done.returncode == 2
    assert "--workers 2 needs redis_url (CHORUS_REDIS_URL)" in done.stderr
    assert "listening" not in done.stdout
    assert not (tmp_path / "chorus.db").exists()  # refused before touching anything


def test_a_port_another_server_listens_on_is_refused(tmp_path: Path) -> None:
    # The other server shares with SO_REUSEPORT, as a second `--workers` supervisor would.
    with socket.socket() as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        done = _serve_once(tmp_path, {"CHORUS_REDIS_URL": "redis://127.0.0.1:1/0", "CHORUS_GRPC__PORT": str(port)})
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Address already in use" in done.stderr
    assert "listening" not in done.stdout


def test_a_worker_failing_at_start_stops_the_service(
    tmp_path: Path, shared_backend: Callable[[], dict[str, str]]
) -> None:
    # A setting only a running surface checks: every worker fails while starting.
    done = _serve_once(tmp_path, shared_backend(), '[chittyos.auth]\njwt_secret = "too short"\n')
    assert done.returncode == 2, done.stdout + done.stderr
    assert "chittyos.auth.jwt_secret: at least 32 bytes are required" in done.stderr
    assert re.search(r"worker \d+ exited with code 2 before it was ready: stopping", done.stderr), done.stderr
    assert "listening" not in done.stdout


def test_workers_stop_when_their_supervisor_is_killed(
    tmp_path: Path, shared_backend: Callable[[], dict[str, str]]
) -> None:
    with ChorusProcess(tmp_path / "orphans", args=WORKERS, env=shared_backend(), config_toml=CONFIG) as proc:
        pids = ready_pids(proc)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(10) == -signal.SIGKILL
        assert wait_until(lambda: not any(map(alive, pids)), timeout=30), [p for p in pids if alive(p)]
        with pytest.raises(httpx.TransportError):
            httpx.get(proc.rest_url + "/health", headers=DEMO, timeout=2)


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited


def test_workers_on_sqlite_run_and_name_postgresql_as_the_scale_out_database(
    tmp_path: Path, shared_backend: Callable[[], dict[str, str]]
) -> None:
    # SQLite (even when the suite itself runs on PostgreSQL), with the shared Redis.
    env = {**shared_backend(), "CHORUS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'sqlite' / 'chorus.db'}"}
    with ChorusProcess(tmp_path / "sqlite", args=WORKERS, env=env, config_toml=CONFIG) as proc:
        assert "PostgreSQL (database_url = postgresql+asyncpg://...) is the scale-out database" in "".join(proc.output)
        assert spread(rest_worker, proc, 48) == set(ready_pids(proc))


def test_one_worker_is_the_single_process_path(tmp_path: Path) -> None:
    with ChorusProcess(tmp_path / "one", args=("serve", "--workers", "1"), config_toml=CONFIG) as proc:
        response = httpx.get(proc.rest_url + "/health", headers=DEMO, timeout=30)
        assert response.status_code == 200
        assert WORKER_HEADER not in response.headers
        assert not any("workers ready" in line for line in proc.output)
