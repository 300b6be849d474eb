"""The bundled flights MCP server (server.surfaces.mcos.flights.sample_server) over
streamable HTTP, in a thread and event loop of its own, recording every HTTP request's
headers as it arrives."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn

from server.surfaces.mcos.flights.sample_server import MCP_PATH, build_server


@dataclass(frozen=True)
class Recorded:
    method: str
    headers: dict[str, str]
    body: bytes


@dataclass
class RecordingMcpServer:
    url: str = ""
    requests: list[Recorded] = field(default_factory=list)  # in arrival order

    def tool_calls(self) -> list[Recorded]:
        """The POSTs that carried a `tools/call` JSON-RPC request."""
        return [r for r in self.requests if r.method == "POST" and b'"tools/call"' in r.body]


@contextmanager
def recording_mcp_server() -> Iterator[RecordingMcpServer]:
    recording = RecordingMcpServer()
    app = build_server().streamable_http_app(streamable_http_path=MCP_PATH, host="127.0.0.1")

    async def recorded(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        body = b""
        if scope["method"] == "POST":  # read whole here, then handed on as one message
            more = True
            while more:
                message = await receive()
                body += message.get("body", b"")
                more = message.get("more_body", False)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        recording.requests.append(Recorded(scope["method"], headers, body))
        replayed = False

        async def replay() -> Any:
            nonlocal replayed
            if scope["method"] == "POST" and not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await app(scope, replay, send)

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    recording.url = f"http://127.0.0.1:{sock.getsockname()[1]}{MCP_PATH}"
    server = uvicorn.Server(uvicorn.Config(recorded, log_level="warning", access_log=False))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    try:
        yield recording
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
