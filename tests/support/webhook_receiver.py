"""A real HTTPS webhook receiver on loopback (aiohttp in a thread of its own), with a
certificate from a throwaway CA (trustme) that the server under test is told to trust.

Each path answers from a script: a list of steps ("ok", "fail", "hang", "redirect",
"fail-first": fail the first request of each event id, answer the rest) taken one
per request, the last repeating. Every request is recorded with its
raw body and headers, so tests verify signatures on exactly the bytes sent.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import trustme
from aiohttp import web
from standardwebhooks import Webhook


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class WebhookReceiver:
    def __init__(self, cert_dir: Path) -> None:
        ca = trustme.CA()
        cert = ca.issue_cert("localhost", "127.0.0.1")
        self.ca_file = cert_dir / "webhook-ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_file))
        self._tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(self._tls)
        self.received: list[Received] = []
        self._scripts: dict[str, list[str]] = {}
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self.port = 0

    def script(self, path: str, *steps: str) -> str:
        """Sets how `path` answers; returns its URL."""
        with self._lock:
            self._scripts[path] = list(steps)
        return self.url(path)

    def url(self, path: str) -> str:
        return f"https://localhost:{self.port}{path}"

    def at(self, path: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.path == path]

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        with self._lock:
            self.received.append(Received(request.path, dict(request.headers), body))
            steps = self._scripts.get(request.path, ["ok"])
            step = steps.pop(0) if len(steps) > 1 else steps[0]
            if step == "fail-first":
                event_id = request.headers.get("webhook-id")
                seen = sum(
                    1 for r in self.received if r.path == request.path and r.headers.get("webhook-id") == event_id
                )
                step = "fail" if seen == 1 else "ok"
        if step == "hang":
            await asyncio.sleep(3600)
        if step == "fail":
            return web.Response(status=500, text="failing on purpose")
        if step == "redirect":
            raise web.HTTPFound(request.path + "/moved")
        return web.Response(status=204)

    def start(self) -> WebhookReceiver:
        ready = threading.Event()

        async def serve() -> None:
            app = web.Application()
            app.router.add_route("POST", "/{tail:.*}", self._answer)
            self._runner = web.AppRunner(app, shutdown_timeout=0.1)
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self._tls)
            await site.start()
            server = site._server
            assert server is not None and server.sockets
            self.port = server.sockets[0].getsockname()[1]
            ready.set()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(serve())
            self._loop.run_forever()

        threading.Thread(target=run, daemon=True).start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        async def close() -> None:
            # Requests still hanging on purpose end here, not at interpreter exit.
            hanging = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in hanging:
                task.cancel()
            await asyncio.gather(*hanging, return_exceptions=True)
            if self._runner is not None:
                await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)


@contextmanager
def webhook_receiver(cert_dir: Path) -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(cert_dir).start()
    try:
        yield receiver
    finally:
        receiver.stop()


def config_toml(receiver: WebhookReceiver, retry_delays: str = "[0.3, 0.3, 0.3]", extra: str = "") -> str:
    """A chorus.toml delivering to the receiver: private addresses allowed, its CA trusted."""
    return (
        f'[webhooks]\nallow_private_addresses = true\nca_file = "{receiver.ca_file}"\n'
        f"retry_delays = {retry_delays}\n"
        "[jobs]\npoll_interval = 0.1\nlease = 2.0\n" + extra
    )


def document_recipe_valid(secret: str, received: Received) -> bool:
    """The document's Node snippet, in Python: HMAC-SHA256 of the raw body, hex."""
    signature = hmac.new(secret.encode(), received.body, hashlib.sha256).hexdigest()
    header = received.headers["X-ChaozCode-Signature"]
    return header.startswith("sha256=") and hmac.compare_digest(signature, header.removeprefix("sha256="))


def standard_secret(secret: str) -> str:
    """What a receiver passes to its Standard Webhooks library (`whsec_` secrets as they are)."""
    return secret if secret.startswith("whsec_") else "whsec_" + base64.b64encode(secret.encode()).decode()


def verify_both_ways(secret: str, received: Received) -> dict[str, object]:
    assert document_recipe_valid(secret, received)
    payload = Webhook(standard_secret(secret)).verify(received.body, received.headers)
    assert received.headers["webhook-id"] == payload["id"]
    return dict(payload)


def main() -> None:
    """`python -m tests.support.webhook_receiver CERT_DIR`: a receiver in a process of its
    own (so it does not share a GIL with what it measures) answering 204 to every POST;
    prints `port N`, then serves until its standard input closes."""
    import sys

    receiver = WebhookReceiver(Path(sys.argv[1])).start()
    print(f"port {receiver.port}", flush=True)
    sys.stdin.read()
    receiver.stop()


if __name__ == "__main__":
    main()
