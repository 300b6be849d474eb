"""Slow and idle clients cannot hold the REST server: read timeouts and a connection cap.

A Chorus process with small limits (2 s to send headers, 2 s for a body, at
most 4 connections) and real sockets that stall.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from tests.support import raw_http
from tests.support.chorus_process import ChorusProcess
from tests.support.raw_http import read_until_closed

MAX_CONNECTIONS = 4
HEADER_TIMEOUT = 2.0
BODY_TIMEOUT = 2.0
# Generous: a closed connection is seen well within it, an open one never.
WAIT = 15.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChorusProcess]:
    data_dir: Path = tmp_path_factory.mktemp("slow-clients")
    env = {
        "CHORUS_REST__HEADER_TIMEOUT": str(HEADER_TIMEOUT),
        "CHORUS_REST__BODY_TIMEOUT": str(BODY_TIMEOUT),
        "CHORUS_REST__MAX_CONNECTIONS": str(MAX_CONNECTIONS),
    }
    with ChorusProcess(data_dir, env=env) as proc:
        yield proc


def connect(server: ChorusProcess) -> socket.socket:
    return raw_http.connect(server.rest_url, timeout=WAIT)


def test_a_silent_connection_is_closed(server: ChorusProcess) -> None:
    with connect(server) as sock:
        started = time.monotonic()
        assert read_until_closed(sock) == b""
        assert time.monotonic() - started >= HEADER_TIMEOUT * 0.9


def test_headers_sent_a_byte_at_a_time_are_cut_off(server: ChorusProcess) -> None:
    request = b"GET /health HTTP/1.1\r\nHost: x\r\nx-tenant-id: demo\r\n" + b"x-slow: " + b"a" * 400
    with connect(server) as sock:
        deadline = time.monotonic() + WAIT
        closed = False
        for byte in request:
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                closed = True
                break
            time.sleep(0.05)
            if time.monotonic() > deadline:
                break
        assert closed or read_until_closed(sock) == b""


def test_a_stalled_body_gets_408_in_the_envelope(server: ChorusProcess) -> None:
    body = orjson.dumps({"sessionId": "550e8400-e29b-41d4-a716-446655440000", "message": "hi", "stream": False})
    head = (
        b"POST /chat HTTP/1.1\r\nHost: x\r\nx-tenant-id: demo\r\ncontent-type: application/json\r\n"
        b"content-length: %d\r\n\r\n" % len(body)
    )
    with connect(server) as sock:
        sock.sendall(head + body[:10])  # and then nothing
        response = read_until_closed(sock)
    status_line, _, rest = response.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 408 Request Timeout"
    headers, _, payload = rest.partition(b"\r\n\r\n")
    assert b"content-type: application/json" in headers.lower()
    envelope = orjson.loads(payload)
    assert set(envelope) == {"error", "requestId"}


def test_a_body_nobody_reads_does_not_hold_the_connection(server: ChorusProcess) -> None:
    # A GET with a Content-Length it never sends: answered, then cut off after the body timeout.
    with connect(server) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nx-tenant-id: demo\r\ncontent-length: 100\r\n\r\nab")
        response = read_until_closed(sock)
    assert response.startswith(b"HTTP/1.1 200 ")


def test_connections_over_the_cap_get_503_until_idle_ones_time_out(server: ChorusProcess) -> None:
    idle = [connect(server) for _ in range(MAX_CONNECTIONS)]
    try:
        with httpx.Client(base_url=server.rest_url, timeout=WAIT) as client:
            response = client.get("/health", headers={"x-tenant-id": "demo"})
            assert response.status_code == 503, response.text
            assert response.headers["content-type"] == "application/json"
            assert response.headers["retry-after"] == "1"
            assert response.headers["connection"] == "close"
            assert set(response.json()) == {"error", "requestId"}
            for sock in idle:
                assert read_until_closed(sock) == b""  # the header timeout frees their places
            response = client.get("/health", headers={"x-tenant-id": "demo"})
            assert response.status_code == 200, response.text
    finally:
        for sock in idle:
            sock.close()
