"""The surface-agnostic model interface: requests, streamed events and errors.

Every chat surface (Crispy chat, the OpenAI-compatible gateway, agents) talks
to models only through these types, so a provider can be swapped without any
surface noticing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeAlias


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A call the model wants made; `arguments` is JSON text (usually an object).
    As a streamed event, `choice` is the reply's choice it belongs to."""

    id: str
    name: str
    arguments: str
    choice: int = 0


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
class ResponseFormat:
    """OpenAI's `response_format`: plain text, any JSON object, or JSON following `schema`."""

    type: Literal["text", "json_object", "json_schema"]
    name: str = ""
    schema: dict[str, Any] | None = None  # json_schema only
    description: str = ""
    strict: bool | None = None


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
    n: int = 1  # choices to generate; events carry their choice's index
    response_format: ResponseFormat | None = None
    # The request's other OpenAI parameters (seed, top_p, logprobs, metadata,
    # ...), as JSON: OpenAI-compatible upstreams get them verbatim, the
    # builtin model reads what it can honour.
    passthrough: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str
    choice: int = 0


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
    choice: int = 0


# A provider streams, in order: any number of TextDelta / ToolCall (of any
# choice, each naming it), then exactly one Usage (of the whole request),
# then one Finish per choice. With n = 1 every event is choice 0.
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
