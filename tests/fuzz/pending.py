"""Inputs the fuzz tests leave out while their fixes are under way elsewhere (issue 10, section 2).

TEMPORARY: each entry names a bug that another change fixes in rest_bridge/jsoncodec.py,
app.py or asgi.py. Once that change is merged, delete its entry (and, when empty, this
module and its uses): the fuzz tests then cover those inputs too. Each filter is as narrow
as the bug: it matches exactly the inputs the bug report describes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

KNOWN_PENDING_FIXES: dict[str, str] = {
    # An unknown JSON key made of Unicode digits ("³", "①") or of 20+ ASCII digits, in a body
    # (at any depth) or a query string: a plain-text 500.
    "digit-keys": "unknown keys of Unicode digits or 20+ digits give a plain-text 500",
    # Free-form JSON (Struct/Value) nested ~33+ levels: a 500 naming an internal exception.
    "deep-nesting": "JSON nested deeper than the coming depth limit gives a 500",
    # A tab in any header value, or non-ASCII bytes in Host, x-request-id or X-Correlation-ID:
    # a plain-text 500.
    "header-bytes": "a tab in a header value, or non-ASCII in Host / request-id headers, gives a plain-text 500",
    # More than 16 KiB of headers: 429 RATE_LIMIT_EXCEEDED instead of 431.
    "header-size": "over 16 KiB of headers gives 429 instead of 431",
    # Two Host headers: accepted (the last one routes) instead of 400.
    "duplicate-host": "duplicate Host headers are accepted",
}

# Deeper than this the deep-nesting bug may show (the report saw it from about 33 levels).
_SAFE_DEPTH = 30
_HEADER_BUDGET = 16 * 1024


def is_bad_digit_key(key: str) -> bool:
    """A key or query name the digit-keys bug trips on: one of its dot-separated segments
    (error paths are dotted) is all digits, and not short ASCII ones."""
    return any(seg.isdigit() and (not seg.isascii() or len(seg) >= 20) for seg in key.split("."))


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _keys(value: Any) -> Iterable[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item)


def body_is_pending(body: Any) -> str:
    """The KNOWN_PENDING_FIXES entry a JSON body would trip, or ""."""
    if "digit-keys" in KNOWN_PENDING_FIXES and any(is_bad_digit_key(k) for k in _keys(body)):
        return "digit-keys"
    if "deep-nesting" in KNOWN_PENDING_FIXES and _depth(body) > _SAFE_DEPTH:
        return "deep-nesting"
    return ""


def query_is_pending(names: Iterable[str]) -> str:
    if "digit-keys" in KNOWN_PENDING_FIXES and any(is_bad_digit_key(n) for n in names):
        return "digit-keys"
    return ""


def headers_are_pending(headers: Iterable[tuple[bytes, bytes]]) -> str:
    """The entry a raw header list would trip, or ""."""
    pairs = list(headers)
    names = [k.lower() for k, _ in pairs]
    if "duplicate-host" in KNOWN_PENDING_FIXES and names.count(b"host") > 1:
        return "duplicate-host"
    if "header-size" in KNOWN_PENDING_FIXES and sum(len(k) + len(v) + 4 for k, v in pairs) > _HEADER_BUDGET:
        return "header-size"
    if "header-bytes" in KNOWN_PENDING_FIXES:
        for key, value in pairs:
            if b"\t" in value:
                return "header-bytes"
            if key.lower() in (b"host", b"x-request-id", b"x-correlation-id") and not value.isascii():
                return "header-bytes"
    return ""
