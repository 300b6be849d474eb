"""The surface-agnostic model interface: requests, streamed events and errors.

Every chat surface (Crispy chat, the OpenAI-compatible gateway, agents) talks
to models only through these types, so a provider can be swapped without any
surface noticing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeAlias


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A call the model wants made; `arguments` is JSON text (usually an object)."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True, slots=True)
class ChatTurn:
    """One message of the conversation given to a model."""

    role: str  # "system" | "user" | "assistant" | "tool"
    content: str
    tool_call_id: str | None = None  # role "tool": the call this result answers
    tool_calls: tuple[ToolCall, ...] = ()  # role "assistant": calls it made
    name: str | None = None


@dataclass(frozen=True, slots=True)
class ToolSpec:
    name: str
    description: str
    parameters: dict[str, Any]  # JSON schema of the arguments object


@dataclass(frozen=True, slots=True)
class ModelRequest:
    model: str  # public model id as the client named it ("" or unknown is resolved by the registry)
    messages: tuple[ChatTurn, ...]
    max_tokens: int | None = None
    temperature: float | None = None
    tools: tuple[ToolSpec, ...] = ()
    # "auto" | "none" | "required" | {"type": "function", "function": {"name": ...}}
    tool_choice: str | dict[str, Any] | None = None
    stop: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


FinishReason: TypeAlias = Literal["stop", "length", "tool_calls"]


@dataclass(frozen=True, slots=True)
class Finish:
    reason: FinishReason


# A provider streams, in order: any number of TextDelta / ToolCall, then
# exactly one Usage, then exactly one Finish.
ModelEvent: TypeAlias = TextDelta | ToolCall | Usage | Finish

ModelErrorKind: TypeAlias = Literal["unavailable", "timeout", "bad_response", "rejected", "unknown_model"]


class ModelError(Exception):
    """A typed model failure.

    `retryable` is true only when nothing was streamed to the consumer yet and
    the failure is transient, so the caller may safely try again (later, or
    with another provider) without the user seeing a duplicated prefix.
    """

    def __init__(self, message: str, *, kind: ModelErrorKind, retryable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.kind: ModelErrorKind = kind
        self.retryable = retryable

    def __repr__(self) -> str:
        return f"ModelError({self.message!r}, kind={self.kind!r}, retryable={self.retryable})"


class ModelProvider(Protocol):
    name: str

    def stream(self, request: ModelRequest) -> AsyncIterator[ModelEvent]:
        """Stream events for `request` (whose `model` is the upstream model id).

        Implementations are async generators: a consumer that stops early must
        `aclose()` the iterator (or cancel its task) so upstream work stops.
        """
        ...

    async def probe(self) -> None:
        """Checks that the provider can serve now (cheaply: no generation); raises ModelError."""
        ...

    async def aclose(self) -> None: ...
