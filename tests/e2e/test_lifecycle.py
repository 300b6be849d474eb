"""Process layouts, graceful shutdown, disconnects and failed turns."""

from __future__ import annotations

import signal
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from chorus_contracts.crispy.v1 import chat_pb2, chat_pb2_grpc

from tests.support.chorus_process import ChorusProcess, wait_until
from tests.support.grpc_status import error_info
from tests.support.sse import parse_sse

DEMO = {"x-tenant-id": "demo"}  # these tests run their own servers

SLOW_MODEL = """
[models.providers.builtin]
kind = "builtin"
token_delay = 0.02
"""


def test_sidecar_layout(tmp_path: Path) -> None:
    with ChorusProcess(tmp_path / "core", args=("serve", "--grpc-only")) as core:
        assert core.rest_url == ""
        with ChorusProcess(tmp_path / "edge", args=("bridge", "--upstream", core.grpc_addr)) as edge:
            session = str(uuid.uuid4())
            with httpx.Client(base_url=edge.rest_url, timeout=30) as client:
                chat = client.post("/chat", json={"sessionId": session, "message": "Hi"}, headers=DEMO)
                assert chat.status_code == 200
                assert parse_sse(chat.text)[0][-1].event == "done"
                history = client.get(f"/chat/{session}/history", headers=DEMO)
                assert len(history.json()["messages"]) == 2


def test_sidecar_with_upstream_down_is_503(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"127.0.0.1:{s.getsockname()[1]}"
    with ChorusProcess(tmp_path / "edge", args=("bridge", "--upstream", dead)) as edge:
        response = httpx.get(edge.rest_url + "/health", headers=DEMO, timeout=30)
        assert response.status_code == 503
        assert set(response.json()) == {"error", "requestId"}


@pytest.mark.parametrize("transport", ["grpc", "inprocess"])
def test_client_disconnect_stops_generation(tmp_path: Path, transport: str) -> None:
    message = " ".join(f"word{i}" for i in range(1000))  # a long reply at 20 ms a token
    session = str(uuid.uuid4())
    with (
        ChorusProcess(tmp_path / "slow", config_toml=SLOW_MODEL, env={"CHORUS_REST__TRANSPORT": transport}) as proc,
        httpx.Client(base_url=proc.rest_url, timeout=30) as client,
    ):
        with client.stream("POST", "/chat", json={"sessionId": session, "message": message}, headers=DEMO) as response:
            seen = 0
            for line in response.iter_lines():
                if line.startswith("event: token"):
                    seen += 1
                if seen >= 5:
                    break

        # The connection is closed: the server must stop and keep what it produced.
        def stored() -> list[dict[str, object]]:
            r = client.get(f"/chat/{session}/history", headers=DEMO)
            return r.json()["messages"] if r.status_code == 200 else []

        assert wait_until(lambda: len(stored()) == 2, timeout=10)
        first = stored()
        assert first[1]["incomplete"] is True
        partial = str(first[1]["content"])
        assert 0 < len(partial) < len(message) / 4
        time.sleep(0.5)
        assert stored() == first  # nothing grew after the cut: generation stopped


def test_failed_model_writes_nothing(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    config = f"""
[models]
default = "broken"
[models.providers.builtin]
kind = "builtin"
[models.providers.down]
kind = "openai-compatible"
base_url = "http://127.0.0.1:{dead_port}/v1"
max_retries = 0
connect_timeout = 1.0
[models.routes.chorus-builtin]
provider = "builtin"
[models.routes.broken]
provider = "down"
"""
    session = str(uuid.uuid4())
    with (
        ChorusProcess(tmp_path / "broken", config_toml=config) as proc,
        httpx.Client(base_url=proc.rest_url, timeout=30) as client,
    ):
        single = client.post("/chat", json={"sessionId": session, "message": "Hi", "stream": False}, headers=DEMO)
        assert single.status_code == 503
        assert single.json()["error"].startswith("Model error")
        streamed = client.post("/chat", json={"sessionId": session, "message": "Hi"}, headers=DEMO)
        assert streamed.status_code == 503
        assert client.get(f"/chat/{session}/history", headers=DEMO).status_code == 404


def test_sigterm_lets_open_streams_finish(tmp_path: Path) -> None:
    config = SLOW_MODEL + "\n[grpc]\nshutdown_grace = 10.0\n"
    proc = ChorusProcess(tmp_path / "drain", config_toml=config).start()
    try:
        with (
            httpx.Client(base_url=proc.rest_url, timeout=30) as client,
            client.stream(
                "POST", "/chat", json={"sessionId": str(uuid.uuid4()), "message": "a short question"}, headers=DEMO
            ) as response,
        ):
            chunks = []
            for chunk in response.iter_text():
                if not chunks:
                    proc.signal(signal.SIGTERM)  # mid-stream
                chunks.append(chunk)
        events, _ = parse_sse("".join(chunks))
        assert events[-1].event == "done"
        assert proc.wait(20) == 0
        # After the drain nothing listens any more.
        try:
            httpx.get(proc.rest_url + "/health", headers=DEMO, timeout=2)
            raise AssertionError("still serving after SIGTERM")
        except httpx.TransportError:
            pass
    finally:
        proc.stop()


def test_invalid_configuration_names_the_setting(tmp_path: Path) -> None:
    proc = ChorusProcess(tmp_path / "bad", env={"CHORUS_GRPC__PORT": "not-a-port"})
    try:
        proc.start(timeout=20)
        raise AssertionError("started with a bad port")
    except RuntimeError as exc:
        assert "grpc.port" in str(exc)


def test_idle_stream_gets_heartbeats(tmp_path: Path) -> None:
    config = """
[rest]
sse_heartbeat = 0.1

[models.providers.builtin]
kind = "builtin"
token_delay = 0.35
"""
    session = str(uuid.uuid4())
    with (
        ChorusProcess(tmp_path / "hb", config_toml=config) as proc,
        httpx.Client(base_url=proc.rest_url, timeout=30) as client,
    ):
        response = client.post("/chat", json={"sessionId": session, "message": "Hi"}, headers=DEMO)
        assert response.status_code == 200
        events, comments = parse_sse(response.text)
        assert events[-1].event == "done"
        assert len(comments) >= 3 and set(comments) == {"keep-alive"}
        # Heartbeats sit between whole frames, never inside one.
        assert all(e.event in ("token", "done") for e in events)


@pytest.mark.parametrize("transport", ["grpc", "inprocess"])
def test_streams_cut_at_shutdown_end_with_the_shutdown_status(tmp_path: Path, transport: str) -> None:
    """Streams still open when the grace period runs out end with UNAVAILABLE SHUTTING_DOWN
    (gRPC) and an in-band error event (SSE), not grpc's "Cancelling all calls"; the replies
    they were cut from are kept."""
    config = SLOW_MODEL.replace("0.02", "0.05") + "\n[grpc]\nshutdown_grace = 1.0\n"
    message = " ".join(f"word{i}" for i in range(500))  # far longer than the grace period
    grpc_session, sse_session = str(uuid.uuid4()), str(uuid.uuid4())
    proc = ChorusProcess(tmp_path / "cut", config_toml=config, env={"CHORUS_REST__TRANSPORT": transport}).start()
    seen: dict[str, Any] = {}

    def grpc_client() -> None:
        with grpc.insecure_channel(proc.grpc_addr) as channel:
            stub = chat_pb2_grpc.ChatServiceStub(channel)
            request = chat_pb2.ChatRequest(session_id=grpc_session, message=message)
            tokens = 0
            try:
                for event in stub.Chat(request, metadata=(("x-tenant-id", "demo"),)):
                    tokens += event.HasField("token")
                seen["grpc"] = "completed"
            except grpc.RpcError as error:
                seen["grpc"] = error
            seen["grpc_tokens"] = tokens

    def sse_client() -> None:
        with (
            httpx.Client(base_url=proc.rest_url, timeout=30) as client,
            client.stream("POST", "/chat", json={"sessionId": sse_session, "message": message}, headers=DEMO) as r,
        ):
            seen["sse"] = "".join(r.iter_text())

    try:
        clients = [threading.Thread(target=grpc_client), threading.Thread(target=sse_client)]
        for thread in clients:
            thread.start()
        time.sleep(1.0)  # both streams under way
        proc.signal(signal.SIGTERM)
        for thread in clients:
            thread.join(30)
        assert proc.wait(20) == 0
    finally:
        proc.stop()

    error = seen["grpc"]
    assert isinstance(error, grpc.RpcError), error
    assert error.code() == grpc.StatusCode.UNAVAILABLE
    assert error.details() == "The server is shutting down"
    assert error_info(error).reason == "SHUTTING_DOWN"
    events, _ = parse_sse(seen["sse"])  # whole frames only: nothing cut mid-event
    assert {e.event for e in events[:-1]} == {"token"}
    assert events[-1].event == "error"
    assert events[-1].json() == {"error": "The server is shutting down"}

    # What each client was shown is kept, marked incomplete.
    with ChorusProcess(tmp_path / "cut", config_toml=config) as again, httpx.Client(base_url=again.rest_url) as client:
        for session, shown in ((grpc_session, seen["grpc_tokens"]), (sse_session, len(events) - 1)):
            history = client.get(f"/chat/{session}/history", headers=DEMO).json()["messages"]
            assert [m["role"] for m in history] == ["user", "assistant"]
            assert history[1]["incomplete"] is True
            assert shown > 0 and len(history[1]["content"]) < len(message)


def test_a_bridge_alone_ends_its_streams_with_the_shutdown_event(tmp_path: Path) -> None:
    """The sidecar layout: the bridge stops (the server behind it does not); its open SSE
    streams end with the in-band shutdown event, and the server keeps the cut reply."""
    core_config = SLOW_MODEL.replace("0.02", "0.05")
    bridge_config = "[grpc]\nshutdown_grace = 1.0\n"
    message = " ".join(f"word{i}" for i in range(500))
    session = str(uuid.uuid4())
    with ChorusProcess(tmp_path / "core", args=("serve", "--grpc-only"), config_toml=core_config) as core:
        edge = ChorusProcess(
            tmp_path / "edge", args=("bridge", "--upstream", core.grpc_addr), config_toml=bridge_config
        ).start()
        try:
            with (
                httpx.Client(base_url=edge.rest_url, timeout=30) as client,
                client.stream("POST", "/chat", json={"sessionId": session, "message": message}, headers=DEMO) as r,
            ):
                chunks = []
                for chunk in r.iter_text():
                    if not chunks:
                        edge.signal(signal.SIGTERM)
                    chunks.append(chunk)
            assert edge.wait(20) == 0
        finally:
            edge.stop()
        events, _ = parse_sse("".join(chunks))
        assert {e.event for e in events[:-1]} == {"token"}
        assert events[-1].event == "error"
        assert events[-1].json() == {"error": "The server is shutting down"}

        with grpc.insecure_channel(core.grpc_addr) as channel:
            stub = chat_pb2_grpc.ChatServiceStub(channel)

            def kept() -> bool:
                try:
                    history = stub.GetSessionHistory(
                        chat_pb2.GetSessionHistoryRequest(session_id=session), metadata=(("x-tenant-id", "demo"),)
                    )
                except grpc.RpcError:  # NOT_FOUND until the server has seen the cut
                    return False
                return len(history.messages) == 2 and history.messages[1].incomplete

            assert wait_until(kept, timeout=10)
