"""Headless Chromium (Debian's `chromium`) driven over the DevTools protocol, for page tests.

`chromium_path()` finds the browser, installing Debian's package with apt-get when it is missing
(tests/support/apt.py, as for PostgreSQL and Redis), and skips the test with the
reason only when it cannot be had. The protocol runs over a pipe
(`--remote-debugging-pipe`: JSON messages ending in NUL on file descriptors 3 and 4), so no
WebSocket client is needed.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest

from tests.support.apt import InstallFailed, apt_install

_NAMES = ("chromium", "chromium-browser", "google-chrome")


def _find() -> str | None:
    return next((path for name in _NAMES if (path := shutil.which(name))), None)


def chromium_path() -> str:
    """The browser's path; installs Debian's `chromium` if needed, else skips the test."""
    found = _find()
    if found is None:
        try:
            apt_install(["chromium"])
        except InstallFailed as exc:
            pytest.skip(f"headless Chromium unavailable: {exc}")
        found = _find()
    if found is None:
        pytest.skip("headless Chromium unavailable: `chromium` still missing after apt-get install")
    return found


def _as_fds_3_and_4(read_end: int, write_end: int) -> None:
    """In the child: `read_end` becomes fd 3 and `write_end` fd 4 (via high copies, as
    either may already be 3 or 4)."""
    high_read, high_write = (fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (read_end, write_end))
    os.dup2(high_read, 3)
    os.dup2(high_write, 4)


class Browser:
    """One headless Chromium; `page` sessions are its tabs."""

    def __init__(self, executable: str, profile: Path, args: Sequence[str] = ()) -> None:
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        self._proc = subprocess.Popen(
            [
                executable,
                "--headless",
                "--no-sandbox",  # tests run as root
                "--disable-gpu",
                "--hide-scrollbars",
                "--no-first-run",
                "--remote-debugging-pipe",
                f"--user-data-dir={profile}",
                *args,
                "about:blank",
            ],
            # The protocol's pipe: the browser reads fd 3 and writes fd 4.
            pass_fds=(3, 4),
            preexec_fn=lambda: _as_fds_3_and_4(to_browser_r, from_browser_w),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0

    def call(self, method: str, session: str | None = None, timeout: float = 30.0, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._receive(deadline)
            if reply.get("id") == self._next_id:  # events and other replies are not waited for
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline or self._proc.poll() is not None:
                raise TimeoutError("no answer from Chromium")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise ConnectionError("Chromium closed the protocol pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    @contextmanager
    def page(self, width: int = 1280, height: int = 1600) -> Iterator[Page]:
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        size = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
        self.call("Emulation.setDeviceMetricsOverride", session, **size)
        try:
            yield Page(self, session)
        finally:
            self.call("Target.closeTarget", targetId=target)

    def close(self) -> None:
        with suppress(OSError, RuntimeError, TimeoutError):
            self.call("Browser.close", timeout=5)
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)


class Page:
    def __init__(self, browser: Browser, session: str) -> None:
        self._browser = browser
        self._session = session

    def goto(self, url: str) -> None:
        result = self._browser.call("Page.navigate", self._session, url=url)
        if result.get("errorText"):
            raise RuntimeError(f"cannot load {url}: {result['errorText']}")

    def evaluate(self, expression: str) -> Any:
        result = self._browser.call("Runtime.evaluate", self._session, expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 30.0) -> Any:
        """Polls `expression` until it is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"still false after {timeout} s: {expression}")
            time.sleep(0.1)

    def screenshot(self, path: Path) -> Path:
        data = self._browser.call("Page.captureScreenshot", self._session, format="png", captureBeyondViewport=True)
        path.write_bytes(base64.b64decode(data["data"]))
        return path


@contextmanager
def browser(*args: str) -> Iterator[Browser]:
    """A headless Chromium with extra command-line `args` (e.g. --host-resolver-rules)."""
    executable = chromium_path()
    with tempfile.TemporaryDirectory(prefix="chorus-chromium-") as profile:
        started = Browser(executable, Path(profile), args)
        try:
            yield started
        finally:
            started.close()
