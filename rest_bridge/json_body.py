"""Request bodies: JSON parsing with bounded work, large bodies off the event loop.

A 1 MB body can hold ~330,000 empty arrays; parsing it (orjson, one C call
that holds the GIL) takes ~45 ms and mapping it onto protobuf messages ~400 ms.
So:

- a body holds at most `MAX_CONTAINERS` arrays and objects (counted outside
  strings, before parsing: a C-speed byte count, refined only when it is high),
  which bounds the parse of any body to a few ms;
- free-form values are bounded by the codec (`jsoncodec.MAX_FREE_FORM_VALUES`),
  nesting by `jsoncodec.MAX_DEPTH`;
- bodies with more than about `OFFLOAD_VALUES` JSON values (estimated from
  commas and brackets: what costs is values, not bytes) are parsed and mapped
  in one worker thread, so the event loop keeps serving other requests (it
  waits at most about one GIL switch interval, 5 ms, at a time). Other bodies,
  the common case, stay on the loop: a thread hand-off would cost them more.
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
# About 2-5 ms of mapping on the loop (a free-form value costs the most, ~2.5 µs).
OFFLOAD_VALUES = 2_000

# One thread: hostile bodies queue behind each other instead of each taking a
# core's worth of GIL from the event loop.
_DECODER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chorus-json")
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)

T = TypeVar("T")


def _parse_many(raw: bytes, marks: int) -> Any:
    """`_parse` of a body with `marks` (see `_marks`), refused if it holds over MAX_CONTAINERS containers."""
    if marks > MAX_CONTAINERS and len(raw) > 2 * MAX_CONTAINERS and _containers(raw) > MAX_CONTAINERS:
        raise JsonMappingError([FieldIssue((), f"JSON holds more than {MAX_CONTAINERS} arrays and objects")])
    return _parse(raw)


def _parse(raw: bytes) -> Any:
    if not raw.strip():
        return {}
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


def _marks(raw: bytes) -> int:
    """Commas and opening brackets, in strings too: they bound the body's values (and so its containers)."""
    if len(raw) <= 2 * OFFLOAD_VALUES:  # a value takes at least two bytes
        return 0  # few values, uncounted
    # One C pass, ~0.7 ms a MB (bytes.count is as fast, but per character).
    return len(raw) - len(raw.translate(None, b",[{"))


async def decode(raw: bytes, build: Callable[[Any], T]) -> T:
    """`build` of the body's JSON value ({} for an empty body), or a JsonMappingError; in the
    decoder thread when the body has many values. Its commas and brackets are counted once:
    they decide that, and spare counting containers in all but bodies with very many."""
    marks = _marks(raw)
    if marks <= OFFLOAD_VALUES:
        return build(_parse(raw))
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_DECODER, lambda: build(_parse_many(raw, marks)))
