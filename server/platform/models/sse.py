"""An incremental text/event-stream (SSE) decoder, per the WHATWG parsing rules.

Feed it text as it arrives, in chunks split anywhere (even inside a line or
between the CR and LF of a line ending); it returns each event once its
terminating blank line has arrived. Comments (heartbeats) and the `id` and
`retry` fields are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Only CRLF, CR and LF end lines: str.splitlines would also split on U+2028
# and friends, which may legally appear raw inside JSON strings.
_LINE_END = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class SSEEvent:
    data: str
    event: str = "message"


class SSEDecoder:
    def __init__(self) -> None:
        self._partial: list[str] = []  # text of the current, unterminated line
        self._skip_lf = False  # the last chunk ended in CR: a leading LF belongs to it
        self._data: list[str] = []
        self._event = ""

    def feed(self, chunk: str) -> list[SSEEvent]:
        events: list[SSEEvent] = []
        if self._skip_lf and chunk.startswith("\n"):
            chunk = chunk[1:]
        self._skip_lf = chunk.endswith("\r")
        start = 0
        for match in _LINE_END.finditer(chunk):
            self._partial.append(chunk[start : match.start()])
            self._line("".join(self._partial), events)
            self._partial.clear()
            start = match.end()
        if start < len(chunk):
            self._partial.append(chunk[start:])
        return events

    def close(self) -> list[SSEEvent]:
        """End of stream: deliver a last event even without its blank line (lenient)."""
        events: list[SSEEvent] = []
        if self._partial:
            self._line("".join(self._partial), events)
            self._partial.clear()
        self._line("", events)
        return events

    def _line(self, line: str, events: list[SSEEvent]) -> None:
        if not line:
            if self._data:
                events.append(SSEEvent("\n".join(self._data), self._event or "message"))
            self._data.clear()
            self._event = ""
            return
        if line.startswith(":"):
            return  # comment, e.g. a keep-alive heartbeat
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "data":
            self._data.append(value)
        elif field == "event":
            self._event = value
