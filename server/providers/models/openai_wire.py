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

from server.providers.models.tokenizer import count_tokens
from server.providers.models.types import (
    ChatTurn,
    Finish,
    FinishReason,
    ModelError,
    ModelEvent,
    ModelRequest,
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
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    if request.max_tokens is not None:
        body["max_tokens"] = request.max_tokens
    if request.temperature is not None:
        body["temperature"] = request.temperature
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


class ChunkAssembler:
    def __init__(self) -> None:
        self._calls: dict[int, _PartialCall] = {}
        self._calls_emitted = False
        self._text: list[str] = []
        self._finish: FinishReason | None = None
        self._usage: Usage | None = None
        self.done = False  # saw `data: [DONE]`

    def feed(self, data: str) -> list[ModelEvent]:
        if data.strip() == "[DONE]":
            self.done = True
            return []
        chunk = _parse_chunk(data)
        if chunk.get("error"):
            raise ModelError(f"upstream error: {error_message(data.encode())}", kind="unavailable")
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            self._usage = _usage(usage)
        choices = chunk.get("choices") or []
        if not isinstance(choices, list):
            raise ModelError("upstream chunk has a non-list 'choices'", kind="bad_response")
        # Chorus asks for one choice; others (n > 1 upstream defaults) are ignored.
        choice = next((c for c in choices if isinstance(c, dict) and c.get("index", 0) == 0), None)
        if choice is None:
            return []
        events: list[ModelEvent] = []
        delta = choice.get("delta") or {}
        content = delta.get("content") if isinstance(delta, dict) else None
        if isinstance(content, str) and content:
            self._text.append(content)
            events.append(TextDelta(content))
        if isinstance(delta, dict) and delta.get("tool_calls"):
            self._add_call_fragments(delta["tool_calls"])
        reason = choice.get("finish_reason")
        if isinstance(reason, str) and reason:
            # Some servers say "stop" after tool calls; the calls decide.
            self._finish = "tool_calls" if self._calls else _FINISH_REASONS.get(reason, "stop")
            events.extend(self._complete_calls())
        return events

    def finish(self, estimate_prompt_tokens: Callable[[], int]) -> list[ModelEvent]:
        """Events owed once the stream has ended: late tool calls, Usage, Finish."""
        if self._finish is None and not self.done:
            raise ModelError("upstream stream ended before the reply finished", kind="bad_response")
        events = self._complete_calls()
        reason = self._finish or ("tool_calls" if self._calls else "stop")
        usage = self._usage
        if usage is None:
            # The upstream sent no usage (some servers ignore stream_options):
            # estimate with Chorus's own tokenizer so metering never sees zero.
            completion = count_tokens("".join(self._text)) + sum(
                count_tokens(c.name) + count_tokens("".join(c.arguments)) for c in self._calls.values()
            )
            usage = Usage(estimate_prompt_tokens(), completion)
        events.append(usage)
        events.append(Finish(reason))
        return events

    def _add_call_fragments(self, fragments: Any) -> None:
        if not isinstance(fragments, list):
            raise ModelError("upstream delta has a non-list 'tool_calls'", kind="bad_response")
        for fragment in fragments:
            if not isinstance(fragment, dict):
                raise ModelError("upstream tool call fragment is not an object", kind="bad_response")
            index = fragment.get("index", len(self._calls))
            if not isinstance(index, int):
                raise ModelError("upstream tool call fragment has a bad index", kind="bad_response")
            call = self._calls.setdefault(index, _PartialCall())
            if isinstance(fragment.get("id"), str) and fragment["id"]:
                call.id = fragment["id"]
            function = fragment.get("function") or {}
            if isinstance(function, dict):
                # OpenAI sends the name once; some servers repeat it per fragment.
                if isinstance(function.get("name"), str) and not call.name:
                    call.name = function["name"]
                if isinstance(function.get("arguments"), str):
                    call.arguments.append(function["arguments"])

    def _complete_calls(self) -> list[ModelEvent]:
        if self._calls_emitted:
            return []
        self._calls_emitted = True
        events: list[ModelEvent] = []
        for index in sorted(self._calls):
            call = self._calls[index]
            if not call.name:
                raise ModelError(f"upstream tool call {index} has no name", kind="bad_response")
            events.append(
                ToolCall(
                    # Some local servers omit ids; a stable stand-in keeps tool
                    # results matchable to their calls.
                    id=call.id or f"call_{index}",
                    name=call.name,
                    arguments="".join(call.arguments) or "{}",
                )
            )
        return events


def _parse_chunk(data: str) -> dict[str, Any]:
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
