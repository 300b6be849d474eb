"""Time stamps as the documents write them: `2025-10-04T06:00:00.000Z`.

A protobuf Timestamp drops a zero fraction (`...06:00:00Z`); the documents
always show milliseconds, as JavaScript's `toISOString()` does, so surfaces
that must match them carry these strings instead.
"""

from __future__ import annotations

import datetime

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def utc_datetime(ms: int) -> datetime.datetime:
    return _EPOCH + datetime.timedelta(milliseconds=ms)


def rfc3339_ms(ms: int) -> str:
    """UTC, always three fraction digits."""
    return utc_datetime(ms).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def parse_rfc3339_ms(text: str) -> int | None:
    """Milliseconds since the epoch of an RFC 3339 time with a zone, or None."""
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None or "T" not in text.upper():
        return None
    return (moment - _EPOCH) // datetime.timedelta(milliseconds=1)
