"""Request bodies: JSON parsing with bounded work, large bodies off the event loop.

A 1 MB body can hold ~330,000 empty arrays; parsing it (orjson, one C call
that holds the GIL) takes ~45 ms and mapping it onto protobuf messages ~400 ms.
So:

- a body holds at most `MAX_CONTAINERS` arrays and objects (counted outside
  strings, before parsing: a C-speed byte count, refined only when it is high),
  which bounds the parse of any body to a few ms;
- free-form values are bounded by the codec (`jsoncodec.MAX_FREE_FORM_VALUES`),
  nesting by `jsoncodec.MAX_DEPTH`;
- bodies above `OFFLOAD_BYTES` are parsed and mapped in one worker thread, so
  the event loop keeps serving other requests (it waits at most one GIL switch
  interval, 5 ms, at a time); small bodies, the common case, stay on the loop.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import orjson

from rest_bridge.jsoncodec import FieldIssue, JsonMappingError

MAX_CONTAINERS = 20_000
OFFLOAD_BYTES = 64 * 1024

# One thread: hostile bodies queue behind each other instead of each taking a
# core's worth of GIL from the event loop.
_DECODER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chorus-json")
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)

T = TypeVar("T")


def parse_json(raw: bytes) -> Any:
    """The body's JSON value ({} for an empty body), or a JsonMappingError."""
    if not raw.strip():
        return {}
    if len(raw) > 2 * MAX_CONTAINERS and _containers(raw) > MAX_CONTAINERS:
        raise JsonMappingError([FieldIssue((), f"JSON holds more than {MAX_CONTAINERS} arrays and objects")])
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise JsonMappingError([FieldIssue((), f"Malformed JSON: {exc.msg}")]) from None


def _containers(raw: bytes) -> int:
    count = raw.count(b"[") + raw.count(b"{")
    if count <= MAX_CONTAINERS:
        return count  # brackets inside strings only add to this
    return count_outside_strings(raw)


def count_outside_strings(raw: bytes) -> int:
    outside = _STRING.sub(b"", raw)
    return outside.count(b"[") + outside.count(b"{")


async def decode(raw: bytes, build: Callable[[Any], T]) -> T:
    """`build(parse_json(raw))`, in the decoder thread when the body is large."""
    if len(raw) <= OFFLOAD_BYTES:
        return build(parse_json(raw))
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_DECODER, lambda: build(parse_json(raw)))
