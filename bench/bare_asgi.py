"""A bare ASGI app on uvicorn: the "physical limit" an HTTP/1.1 read can reach here.

The HTTP counterpart of bench/echo_server.py. Every request gets the same
pre-built JSON body, the size and shape of the 2-message history the unary
bench reads, with the same uvicorn set-up as `chorus serve` (httptools,
uvloop, no access log, no Server or Date header). No routing, no storage, no
(de)serialization: what is left is uvicorn and the socket. It answers every
path and method alike, so the unary load generator's set-up (a `POST /chat`,
then one history read it checks) passes unchanged.

Run: .venv/bin/python -m bench.bare_asgi [--host 127.0.0.1] [--port 0]
Prints `bare-asgi: listening on http://HOST:PORT` once serving; stops on SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
from typing import Any

import orjson
import uvicorn

from server.app import bind_socket

_BODY = orjson.dumps(
    {
        "sessionId": "2a8f108b-53b8-4ec8-b3b7-c60d24d66334",
        "messages": [
            {"role": "user", "content": "hello", "timestamp": "2026-11-18T10:14:07.479Z"},
            {
                "role": "assistant",
                "content": 'You said: "hello". That is user turn 1 of a 1-message conversation (fingerprint '
                "6bcad6741db3). (Chorus builtin development model: offline and deterministic.)",
                "timestamp": "2026-11-18T10:14:07.485Z",
            },
        ],
        "requestId": "13eb0cc8-e2fe-444e-8020-8a11dd9f656b",
    }
)
_START = {
    "type": "http.response.start",
    "status": 200,
    "headers": [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(_BODY)).encode()),
        (b"x-request-id", b"13eb0cc8-e2fe-444e-8020-8a11dd9f656b"),
    ],
}
_RESPONSE = {"type": "http.response.body", "body": _BODY}


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await send(_START)
    await send(_RESPONSE)


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, url: str) -> None:
        super().__init__(config)
        self._url = url

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets)
        print(f"bare-asgi: listening on {self._url}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    sock = bind_socket(args.host, args.port)
    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(
        app,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
        lifespan="off",
        proxy_headers=False,
        server_header=False,
        date_header=False,
    )
    _Server(config, f"http://{host}:{port}").run(sockets=[sock])


if __name__ == "__main__":
    main()
