"""Chorus's offline word-piece tokenizer, used for the builtin model and for usage estimates.

It is not any real model's tokenizer; it is a stable, dependency-free
approximation that is close enough to budget and meter with. Rules, applied
left to right:

- a word (a run of letters, digits and underscores) is one piece, carrying one
  leading space if there is one: "Hello world" -> ["Hello", " world"];
- words longer than 12 characters continue in further 12-character pieces
  (without a space), so a long unbroken string still yields many tokens;
- every other visible character (punctuation, hyphen, symbol) is a piece of
  its own, also carrying one leading space: "Multi-tenant (beta)" ->
  ["Multi", "-", "tenant", " (", "beta", ")"];
- remaining whitespace runs are pieces of their own, leaving a single final
  space to the piece that follows: "a\n\n  b" -> ["a", "\n\n ", " b"].

The pieces always concatenate back to the input exactly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import orjson

from server.platform.models.types import ChatTurn, ToolSpec

MAX_WORD_PIECE = 12
# Fixed cost charged per message for role and framing, like real chat formats.
MESSAGE_OVERHEAD = 4

_PIECE = re.compile(rf" ?\w{{1,{MAX_WORD_PIECE}}}| ?[^\w\s]|\s+?(?= \S)|\s+")


def tokenize(text: str) -> list[str]:
    return _PIECE.findall(text)


def count_tokens(text: str) -> int:
    return sum(1 for _ in _PIECE.finditer(text))


def count_prompt_tokens(messages: Iterable[ChatTurn], tools: Iterable[ToolSpec] = ()) -> int:
    """Tokens of a prompt: each message's content, name and tool calls plus
    MESSAGE_OVERHEAD, and each offered tool's name, description and schema text."""
    total = 0
    for turn in messages:
        total += MESSAGE_OVERHEAD + count_tokens(turn.content)
        if turn.name:
            total += count_tokens(turn.name)
        for call in turn.tool_calls:
            total += count_tokens(call.name) + count_tokens(call.arguments)
    for tool in tools:
        total += count_tokens(tool.name) + count_tokens(tool.description)
        total += count_tokens(_schema_text(tool.parameters))
    return total


def _schema_text(schema: object) -> str:
    return orjson.dumps(schema, option=orjson.OPT_SORT_KEYS).decode()
