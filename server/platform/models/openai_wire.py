"""The OpenAI chat-completions wire format: request bodies out, stream chunks in.

`ChunkAssembler` turns the `data:` payloads of a streamed chat completion
into ModelEvents, holding back what the event contract orders last: tool
calls (their id, name and argument pieces arrive spread over many chunks,
keyed by index) are emitted when the choice finishes, and Usage then Finish
once the stream has ended.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from server.platform.models.tokenizer import count_tokens
from server.platform.models.types import (
    ChatTurn,
    Finish,
    FinishReason,
    ModelError,
    ModelEvent,
    ModelRequest,
    ResponseFormat,
    TextDelta,
    ToolCall,
    Usage,
)

_FINISH_REASONS: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",  # legacy name
}


def chat_request_body(request: ModelRequest) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": request.model,
        "messages": [_message(turn) for turn in request.messages],
        # The client's other parameters first, verbatim; what follows is Chorus's to set.
        **request.passthrough,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    # The limit goes out under the name the client used (`max_completion_tokens`
    # then travels in `passthrough`), as o-series models refuse `max_tokens`.
    if request.max_tokens is not None and "max_completion_tokens" not in body:
        body["max_tokens"] = request.max_tokens
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.n != 1:
        body["n"] = request.n
    if request.response_format is not None:
        body["response_format"] = _response_format(request.response_format)
    if request.tools:
        body["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": tool.name,
                    "description": tool.description,
                    "parameters": tool.parameters,
                },
            }
            for tool in request.tools
        ]
    if request.tool_choice is not None:
        body["tool_choice"] = request.tool_choice
    if request.stop:
        body["stop"] = list(request.stop)
    return body


def _response_format(form: ResponseFormat) -> dict[str, Any]:
    if form.type != "json_schema":
        return {"type": form.type}
    schema: dict[str, Any] = {"name": form.name}
    if form.description:
        schema["description"] = form.description
    if form.schema is not None:
        schema["schema"] = form.schema
    if form.strict is not None:
        schema["strict"] = form.strict
    return {"type": "json_schema", "json_schema": schema}


def _message(turn: ChatTurn) -> dict[str, Any]:
    message: dict[str, Any] = {"role": turn.role, "content": turn.content}
    if turn.name:
        message["name"] = turn.name
    if turn.tool_call_id is not None:
        message["tool_call_id"] = turn.tool_call_id
    if turn.tool_calls:
        message["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in turn.tool_calls
        ]
        if not turn.content:
            message["content"] = None  # what OpenAI itself sends for call-only turns
    return message


def error_message(body: bytes) -> str:
    """The human message of an OpenAI-style error body, else the body's text."""
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body.decode("utf-8", "replace").strip()[:500]
    if isinstance(parsed, dict):
        error = parsed.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])[:500]
        if isinstance(error, str):
            return error[:500]
        if isinstance(parsed.get("message"), str):
            return str(parsed["message"])[:500]
    return body.decode("utf-8", "replace").strip()[:500]


@dataclass
class _PartialCall:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


@dataclass
class _Choice:
    """What one choice (by its `index`) has streamed so far."""

    calls: dict[int, _PartialCall] = field(default_factory=dict)
    calls_emitted: bool = False
    text: list[str] = field(default_factory=list)
    finish: FinishReason | None = None


class ChunkAssembler:
    def __init__(self) -> None:
        self._choices: dict[int, _Choice] = {}
        self._usage: Usage | None = None
        self.done = False  # saw `data: [DONE]`

    def feed(self, data: bytes | str) -> list[ModelEvent]:
        """One event's data: JSON text, as bytes (straight off the wire) or str."""
        raw = data.encode() if isinstance(data, str) else data
        if raw[:1] != b"{" and raw.strip() == b"[DONE]":
            self.done = True
            return []
        chunk = _parse_chunk(raw)
        if chunk.get("error"):
            raise ModelError(f"upstream error: {error_message(raw)}", kind="unavailable")
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            self._usage = _usage(usage)
        choices = chunk.get("choices") or []
        if not isinstance(choices, list):
            raise ModelError("upstream chunk has a non-list 'choices'", kind="bad_response")
        events: list[ModelEvent] = []
        for choice in choices:
            if not isinstance(choice, dict):
                raise ModelError("upstream choice is not an object", kind="bad_response")
            events.extend(self._feed_choice(choice))
        return events

    def _feed_choice(self, choice: dict[str, Any]) -> list[ModelEvent]:
        index = choice.get("index", 0)
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            raise ModelError("upstream choice has a bad index", kind="bad_response")
        state = self._choices.setdefault(index, _Choice())
        events: list[ModelEvent] = []
        delta = choice.get("delta") or {}
        content = delta.get("content") if isinstance(delta, dict) else None
        if isinstance(content, str) and content:
            state.text.append(content)
            events.append(TextDelta(content, index))
        if isinstance(delta, dict) and delta.get("tool_calls"):
            _add_call_fragments(state, delta["tool_calls"])
        reason = choice.get("finish_reason")
        if isinstance(reason, str) and reason:
            # Some servers say "stop" after tool calls; the calls decide.
            state.finish = "tool_calls" if state.calls else _FINISH_REASONS.get(reason, "stop")
            events.extend(_complete_calls(state, index))
        return events

    def finish(self, estimate_prompt_tokens: Callable[[], int]) -> list[ModelEvent]:
        """Events owed once the stream has ended: late tool calls, Usage, one Finish per choice."""
        if not self.done and (not self._choices or any(c.finish is None for c in self._choices.values())):
            raise ModelError("upstream stream ended before the reply finished", kind="bad_response")
        if not self._choices:  # `[DONE]` without a choice: one empty reply
            self._choices[0] = _Choice()
        events: list[ModelEvent] = []
        for index in sorted(self._choices):
            events.extend(_complete_calls(self._choices[index], index))
        usage = self._usage
        if usage is None:
            # The upstream sent no usage (some servers ignore stream_options):
            # estimate with Chorus's own tokenizer so metering never sees zero.
            completion = sum(
                count_tokens("".join(c.text))
                + sum(count_tokens(p.name) + count_tokens("".join(p.arguments)) for p in c.calls.values())
                for c in self._choices.values()
            )
            usage = Usage(estimate_prompt_tokens(), completion)
        events.append(usage)
        for index in sorted(self._choices):
            state = self._choices[index]
            events.append(Finish(state.finish or ("tool_calls" if state.calls else "stop"), index))
        return events


def _add_call_fragments(state: _Choice, fragments: Any) -> None:
    if not isinstance(fragments, list):
        raise ModelError("upstream delta has a non-list 'tool_calls'", kind="bad_response")
    for fragment in fragments:
        if not isinstance(fragment, dict):
            raise ModelError("upstream tool call fragment is not an object", kind="bad_response")
        index = fragment.get("index", len(state.calls))
        if not isinstance(index, int):
            raise ModelError("upstream tool call fragment has a bad index", kind="bad_response")
        call = state.calls.setdefault(index, _PartialCall())
        if isinstance(fragment.get("id"), str) and fragment["id"]:
            call.id = fragment["id"]
        function = fragment.get("function") or {}
        if isinstance(function, dict):
            # OpenAI sends the name once; some servers repeat it per fragment.
            if isinstance(function.get("name"), str) and not call.name:
                call.name = function["name"]
            if isinstance(function.get("arguments"), str):
                call.arguments.append(function["arguments"])


def _complete_calls(state: _Choice, choice: int) -> list[ModelEvent]:
    if state.calls_emitted:
        return []
    state.calls_emitted = True
    events: list[ModelEvent] = []
    for index in sorted(state.calls):
        call = state.calls[index]
        if not call.name:
            raise ModelError(f"upstream tool call {index} has no name", kind="bad_response")
        events.append(
            ToolCall(
                # Some local servers omit ids; a stable stand-in keeps tool
                # results matchable to their calls.
                id=call.id or f"call_{index}",
                name=call.name,
                arguments="".join(call.arguments) or "{}",
                choice=choice,
            )
        )
    return events


def _parse_chunk(data: bytes) -> dict[str, Any]:
    try:
        chunk = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise ModelError(f"upstream sent a data line that is not JSON: {data[:200]!r}", kind="bad_response") from None
    if not isinstance(chunk, dict):
        raise ModelError("upstream sent a data line that is not a JSON object", kind="bad_response")
    return chunk


def _usage(usage: dict[str, Any]) -> Usage:
    prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
    if not isinstance(prompt, int) or not isinstance(completion, int):
        raise ModelError("upstream usage lacks integer token counts", kind="bad_response")
    return Usage(prompt, completion)
