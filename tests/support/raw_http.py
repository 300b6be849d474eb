"""HTTP/1.1 over a plain socket: requests httpx would tidy up or refuse to send, and clients that stall.

`connect` opens a connection to a server's REST URL; a response is read either until the
server closes (`read_until_closed`, then `parse`) or by its Content-Length (`read_response`,
for a connection the server keeps open).
"""

from __future__ import annotations

import socket
from typing import NamedTuple
from urllib.parse import urlsplit


class RawResponse(NamedTuple):
    status: int
    headers: dict[str, str]  # names in lower case; values as latin-1, trimmed
    body: bytes


def connect(url: str, timeout: float) -> socket.socket:
    parts = urlsplit(url)
    assert parts.hostname and parts.port
    return socket.create_connection((parts.hostname, parts.port), timeout=timeout)


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes (socket.timeout if it holds on)."""
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _head(head: bytes) -> tuple[int, dict[str, str]]:
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, value = line.split(":", 1)
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers


def parse(raw: bytes) -> RawResponse:
    """A whole response as read: its head and everything after it."""
    head, _, body = raw.partition(b"\r\n\r\n")
    return RawResponse(*_head(head), body)


def read_response(sock: socket.socket) -> RawResponse:
    """One response, framed by its Content-Length (the connection may stay open)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed early: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status, headers = _head(head)
    while len(body) < int(headers["content-length"]):
        chunk = sock.recv(65536)
        assert chunk
        body += chunk
    return RawResponse(status, headers, body)
