"""Field checks and page cursors shared by MCoS tasks, memories and preferences."""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Sequence
from typing import Any

import orjson

from server.platform.validation import Violations

# What a google.protobuf.Timestamp can hold (0001-01-01 to 9999-12-31), in ms.
MIN_TIME_MS = -62_135_596_800_000
MAX_TIME_MS = 253_402_300_799_999


def new_id(prefix: str) -> str:
    """`prefix` then 24 lowercase hex digits, e.g. "task_…"."""
    return prefix + secrets.token_hex(12)


def check_time(problems: Violations, field: str, ms: Any) -> None:
    """A time in ms that a Timestamp can carry; None is fine (unset)."""
    if ms is None:
        return
    if isinstance(ms, bool) or not isinstance(ms, int):
        problems.add(field, "Expected a timestamp")
    elif not MIN_TIME_MS <= ms <= MAX_TIME_MS:
        problems.add(field, "Timestamp out of range")


def checked_text(problems: Violations, field: str, value: Any, minimum: int, maximum: int) -> str:
    """`value` trimmed, when it is a string of `minimum`-`maximum` characters."""
    if not isinstance(value, str):
        problems.add(field, "Required" if value is None else "Expected string")
        return ""
    text = value.strip()
    if minimum and not text:
        problems.add(field, "Required")
    else:
        problems.length(field, text, minimum, maximum)
    return text


def checked_choice(problems: Violations, field: str, value: Any, choices: Sequence[str]) -> str:
    if value not in choices:
        problems.add(field, f"Must be one of: {', '.join(choices)}")
        return ""
    return str(value)


def checked_names(problems: Violations, field: str, values: Any, most: int, longest: int) -> tuple[str, ...]:
    """A list of short names (tags, airlines): each trimmed and 1-`longest` characters,
    duplicates dropped (first kept), at most `most` of them."""
    if isinstance(values, str) or not isinstance(values, Sequence):
        problems.add(field, "Expected array")
        return ()
    names: list[str] = []
    for index, value in enumerate(values):
        name = checked_text(problems, f"{field}.{index}", value, 1, longest)
        if name and name not in names:
            names.append(name)
    if len(names) > most:
        problems.add(field, f"Array must contain at most {most} element(s)")
    return tuple(names)


def checked_limit(problems: Violations, limit: Any, maximum: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= maximum:
        problems.add("limit", f"Must be between 1 and {maximum}")
        return 1
    return limit


def encode_cursor(position: list[Any]) -> str:
    """An opaque page cursor for a keyset position."""
    return base64.urlsafe_b64encode(orjson.dumps(position)).rstrip(b"=").decode()


def decode_cursor(problems: Violations, cursor: str, kinds: Sequence[type | tuple[type, ...]]) -> list[Any] | None:
    """The position `encode_cursor` wrote, each item of its kind; None (and a
    violation) when the cursor is not one of ours."""
    try:
        position = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        position = None
    if (
        not isinstance(position, list)
        or len(position) != len(kinds)
        or not all(
            isinstance(item, kind) and not isinstance(item, bool) for item, kind in zip(position, kinds, strict=True)
        )
    ):
        problems.add("cursor", "Invalid cursor")
        return None
    return position
