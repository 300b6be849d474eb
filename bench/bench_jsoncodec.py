"""Benchmark rest_bridge.jsoncodec against google.protobuf.json_format.

    python bench/bench_jsoncodec.py

Message: crispy.v1.GetSessionHistoryResponse with 10 ChatMessages, the
bridge's busiest response shape. Prints microseconds per call (best of 5).
"""

from __future__ import annotations

import sys
import timeit
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT, ROOT / "gen"):  # runnable without an editable install
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from chorus_contracts.crispy.v1 import chat_pb2  # noqa: E402
from google.protobuf import json_format  # noqa: E402

from rest_bridge.jsoncodec import codec_for  # noqa: E402


def sample() -> chat_pb2.GetSessionHistoryResponse:
    history = chat_pb2.GetSessionHistoryResponse(
        session_id="3f2c7e1a-9b4d-4c8e-a1f0-6d5e2b7c9a10", request_id="req-8c1d2e3f"
    )
    for i in range(10):
        history.messages.add(
            role=chat_pb2.ROLE_USER if i % 2 == 0 else chat_pb2.ROLE_ASSISTANT,
            content=f"Message number {i}: " + "lorem ipsum dolor sit amet " * 4,
            timestamp=1_700_000_000_000 + i * 1_000,
            **({"incomplete": True} if i == 9 else {}),
        )
    return history


def best_us(fn: Callable[[], object], number: int) -> float:
    return min(timeit.repeat(fn, number=number, repeat=5)) / number * 1e6


def main() -> None:
    msg = sample()
    codec = codec_for(chat_pb2.GetSessionHistoryResponse)
    ours = codec.to_json(msg)
    theirs = json_format.MessageToJson(msg, always_print_fields_with_no_presence=True, indent=None).encode()
    number = 2_000

    rows = [
        (
            "to_json",
            best_us(lambda: codec.to_json(msg), number),
            best_us(
                lambda: json_format.MessageToJson(msg, always_print_fields_with_no_presence=True, indent=None),
                number,
            ),
        ),
        (
            "from_json",
            best_us(lambda: codec.from_json(ours), number),
            best_us(lambda: json_format.Parse(theirs, chat_pb2.GetSessionHistoryResponse()), number),
        ),
    ]
    print(f"GetSessionHistoryResponse, 10 messages, {len(ours)} bytes of JSON")
    print(f"{'operation':<10} {'jsoncodec µs':>13} {'json_format µs':>15} {'speed-up':>9}")
    for name, fast, slow in rows:
        print(f"{name:<10} {fast:>13.1f} {slow:>15.1f} {slow / fast:>8.1f}x")


if __name__ == "__main__":
    main()
