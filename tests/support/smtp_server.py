"""A real SMTP server for tests (aiosmtpd), keeping what it receives.

`SmtpServer().start()` listens on 127.0.0.1 on a free port, in aiosmtpd's own
thread; `wait_for(to)` returns the newest message sent to an address.
"""

from __future__ import annotations

import email
import email.policy
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

CODE = re.compile(r"\b(\d{6})\b")


@dataclass
class _Handler:
    messages: list[EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self) -> None:
        self._handler = _Handler()
        # aiosmtpd connects to its own port to learn it is up, so the port is chosen first.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._controller = Controller(self._handler, hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def to(self, address: str) -> list[EmailMessage]:
        with self._handler.lock:
            return [m for m in self._handler.messages if m["To"] == address]

    def wait_for(self, address: str, count: int = 1, timeout: float = 10.0) -> EmailMessage:
        """The `count`th message to `address`, once it has arrived."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.to(address)
            if len(found) >= count:
                return found[count - 1]
            time.sleep(0.02)
        raise AssertionError(f"no mail #{count} to {address} within {timeout}s")

    def code_for(self, address: str, count: int = 1) -> str:
        body = self.wait_for(address, count).get_content()
        found = CODE.search(body)
        assert found is not None, body
        return found.group(1)
