"""An OpenAI chat completion request, checked and turned into a ModelRequest.

The input is plain Python (JSON values where OpenAI allows several types, such
as a message's `content`), so any surface can use it. The first problem found
raises a 400 naming OpenAI's `param` (e.g. "messages[1].content"), as OpenAI
does. Rules beyond the JSON types:

- `messages`: at least one. Roles "system", "developer" (sent on as
  "system"), "user", "assistant", "tool". `content` is a string, null or an
  array of `{"type": "text", "text"}` parts (joined with newlines); other
  part types are rejected, since the models take text only. Only an
  assistant message that calls tools may leave `content` null. Tool messages
  need a `tool_call_id` naming a call of an earlier assistant message.
- `tools`: "function" tools with unique names of 1 to 64 letters, digits,
  `_` or `-`; `tool_choice` is "none", "auto", "required" or
  `{"type": "function", "function": {"name"}}` naming an offered tool.
- `stop`: a string or up to 4 strings. `max_tokens` (or its newer name
  `max_completion_tokens`) at least 1; `temperature` 0 to 2.
- Not supported, so only their neutral values are accepted: `n` 1,
  `top_p` 1, `presence_penalty` and `frequency_penalty` 0.
- `stream_options` only with `stream` true.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from server.domain.ai_errors import bad_param
from server.errors import ChorusError
from server.providers.models.types import ChatTurn, ModelRequest, ToolCall, ToolSpec

ROLES = ("system", "developer", "user", "assistant", "tool")
TOOL_CHOICES = ("none", "auto", "required")
MAX_STOP_SEQUENCES = 4
MAX_TOOLS = 128
_TOOL_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
_NO_PARAMETERS = {"type": "object", "properties": {}}


@dataclass(frozen=True, slots=True)
class ToolCallInput:
    id: str
    type: str
    name: str
    arguments: str


@dataclass(frozen=True, slots=True)
class MessageInput:
    role: str
    content: Any = None  # None, a string, or a list of content parts (parsed JSON)
    name: str = ""
    tool_calls: tuple[ToolCallInput, ...] = ()
    tool_call_id: str = ""


@dataclass(frozen=True, slots=True)
class ToolInput:
    type: str
    name: str = ""
    description: str = ""
    parameters: dict[str, Any] | None = None
    has_function: bool = True


@dataclass(frozen=True, slots=True)
class CompletionInput:
    """The request as the client sent it; None means the field was absent."""

    model: str
    messages: tuple[MessageInput, ...]
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    n: int | None = None
    stop: Any = None  # None, a string or a list (parsed JSON)
    stream: bool = False
    has_stream_options: bool = False
    include_usage: bool = False
    tools: tuple[ToolInput, ...] = ()
    tool_choice: Any = None  # None, a string or an object (parsed JSON)
    parallel_tool_calls: bool | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None


@dataclass(frozen=True, slots=True)
class CompletionPlan:
    """A checked request: what to ask the model and how to answer."""

    model: str  # the public id the reply names
    request: ModelRequest
    stream: bool
    include_usage: bool
    single_tool_call: bool  # parallel_tool_calls false: keep the first call only


def plan_completion(given: CompletionInput, default_model: str) -> CompletionPlan:
    """Checks `given` (raising a 400 ChorusError at the first problem)."""
    max_tokens = _max_tokens(given)
    _check_sampling(given)
    if given.has_stream_options and not given.stream:
        raise bad_param("stream_options", "The 'stream_options' parameter is only allowed when 'stream' is true.")
    messages = _messages(given.messages)
    tools = _tools(given.tools)
    model = given.model or default_model
    request = ModelRequest(
        model=model,
        messages=messages,
        max_tokens=max_tokens,
        temperature=given.temperature,
        tools=tools,
        tool_choice=_tool_choice(given.tool_choice, tools),
        stop=_stop(given.stop),
    )
    return CompletionPlan(
        model=model,
        request=request,
        stream=given.stream,
        include_usage=given.include_usage,
        single_tool_call=given.parallel_tool_calls is False,
    )


def json_kind(value: Any) -> str:
    """How OpenAI's errors name a JSON value's type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _missing(param: str) -> ChorusError:
    return bad_param(param, f"Missing required parameter: '{param}'.", "missing_required_parameter")


def _wrong_type(param: str, expected: str, value: Any) -> ChorusError:
    return bad_param(
        param, f"Invalid type for '{param}': expected {expected}, but got {json_kind(value)}.", "invalid_type"
    )


# --- numbers ---------------------------------------------------------------------


def _max_tokens(given: CompletionInput) -> int | None:
    for param, value in (("max_tokens", given.max_tokens), ("max_completion_tokens", given.max_completion_tokens)):
        if value is not None and value < 1:
            raise bad_param(param, f"Invalid '{param}': integer below minimum value. Expected a value >= 1.")
    legacy, newer = given.max_tokens, given.max_completion_tokens
    if legacy is not None and newer is not None and legacy != newer:
        raise bad_param("max_tokens", "Give 'max_tokens' or 'max_completion_tokens', not both with different values.")
    return newer if newer is not None else legacy


def _check_sampling(given: CompletionInput) -> None:
    temperature = given.temperature
    if temperature is not None and not 0 <= temperature <= 2:
        raise bad_param("temperature", "Invalid 'temperature': must be between 0 and 2.")
    if given.n is not None and given.n != 1:
        raise bad_param("n", "Invalid 'n': only 1 choice per request is supported.")
    if given.top_p is not None and given.top_p != 1:
        raise bad_param("top_p", "Invalid 'top_p': nucleus sampling is not supported; only 1 is accepted.")
    for param, value in (
        ("presence_penalty", given.presence_penalty),
        ("frequency_penalty", given.frequency_penalty),
    ):
        if value is not None and value != 0:
            raise bad_param(param, f"Invalid '{param}': penalties are not supported; only 0 is accepted.")


# --- messages -------------------------------------------------------------------


def _messages(given: tuple[MessageInput, ...]) -> tuple[ChatTurn, ...]:
    if not given:
        raise bad_param(
            "messages",
            "Missing required parameter: 'messages' (at least one message).",
            "missing_required_parameter",
        )
    turns: list[ChatTurn] = []
    call_ids: set[str] = set()
    for index, message in enumerate(given):
        turn = _message(message, f"messages[{index}]", call_ids)
        call_ids.update(call.id for call in turn.tool_calls)
        turns.append(turn)
    return tuple(turns)


def _message(message: MessageInput, where: str, call_ids: set[str]) -> ChatTurn:
    role = message.role
    if not role:
        raise _missing(f"{where}.role")
    if role not in ROLES:
        allowed = ", ".join(f"'{r}'" for r in ROLES)
        raise bad_param(f"{where}.role", f"Invalid value for '{where}.role': '{role}' is not one of {allowed}.")
    content = _content(message.content, f"{where}.content")
    if message.tool_calls and role != "assistant":
        raise bad_param(f"{where}.tool_calls", f"Invalid '{where}.tool_calls': only assistant messages call tools.")
    calls = tuple(_tool_call(call, f"{where}.tool_calls[{i}]") for i, call in enumerate(message.tool_calls))
    if role == "tool":
        if not message.tool_call_id:
            raise _missing(f"{where}.tool_call_id")
        if message.tool_call_id not in call_ids:
            raise bad_param(
                f"{where}.tool_call_id",
                f"Invalid '{where}.tool_call_id': '{message.tool_call_id}' answers no tool call "
                "of an earlier assistant message.",
            )
    elif message.tool_call_id:
        raise bad_param(f"{where}.tool_call_id", f"Invalid '{where}.tool_call_id': only tool messages answer calls.")
    if content is None and not calls:
        raise _missing(f"{where}.content")
    return ChatTurn(
        role="system" if role == "developer" else role,
        content=content or "",
        tool_call_id=message.tool_call_id or None,
        tool_calls=calls,
        name=message.name or None,
    )


def _content(value: Any, where: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if not isinstance(value, list):
        raise _wrong_type(where, "a string, an array of content parts or null", value)
    texts = []
    for index, part in enumerate(value):
        at = f"{where}[{index}]"
        if not isinstance(part, dict):
            raise _wrong_type(at, "a content part object", part)
        kind = part.get("type")
        if kind is None:
            raise _missing(f"{at}.type")
        if kind != "text":
            raise bad_param(
                f"{at}.type",
                f"Invalid value for '{at}.type': {json_kind(kind) if not isinstance(kind, str) else repr(kind)} "
                "content is not supported; this gateway's models take text only.",
            )
        text = part.get("text")
        if not isinstance(text, str):
            raise _wrong_type(f"{at}.text", "a string", text)
        texts.append(text)
    return "\n".join(texts)


def _tool_call(call: ToolCallInput, where: str) -> ToolCall:
    if call.type not in ("", "function"):
        raise bad_param(f"{where}.type", f"Invalid value for '{where}.type': only 'function' calls are supported.")
    if not call.id:
        raise _missing(f"{where}.id")
    if not call.name:
        raise _missing(f"{where}.function.name")
    return ToolCall(id=call.id, name=call.name, arguments=call.arguments)


# --- tools ----------------------------------------------------------------------


def _tools(given: tuple[ToolInput, ...]) -> tuple[ToolSpec, ...]:
    if len(given) > MAX_TOOLS:
        raise bad_param("tools", f"Invalid 'tools': at most {MAX_TOOLS} tools are allowed.")
    specs: list[ToolSpec] = []
    names: set[str] = set()
    for index, tool in enumerate(given):
        where = f"tools[{index}]"
        if not tool.type:
            raise _missing(f"{where}.type")
        if tool.type != "function":
            raise bad_param(f"{where}.type", f"Invalid value for '{where}.type': only 'function' tools are supported.")
        if not tool.has_function:
            raise _missing(f"{where}.function")
        if not _TOOL_NAME.fullmatch(tool.name):
            raise bad_param(
                f"{where}.function.name",
                f"Invalid '{where}.function.name': use 1 to 64 letters, digits, underscores or dashes.",
            )
        if tool.name in names:
            raise bad_param(
                f"{where}.function.name", f"Invalid '{where}.function.name': '{tool.name}' is offered twice."
            )
        names.add(tool.name)
        parameters = tool.parameters if tool.parameters is not None else dict(_NO_PARAMETERS)
        specs.append(ToolSpec(name=tool.name, description=tool.description, parameters=parameters))
    return tuple(specs)


def _tool_choice(value: Any, tools: tuple[ToolSpec, ...]) -> str | dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, str):
        if value not in TOOL_CHOICES:
            allowed = ", ".join(f"'{c}'" for c in TOOL_CHOICES)
            raise bad_param("tool_choice", f"Invalid value for 'tool_choice': '{value}' is not one of {allowed}.")
        if value == "required" and not tools:
            raise bad_param("tool_choice", "Invalid 'tool_choice': 'required' needs 'tools'.")
        return value
    if not isinstance(value, dict):
        raise _wrong_type("tool_choice", "a string or an object", value)
    function = value.get("function")
    name = function.get("name") if isinstance(function, dict) else None
    if value.get("type") != "function" or not isinstance(name, str):
        raise bad_param(
            "tool_choice",
            'Invalid \'tool_choice\': expected {"type": "function", "function": {"name": "..."}}.',
        )
    if name not in {tool.name for tool in tools}:
        raise bad_param("tool_choice", f"Invalid 'tool_choice': the tool '{name}' is not in 'tools'.")
    return {"type": "function", "function": {"name": name}}


def _stop(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if value else ()
    if not isinstance(value, list):
        raise _wrong_type("stop", "a string, an array of strings or null", value)
    if len(value) > MAX_STOP_SEQUENCES:
        raise bad_param("stop", f"Invalid 'stop': at most {MAX_STOP_SEQUENCES} sequences are allowed.")
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise _wrong_type(f"stop[{index}]", "a string", item)
    return tuple(item for item in value if item)
