"""The builtin model: Chorus's offline, deterministic DEVELOPMENT model.

It is not a language model. It downloads nothing, has no weights and never
touches the network. It exists so every route works out of the box and so
tests are reproducible: the same request always streams the same tokens.

- Text replies restate the last user message and describe the conversation
  (see `builtin_rules` for the exact rules, including how tool calls are
  triggered with `/tool NAME {json}` lines and `tool_choice`).
- Tool loops end: once the conversation ends with tool results, the reply
  is text quoting them (and counting a JSON result's arrays, e.g.
  "(3 flights)"), never another call unless `tool_choice` forces one. So
  `/tool search_flights {...}` in a user message gives exactly one round:
  the call, its result, then that summary.
- Tokens are the word pieces of `tokenizer.tokenize`, streamed one per event,
  optionally `token_delay` seconds apart.
- `max_tokens` truncates the reply (finish reason "length"); `stop` strings
  cut it before the first match. `response_format` "json_object" and
  "json_schema" make the text reply JSON (see `builtin_rules`). `n` choices
  are streamed one after another and are identical: the model is
  deterministic, whatever the `seed`. It ignores the sampling parameters
  (`temperature`, `top_p`, penalties, `logit_bias`) and the upstream-only
  ones (`logprobs`, `metadata`, `store`, `service_tier`, ...), and refuses
  audio output (`modalities` with "audio").
- Usage: prompt tokens as `tokenizer.count_prompt_tokens` counts them (4 per
  message plus content, plus offered tools' definitions); completion tokens
  are the pieces streamed, or for tool calls the pieces of names and arguments.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

from server.platform.models.builtin_rules import plan_reply
from server.platform.models.tokenizer import count_prompt_tokens, count_tokens, tokenize
from server.platform.models.types import (
    Finish,
    FinishReason,
    ModelError,
    ModelEvent,
    ModelRequest,
    TextDelta,
    Usage,
)

__all__ = ["BuiltinModel", "count_tokens", "tokenize"]

DESCRIPTION = (
    "Chorus builtin development model: offline and deterministic, no weights. "
    "It restates the last user message and describes the conversation; a line "
    "'/tool NAME {json}' calls an offered tool. Not a real language model."
)


class BuiltinModel:
    name = "builtin"

    def __init__(self, token_delay: float = 0.0) -> None:
        if token_delay < 0:
            raise ValueError("token_delay must be >= 0")
        self._token_delay = token_delay

    @staticmethod
    def describe() -> str:
        return DESCRIPTION

    async def stream(self, request: ModelRequest) -> AsyncIterator[ModelEvent]:
        if "audio" in (request.passthrough.get("modalities") or ()):
            raise ModelError("the builtin model writes text only; audio output is not supported", kind="rejected")
        reply = plan_reply(request)
        prompt_tokens = count_prompt_tokens(request.messages, request.tools)
        if reply.tool_calls:
            for choice in range(request.n):
                for call in reply.tool_calls:
                    await self._pause()
                    yield dataclasses.replace(call, choice=choice)
            completion = sum(count_tokens(c.name) + count_tokens(c.arguments) for c in reply.tool_calls)
            yield Usage(prompt_tokens, completion * request.n)
            for choice in range(request.n):
                yield Finish("tool_calls", choice)
            return

        pieces = tokenize(_cut_at_stop(reply.text, request.stop))
        reason: FinishReason = "stop"
        if request.max_tokens is not None and len(pieces) > request.max_tokens:
            pieces = pieces[: max(request.max_tokens, 0)]
            reason = "length"
        for choice in range(request.n):
            for piece in pieces:
                await self._pause()
                yield TextDelta(piece, choice)
        yield Usage(prompt_tokens, len(pieces) * request.n)
        for choice in range(request.n):
            yield Finish(reason, choice)

    async def _pause(self) -> None:
        # Even with no delay, yield to the loop per token: a long reply must
        # not starve other tasks, and cancellation lands between tokens.
        await asyncio.sleep(self._token_delay)

    async def probe(self) -> None:
        """In-process: always able to serve."""

    async def aclose(self) -> None:
        return None


def _cut_at_stop(text: str, stop: tuple[str, ...]) -> str:
    cuts = [index for s in stop if s and (index := text.find(s)) >= 0]
    return text[: min(cuts)] if cuts else text
