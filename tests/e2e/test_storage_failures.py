"""A data directory that cannot be written, and a disk that fills up, told as such.

Both are real: the server runs in a mount namespace of its own where its data
directory is a read-only bind mount, or a tmpfs of a few hundred kilobytes
(root ignores permissions, so a chmod would prove nothing).
"""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import grpc
import httpx
import pytest
from chorus_contracts.crispy.v1 import chat_pb2, chat_pb2_grpc

from tests.support.chorus_process import CHORUS, ROOT, ChorusProcess, run_cli
from tests.support.grpc_status import error_info
from tests.support.mounts import read_only, small_disk

pytestmark = pytest.mark.sqlite_only(reason="the database lives in the data directory only on SQLite")

TENANT = {"x-tenant-id": "demo"}
ROOMY_LIMITS = """
[crispy.rate_limit]
per_minute = 1000000
burst_per_second = 100000
"""


@pytest.mark.parametrize("state", ["empty", "migrated"])
def test_read_only_data_directory_stops_start_with_one_line(tmp_path: Path, state: str) -> None:
    data = tmp_path / "data"
    data.mkdir()
    if state == "migrated":
        run_cli(data, "migrate")
    (data / "chorus.toml").touch()
    env = ChorusProcess(data).environment()
    done = subprocess.run(
        [*read_only(data), *CHORUS, "serve"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines() == [f"chorus: the data directory is not writable: {data}: Read-only file system"]


def test_full_disk_is_507_storage_full_on_rest_and_resource_exhausted_on_grpc(tmp_path: Path) -> None:
    disk = tmp_path / "proc" / "disk"
    disk.mkdir(parents=True)
    # The disk holds a database migrated beforehand and 1 MiB of room: the schema's
    # size (which grows with every migration) is not what this test is about.
    migrated = tmp_path / "migrated"
    migrated.mkdir()
    run_cli(migrated, "migrate")
    database = migrated / "chorus.db"
    room = (database.stat().st_size + 2**20) // 1024
    launcher = small_disk(disk, f"{room}k", seed=database)
    proc = ChorusProcess(
        tmp_path / "proc", config_toml=ROOMY_LIMITS, env={"CHORUS_DATA_DIR": str(disk)}, launcher=launcher
    )
    with proc, httpx.Client(base_url=proc.rest_url, timeout=30) as client:
        first = str(uuid.uuid4())
        big = "x" * 10_000
        answers = []
        for _ in range(200):  # ~20 kB a turn: the disk fills well before
            answers.append(
                client.post("/chat", json={"sessionId": first, "message": big, "stream": False}, headers=TENANT)
            )
            if answers[-1].status_code != 200:
                break
        full = answers[-1]
        assert full.status_code == 507, full.text
        assert full.headers["content-type"].startswith("application/json")
        assert full.json() == {
            "error": "The server's storage is full; nothing was written",
            "requestId": full.headers["x-request-id"],
        }
        assert len(answers) > 1  # it did write until the disk was full

        with grpc.insecure_channel(proc.grpc_addr) as channel:
            stub = chat_pb2_grpc.ChatServiceStub(channel)
            request = chat_pb2.ChatRequest(session_id=str(uuid.uuid4()), message=big, stream=False)
            with pytest.raises(grpc.RpcError) as failed:
                list(stub.Chat(request, metadata=tuple(TENANT.items())))
        assert failed.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert error_info(failed.value).reason == "STORAGE_FULL"

        # Nothing half-written; what was stored is still there to read.
        history = client.get(f"/chat/{first}/history", headers=TENANT)
        assert history.status_code == 200
        assert len(history.json()["messages"]) == 2 * (len(answers) - 1)
