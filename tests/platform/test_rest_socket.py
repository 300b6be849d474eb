"""The REST listener is created so that asyncio disables Nagle on accepted sockets."""

from __future__ import annotations

import socket

from server.app import bind_socket


def test_rest_socket_is_explicit_tcp() -> None:
    # asyncio only sets TCP_NODELAY when sock.proto is IPPROTO_TCP; with 0 every
    # response's body write waits for the delayed ACK of its headers.
    sock = bind_socket("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
        assert sock.getsockname()[1] > 0
    finally:
        sock.close()
