"""OpenAI-style chat completions over the model registry (surface-agnostic).

`open` names the reply (its id, creation time and model; an unknown model is
a 404 here, before anything is streamed). `stream` then yields, in order:
one `Opened`, any number of `TextPiece` and `ToolCallPiece`, and one
`Closed` with the finish reason and usage. `complete` gathers the same into
one `Completion`.

`stream` waits for the model's first event before it yields `Opened`, so a
model that fails before saying anything (an upstream that is down, after the
provider's own retries) fails the request as a whole: the client gets a plain
error status, not a 200 stream that breaks at once. A failure after that is
raised from the stream, where the surface reports it in-band.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass

from server.clock import Clock
from server.domain.ai_errors import model_failure
from server.domain.chat_input import CompletionPlan
from server.providers.models.registry import ModelRegistry
from server.providers.models.types import (
    Finish,
    FinishReason,
    ModelError,
    TextDelta,
    ToolCall,
    Usage,
)


@dataclass(frozen=True, slots=True)
class ReplyIdentity:
    id: str  # "chatcmpl-" + 32 hex digits
    created: int  # seconds since the Unix epoch
    model: str  # the public model id


@dataclass(frozen=True, slots=True)
class Opened:
    """The reply starts; `with_text` is false when it starts with a tool call."""

    with_text: bool


@dataclass(frozen=True, slots=True)
class TextPiece:
    text: str


@dataclass(frozen=True, slots=True)
class ToolCallPiece:
    index: int  # position among the reply's calls
    call: ToolCall


@dataclass(frozen=True, slots=True)
class Closed:
    finish_reason: FinishReason
    usage: Usage


ReplyEvent = Opened | TextPiece | ToolCallPiece | Closed


@dataclass(frozen=True, slots=True)
class Completion:
    text: str | None  # None when the reply only calls tools
    tool_calls: tuple[ToolCall, ...]
    finish_reason: FinishReason
    usage: Usage


class CompletionService:
    def __init__(self, models: ModelRegistry, clock: Clock, primary_model: str) -> None:
        self._models = models
        self._clock = clock
        self.primary_model = primary_model

    def open(self, plan: CompletionPlan) -> ReplyIdentity:
        try:
            self._models.resolve(plan.model)
        except ModelError as exc:
            raise model_failure(exc, plan.model) from exc
        return ReplyIdentity("chatcmpl-" + uuid.uuid4().hex, self._clock.now_ms() // 1000, plan.model)

    async def stream(self, plan: CompletionPlan) -> AsyncGenerator[ReplyEvent, None]:
        """Close it (`aclosing`) when stopping early: that stops the model too."""
        usage = Usage(0, 0)
        calls = 0
        opened = False
        events = self._models.stream(plan.request)
        try:
            async for event in events:
                if not opened:
                    opened = True
                    yield Opened(with_text=not isinstance(event, ToolCall))
                if isinstance(event, TextDelta):
                    if event.text:
                        yield TextPiece(event.text)
                elif isinstance(event, ToolCall):
                    if calls == 0 or not plan.single_tool_call:
                        yield ToolCallPiece(calls, event)
                        calls += 1
                elif isinstance(event, Usage):
                    usage = event
                elif isinstance(event, Finish):
                    yield Closed(event.reason, usage)
                    return
            raise ModelError("the model's stream ended without a finish", kind="bad_response")
        except ModelError as exc:
            raise model_failure(exc, plan.model) from exc
        finally:
            # Stopped early (the client left) or done: release the provider's stream now.
            close = getattr(events, "aclose", None)
            if close is not None:
                await close()

    async def complete(self, plan: CompletionPlan) -> Completion:
        texts: list[str] = []
        calls: list[ToolCall] = []
        async with aclosing(self.stream(plan)) as events:
            async for event in events:
                if isinstance(event, TextPiece):
                    texts.append(event.text)
                elif isinstance(event, ToolCallPiece):
                    calls.append(event.call)
                elif isinstance(event, Closed):
                    text = "".join(texts)
                    return Completion(
                        text if text or not calls else None, tuple(calls), event.finish_reason, event.usage
                    )
        raise AssertionError("stream() ends with Closed or raises")
