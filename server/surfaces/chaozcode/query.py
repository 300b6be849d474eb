"""The AI query: one prompt (or a conversation's messages) to a catalog model, streamed.

Parameters are checked first: out of range is VALIDATION_ERROR naming the
field. The model's first event is awaited before the stream opens, so a model
that is down answers 503 SERVICE_UNAVAILABLE instead of an opened stream; a
failure after that ends the stream with an error event. A finished answer's
tokens are added to the user's persisted usage, for the endpoint and model.
`context` (the Memory Spine's) is given to the model as grounding in a system
message.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import grpc
import orjson

from server.platform.clock import Clock
from server.platform.errors import ChorusError, FieldViolation, invalid_argument
from server.platform.models.registry import ModelRegistry
from server.platform.models.types import (
    ChatTurn,
    Finish,
    ModelError,
    ModelRequest,
    ResponseFormat,
    TextDelta,
    Usage,
)
from server.surfaces.chaozcode.catalog import CatalogEntry, ModelCatalog
from server.surfaces.chaozcode.usage import UsageStore

MAX_PROMPT_CHARS = 100_000
DEFAULT_TEMPERATURE = 0.7
DEFAULT_MAX_TOKENS = 4096
MAX_STOP_SEQUENCES = 4
ROLES = ("system", "user", "assistant")


@dataclass(frozen=True, slots=True)
class QueryParams:
    model: str = ""
    system_prompt: str = ""
    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    stop: tuple[str, ...] = ()
    context: dict[str, Any] | None = None
    # JSON the answer must be (the codebase routes' structured answers); None: text.
    response_format: ResponseFormat | None = None


@dataclass(frozen=True, slots=True)
class Started:
    id: str


@dataclass(frozen=True, slots=True)
class Delta:
    content: str


@dataclass(frozen=True, slots=True)
class Answer:
    id: str
    text: str
    model: str
    usage: Usage
    finish_reason: str
    created_at_ms: int


QueryEvent = Started | Delta | Answer


def missing(field_name: str) -> ChorusError:
    """400 INVALID_REQUEST, as the document's example: a required field is absent."""
    return ChorusError(
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_REQUEST",
        f"The request body is missing required field '{field_name}'",
        (FieldViolation(field_name, "required"),),
    )


@dataclass
class Checks:
    problems: list[tuple[FieldViolation, str]] = field(default_factory=list)

    def add(self, name: str, reason: str, message: str) -> None:
        self.problems.append((FieldViolation(name, reason), message))

    def raise_if_any(self) -> None:
        if self.problems:
            raise invalid_argument(self.problems[0][1], [p for p, _ in self.problems])


def check_text(checks: Checks, name: str, text: str) -> None:
    if len(text) > MAX_PROMPT_CHARS:
        checks.add(name, "too_long", f"{name} must be at most {MAX_PROMPT_CHARS:,} characters")


class QueryEngine:
    def __init__(self, catalog: ModelCatalog, models: ModelRegistry, usage: UsageStore, clock: Clock) -> None:
        self.catalog = catalog
        self._models = models
        self._usage = usage
        self._clock = clock

    def check(self, params: QueryParams, checks: Checks | None = None) -> CatalogEntry:
        """The catalog model the parameters name; VALIDATION_ERROR for anything out of range."""
        checks = checks or Checks()
        entry = self.catalog.get(params.model) if params.model else self.catalog.default
        if entry is None:
            checks.add("model", "unknown_model", f"Unknown model '{params.model}': see GET /v2/models")
        if params.temperature is not None and not 0.0 <= params.temperature <= 2.0:
            checks.add("temperature", "out_of_range", "temperature must be between 0.0 and 2.0")
        if params.top_p is not None and not 0.0 <= params.top_p <= 1.0:
            checks.add("topP", "out_of_range", "topP must be between 0.0 and 1.0")
        if params.max_tokens is not None:
            ceiling = entry.context_window if entry is not None else None
            if params.max_tokens < 1 or (ceiling is not None and params.max_tokens > ceiling):
                checks.add(
                    "maxTokens", "out_of_range", f"maxTokens must be between 1 and {ceiling or 'the context window'}"
                )
        if len(params.stop) > MAX_STOP_SEQUENCES or any(not s for s in params.stop):
            checks.add("stop", "invalid", f"stop takes 1 to {MAX_STOP_SEQUENCES} non-empty sequences")
        check_text(checks, "systemPrompt", params.system_prompt)
        checks.raise_if_any()
        assert entry is not None
        return entry

    def check_prompt(self, prompt: str, params: QueryParams) -> CatalogEntry:
        if not prompt:
            raise missing("prompt")
        checks = Checks()
        check_text(checks, "prompt", prompt)
        return self.check(params, checks)

    async def run(
        self,
        tenant_id: str,
        user_id: str,
        endpoint: str,
        entry: CatalogEntry,
        params: QueryParams,
        turns: Sequence[ChatTurn],
    ) -> AsyncIterator[QueryEvent]:
        """Started, Deltas, then the Answer (once its usage is recorded)."""
        created_ms = self._clock.now_ms()
        query_id = "query_" + secrets.token_hex(12)
        system = [ChatTurn("system", params.system_prompt)] if params.system_prompt else []
        if params.context:
            grounding = orjson.dumps(params.context, option=orjson.OPT_SORT_KEYS).decode()
            system.append(ChatTurn("system", f"Context from the Memory Spine (JSON):\n{grounding}"))
        request = ModelRequest(
            model=entry.route,
            messages=(*system, *turns),
            max_tokens=params.max_tokens or DEFAULT_MAX_TOKENS,
            temperature=DEFAULT_TEMPERATURE if params.temperature is None else params.temperature,
            stop=params.stop,
            response_format=params.response_format,
            passthrough={"top_p": params.top_p} if params.top_p is not None else {},
        )
        events = self._models.stream(request)
        parts: list[str] = []
        usage, finish = Usage(0, 0), "stop"
        try:
            try:
                first = await anext(events, None)
            except ModelError as exc:
                raise _unavailable(exc) from exc
            yield Started(query_id)
            pending = [first] if first is not None else []
            while True:
                event = pending.pop() if pending else await anext(events, None)
                if event is None:
                    break
                if isinstance(event, TextDelta) and event.text:
                    parts.append(event.text)
                    yield Delta(event.text)
                elif isinstance(event, Usage):
                    usage = event
                elif isinstance(event, Finish):
                    finish = event.reason
        except ModelError as exc:
            raise _unavailable(exc) from exc
        finally:
            close = getattr(events, "aclose", None)
            if close is not None:
                await close()
        await self._usage.add(
            tenant_id,
            user_id,
            created_ms,
            endpoint,
            entry.id,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
        )
        yield Answer(query_id, "".join(parts), entry.id, usage, finish, created_ms)


def _unavailable(exc: ModelError) -> ChorusError:
    return ChorusError(
        grpc.StatusCode.UNAVAILABLE, "SERVICE_UNAVAILABLE", f"The model is unavailable: {exc.message}", retry_after=1.0
    )
