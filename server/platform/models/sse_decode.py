"""The `data` of Server-Sent Events, decoded from raw body bytes as they arrive.

Follows the WHATWG event-stream rules a chat upstream can use: lines end in
CRLF, LF or CR; `:` starts a comment; a `data` field's lines join with LF; an
event is dispatched by a blank line, and one without data is skipped; other
fields (`event`, `id`, `retry`) carry nothing a chat chunk needs. Payloads
stay bytes (orjson parses bytes; no text decoding per line), and a line
separator inside JSON (U+2028) is not a line end.
"""

from __future__ import annotations

_BOM = b"\xef\xbb\xbf"


class SseDataDecoder:
    def __init__(self) -> None:
        self._tail = b""  # an unfinished line
        self._data: list[bytes] = []  # the current event's data lines
        self._started = False  # past a leading byte-order mark

    def feed(self, chunk: bytes) -> list[bytes]:
        """The data of every event this chunk completes."""
        if self._tail:
            chunk = self._tail + chunk
        if not self._started:
            if len(chunk) < len(_BOM) and _BOM.startswith(chunk):
                self._tail = chunk
                return []
            self._started = True
            if chunk.startswith(_BOM):
                chunk = chunk[len(_BOM) :]
        if b"\r" in chunk:
            if chunk.endswith(b"\r"):  # its LF may come in the next chunk
                self._tail = b"\r"
                chunk = chunk[:-1]
            else:
                self._tail = b""
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
            lines = chunk.split(b"\n")
            if self._tail:
                self._tail = lines.pop() + self._tail
            else:
                self._tail = lines.pop()
        else:
            lines = chunk.split(b"\n")
            self._tail = lines.pop()
        return self._lines(lines)

    def _lines(self, lines: list[bytes]) -> list[bytes]:
        events: list[bytes] = []
        data = self._data
        for line in lines:
            if not line:
                if data:
                    joined = data[0] if len(data) == 1 else b"\n".join(data)
                    data.clear()
                    if joined:  # an event whose data is empty carries nothing
                        events.append(joined)
            elif line.startswith(b"data:"):
                data.append(line[6:] if line[5:6] == b" " else line[5:])
            elif line == b"data":
                data.append(b"")
        return events
