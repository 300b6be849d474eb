"""OpenAI-style chat completions over the model registry (surface-agnostic).

`open` names the reply (its id, creation time, model and fingerprint; an
unknown model is a 404 here, before anything is streamed). `stream` then
yields, for each of the request's choices (every event names its choice):
one `Opened`, any number of `TextPiece` and `ToolCallPiece`, and one
`Closed` with the finish reason and the request's usage. Choices may
interleave. `complete` gathers the same into one `Completion`.

`stream` waits for the model's first event before it yields `Opened`, so a
model that fails before saying anything (an upstream that is down, after the
provider's own retries) fails the request as a whole: the client gets a plain
error status, not a 200 stream that breaks at once. A failure after that is
raised from the stream, where the surface reports it in-band.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass

from server.platform.clock import Clock
from server.platform.models.registry import ModelRegistry
from server.platform.models.types import (
    Finish,
    FinishReason,
    ModelError,
    TextDelta,
    ToolCall,
    Usage,
)
from server.surfaces.chittyos.ai.chat_input import CompletionPlan
from server.surfaces.chittyos.ai.errors import model_failure


@dataclass(frozen=True, slots=True)
class ReplyIdentity:
    id: str  # "chatcmpl-" + 32 hex digits
    created: int  # seconds since the Unix epoch
    model: str  # the public model id
    # "fp_" + 10 hex digits naming the serving configuration (provider and
    # upstream model): OpenAI's `system_fingerprint`, to compare seeded replies.
    system_fingerprint: str


@dataclass(frozen=True, slots=True)
class Opened:
    """A choice starts; `with_text` is false when it starts with a tool call."""

    choice: int
    with_text: bool


@dataclass(frozen=True, slots=True)
class TextPiece:
    choice: int
    text: str


@dataclass(frozen=True, slots=True)
class ToolCallPiece:
    choice: int
    index: int  # position among the choice's calls
    call: ToolCall


@dataclass(frozen=True, slots=True)
class Closed:
    """A choice ends; `usage` is the whole request's (the same on every choice)."""

    choice: int
    finish_reason: FinishReason
    usage: Usage


ReplyEvent = Opened | TextPiece | ToolCallPiece | Closed


@dataclass(frozen=True, slots=True)
class Choice:
    text: str | None  # None when the reply only calls tools
    tool_calls: tuple[ToolCall, ...]
    finish_reason: FinishReason


@dataclass(frozen=True, slots=True)
class Completion:
    choices: tuple[Choice, ...]  # by index
    usage: Usage


class CompletionService:
    def __init__(self, models: ModelRegistry, clock: Clock, primary_model: str) -> None:
        self._models = models
        self._clock = clock
        self.primary_model = primary_model

    def open(self, plan: CompletionPlan) -> ReplyIdentity:
        try:
            provider, upstream_model = self._models.resolve(plan.model)
        except ModelError as exc:
            raise model_failure(exc, plan.model) from exc
        serving = hashlib.sha256(f"{provider.name}:{upstream_model}".encode()).hexdigest()[:10]
        return ReplyIdentity("chatcmpl-" + uuid.uuid4().hex, self._clock.now_ms() // 1000, plan.model, "fp_" + serving)

    async def stream(self, plan: CompletionPlan) -> AsyncGenerator[ReplyEvent, None]:
        """Close it (`aclosing`) when stopping early: that stops the model too."""
        usage = Usage(0, 0)
        calls: dict[int, int] = {}  # choice -> tool calls passed on
        opened: set[int] = set()
        closed = 0
        events = self._models.stream(plan.request)
        try:
            async for event in events:
                if isinstance(event, Usage):
                    usage = event
                    continue
                choice = event.choice
                if choice not in opened:  # a choice that finishes empty opens too, with text
                    opened.add(choice)
                    yield Opened(choice, with_text=not isinstance(event, ToolCall))
                if isinstance(event, TextDelta):
                    if event.text:
                        yield TextPiece(choice, event.text)
                elif isinstance(event, ToolCall):
                    made = calls.get(choice, 0)
                    if made == 0 or not plan.single_tool_call:
                        yield ToolCallPiece(choice, made, event)
                        calls[choice] = made + 1
                elif isinstance(event, Finish):
                    yield Closed(choice, event.reason, usage)
                    closed += 1
            if not closed:
                raise ModelError("the model's stream ended without a finish", kind="bad_response")
        except ModelError as exc:
            raise model_failure(exc, plan.model) from exc
        finally:
            # Stopped early (the client left) or done: release the provider's stream now.
            close = getattr(events, "aclose", None)
            if close is not None:
                await close()

    async def complete(self, plan: CompletionPlan) -> Completion:
        texts: dict[int, list[str]] = {}
        calls: dict[int, list[ToolCall]] = {}
        finished: dict[int, FinishReason] = {}
        usage = Usage(0, 0)
        async with aclosing(self.stream(plan)) as events:
            async for event in events:
                if isinstance(event, TextPiece):
                    texts.setdefault(event.choice, []).append(event.text)
                elif isinstance(event, ToolCallPiece):
                    calls.setdefault(event.choice, []).append(event.call)
                elif isinstance(event, Closed):
                    finished[event.choice] = event.finish_reason
                    usage = event.usage
        choices = []
        for index in sorted(finished):
            text = "".join(texts.get(index, ()))
            made = tuple(calls.get(index, ()))
            choices.append(Choice(text if text or not made else None, made, finished[index]))
        return Completion(tuple(choices), usage)
