"""The agent loop: a model answering with the help of tools, round after round.

Each round streams the model's text; when the model calls tools, the loop
runs them through the `ToolBox` (each announced by a `ToolCallOut`, answered
by a `ToolResultOut`) and asks the model again with the results, for at most
`max_tool_rounds` rounds; the round after that offers no tool choice, so the
model must answer.

What is surface-specific comes in: the prompt and context are the turns the
caller passes, every model call's usage goes to the caller's `meter` (a
surface spends it from a token quota), and a model failure becomes the
caller's error (`model_failure`). Storing the turn is the caller's too: the
loop fills an `AgentReply` as it goes, so a caller cut short still has what
was produced.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any

import orjson

from server.platform.agent.tool_box import ToolBox
from server.platform.models.registry import ModelRegistry
from server.platform.models.types import ChatTurn, ModelError, ModelRequest, TextDelta, ToolCall, Usage
from server.platform.scope import Scope

TOOL_CHOICES = ("auto", "none", "required")

# Counts a model call's tokens against the caller (e.g. a daily token quota).
TokenMeter = Callable[[Scope, Usage], Awaitable[None]]
# The error a failed model call (or a model breaking the rules) ends the turn with.
ModelFailure = Callable[[str], Exception]


@dataclass(frozen=True, slots=True)
class ToolInvocation:
    """A tool call the model made, with its result."""

    id: str
    name: str
    args: dict[str, Any]
    result: Any


@dataclass(frozen=True, slots=True)
class TokenOut:
    text: str


@dataclass(frozen=True, slots=True)
class ToolCallOut:
    id: str
    name: str
    args: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ToolResultOut:
    id: str
    name: str
    result: Any


AgentEvent = TokenOut | ToolCallOut | ToolResultOut


@dataclass
class AgentReply:
    """What the turn has produced so far."""

    parts: list[str] = field(default_factory=list)
    invocations: list[ToolInvocation] = field(default_factory=list)

    @property
    def content(self) -> str:
        return "".join(self.parts)


class AgentLoop:
    def __init__(
        self,
        models: ModelRegistry,
        tools: ToolBox,
        *,
        meter: TokenMeter,
        model_failure: ModelFailure,
        model: str = "",
        max_tool_rounds: int = 4,
    ) -> None:
        self._models = models
        self._tools = tools
        self._meter = meter
        self._model_failure = model_failure
        self._model = model
        self._max_tool_rounds = max_tool_rounds

    async def run(
        self, scope: Scope, turns: list[ChatTurn], tool_choice: str, reply: AgentReply
    ) -> AsyncGenerator[AgentEvent, None]:
        """Runs the rounds over `turns` (extended in place with the tool calls and
        results), yielding their events and recording them in `reply`."""
        for round_index in range(self._max_tool_rounds + 1):
            # Forcing a call holds for the first round only, and the last
            # round allows none, so every turn ends in an answer.
            choice = tool_choice if round_index == 0 or tool_choice == "none" else "auto"
            if round_index == self._max_tool_rounds:
                choice = "none"
            calls: list[ToolCall] = []
            async with aclosing(self._model_call(scope, turns, choice, calls)) as pieces:
                async for piece in pieces:
                    reply.parts.append(piece)
                    yield TokenOut(piece)
            if not calls:
                return
            if choice == "none":
                raise self._model_failure("The model called a tool when none was allowed")
            turns.append(ChatTurn("assistant", "", tool_calls=tuple(calls)))
            for call in calls:
                admitted = await self._tools.admit(scope, call.name, call.arguments)
                args = admitted.args
                invocation_id = f"call_{secrets.token_hex(12)}"
                yield ToolCallOut(invocation_id, call.name, args)
                result = await self._tools.run(scope, admitted)
                reply.invocations.append(ToolInvocation(invocation_id, call.name, args, result))
                yield ToolResultOut(invocation_id, call.name, result)
                turns.append(ChatTurn("tool", tool_json(result), tool_call_id=call.id, name=call.name))

    async def _model_call(
        self, scope: Scope, turns: list[ChatTurn], tool_choice: str, calls: list[ToolCall]
    ) -> AsyncGenerator[str, None]:
        """Streams one model call's text; its tool calls are collected in `calls`."""
        request = ModelRequest(
            model=self._model,
            messages=tuple(turns),
            tools=self._tools.specs,
            tool_choice=tool_choice if self._tools.specs else None,
        )
        try:
            async for event in self._models.stream(request):
                if isinstance(event, TextDelta):
                    if event.text:
                        yield event.text
                elif isinstance(event, ToolCall):
                    calls.append(event)
                elif isinstance(event, Usage):
                    await self._meter(scope, event)
        except ModelError as exc:
            raise self._model_failure(f"The model failed: {exc.message}") from exc


def invocation_turns(invocations: tuple[ToolInvocation, ...]) -> list[ChatTurn]:
    """Stored tool invocations as the model sees them again: the calls, then their results."""
    calls = tuple(ToolCall(t.id, t.name, tool_json(t.args)) for t in invocations)
    turns = [ChatTurn("assistant", "", tool_calls=calls)]
    turns += [ChatTurn("tool", tool_json(t.result), tool_call_id=t.id, name=t.name) for t in invocations]
    return turns


def tool_json(value: Any) -> str:
    return orjson.dumps(value).decode()
