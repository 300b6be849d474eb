"""A strict SSE parser for tests (per the WHATWG event-stream format)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass
class Event:
    event: str | None
    data: str

    def json(self) -> Any:
        return json.loads(self.data)


def parse_sse(text: str) -> tuple[list[Event], list[str]]:
    """Returns (events, comments). Each frame must end with a blank line."""
    events: list[Event] = []
    comments: list[str] = []
    assert text.endswith("\n\n") or text == "", f"stream must end with a blank line: {text[-40:]!r}"
    for frame in text.split("\n\n")[:-1]:
        name: str | None = None
        data: list[str] = []
        for line in frame.split("\n"):
            if line.startswith(":"):
                comments.append(line[1:].strip())
            elif line.startswith("event: "):
                name = line[len("event: ") :]
            elif line.startswith("data: "):
                data.append(line[len("data: ") :])
            else:
                raise AssertionError(f"unexpected SSE line {line!r}")
        if data:
            events.append(Event(name, "\n".join(data)))
    return events, comments
