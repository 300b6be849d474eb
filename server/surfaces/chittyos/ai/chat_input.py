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
  `max_completion_tokens`) at least 1; `temperature` 0 to 2; `top_p` 0 to
  1; `presence_penalty` and `frequency_penalty` -2 to 2; `n` 1 to 128.
- `response_format`: `{"type": "text" | "json_object"}` or
  `{"type": "json_schema", "json_schema": {"name", "schema"?, ...}}`.
- OpenAI's ranges and value sets for the parameters only upstreams use
  (`top_logprobs` 0 to 20 with `logprobs`, `logit_bias` -100 to 100,
  `metadata` 16 pairs, `service_tier`, `reasoning_effort`, `verbosity`,
  `modalities`, `prompt_cache_retention`); they then travel in
  `ModelRequest.passthrough`.
- The deprecated `functions` and `function_call` are read as `tools` and
  `tool_choice` (give one form, not both).
- `stream_options` only with `stream` true.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from server.platform.errors import ChorusError
from server.platform.models.types import ChatTurn, ModelRequest, ResponseFormat, ToolCall, ToolSpec
from server.surfaces.chittyos.ai.errors import bad_param

ROLES = ("system", "developer", "user", "assistant", "tool")
TOOL_CHOICES = ("none", "auto", "required")
MAX_STOP_SEQUENCES = 4
MAX_TOOLS = 128
MAX_CHOICES = 128
MAX_TOP_LOGPROBS = 20
MAX_METADATA_PAIRS, MAX_METADATA_KEY, MAX_METADATA_VALUE = 16, 64, 512
RESPONSE_FORMATS = ("text", "json_object", "json_schema")
# Upstream-only parameters with a fixed set of values, as OpenAI lists them.
_CHOICES_OF: dict[str, tuple[str, ...]] = {
    "service_tier": ("auto", "default", "flex", "scale", "priority", "fast"),
    "reasoning_effort": ("none", "minimal", "low", "medium", "high", "xhigh", "max"),
    "verbosity": ("low", "medium", "high"),
    "prompt_cache_retention": ("in_memory", "24h"),
}
MODALITIES = ("text", "audio")
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
    refusal: str | None = None


@dataclass(frozen=True, slots=True)
class ToolInput:
    type: str
    name: str = ""
    description: str = ""
    parameters: dict[str, Any] | None = None
    has_function: bool = True


@dataclass(frozen=True, slots=True)
class ResponseFormatInput:
    type: str
    has_json_schema: bool = False
    name: str = ""
    description: str = ""
    schema: dict[str, Any] | None = None
    strict: bool | None = None


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
    seed: int | None = None
    response_format: ResponseFormatInput | None = None
    functions: tuple[ToolInput, ...] = ()  # deprecated form of `tools`
    function_call: Any = None  # deprecated form of `tool_choice` (parsed JSON)
    # The parameters only upstream models use (logprobs, metadata, store,
    # service_tier, user, ...), as JSON, present ones only.
    upstream_only: dict[str, Any] = field(default_factory=dict)


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
    given_tools, tool_choice = _legacy_functions(given)
    tools = _tools(given_tools)
    model = given.model or default_model
    request = ModelRequest(
        model=model,
        messages=messages,
        max_tokens=max_tokens,
        temperature=given.temperature,
        tools=tools,
        tool_choice=_tool_choice(tool_choice, tools),
        stop=_stop(given.stop),
        n=given.n if given.n is not None else 1,
        response_format=_response_format(given.response_format),
        passthrough=_passthrough(given),
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


def _not_one_of(param: str, value: Any, allowed: tuple[str, ...]) -> ChorusError:
    names = ", ".join(f"'{a}'" for a in allowed)
    return bad_param(param, f"Invalid value for '{param}': '{value}' is not one of {names}.")


def _check_name(param: str, name: str) -> None:
    """Tool and schema names: 1 to 64 letters, digits, `_` or `-`."""
    if not _TOOL_NAME.fullmatch(name):
        raise bad_param(param, f"Invalid '{param}': use 1 to 64 letters, digits, underscores or dashes.")


# --- numbers ---------------------------------------------------------------------


def _max_tokens(given: CompletionInput) -> int | None:
    for param, value in (("max_tokens", given.max_tokens), ("max_completion_tokens", given.max_completion_tokens)):
        if value is not None and value < 1:
            raise bad_param(param, f"Invalid '{param}': integer below minimum value. Expected a value >= 1.")
    legacy, newer = given.max_tokens, given.max_completion_tokens
    if legacy is not None and newer is not None and legacy != newer:
        raise bad_param("max_tokens", "Give 'max_tokens' or 'max_completion_tokens', not both with different values.")
    return newer if newer is not None else legacy


# The numeric parameters with a range, in the order they are checked.
_RANGES = (
    ("temperature", 0, 2),
    ("n", 1, MAX_CHOICES),
    ("top_p", 0, 1),
    ("presence_penalty", -2, 2),
    ("frequency_penalty", -2, 2),
)


def _check_sampling(given: CompletionInput) -> None:
    for param, low, high in _RANGES:
        _check_range(param, getattr(given, param), low, high)


def _check_range(param: str, value: float | None, low: int, high: int) -> None:
    if value is not None and not low <= value <= high:
        raise bad_param(param, f"Invalid '{param}': must be between {low} and {high}.")


# --- formats and upstream-only parameters -----------------------------------------


def _response_format(given: ResponseFormatInput | None) -> ResponseFormat | None:
    if given is None:
        return None
    if not given.type:
        raise _missing("response_format.type")
    if given.type not in RESPONSE_FORMATS:
        raise _not_one_of("response_format.type", given.type, RESPONSE_FORMATS)
    if given.type != "json_schema":
        if given.has_json_schema:
            raise bad_param(
                "response_format.json_schema",
                "Invalid 'response_format.json_schema': only allowed with type 'json_schema'.",
            )
        return ResponseFormat("json_object" if given.type == "json_object" else "text")
    if not given.has_json_schema:
        raise _missing("response_format.json_schema")
    if not given.name:
        raise _missing("response_format.json_schema.name")
    _check_name("response_format.json_schema.name", given.name)
    return ResponseFormat("json_schema", given.name, given.schema, given.description, given.strict)


# CompletionInput's own fields that upstreams get verbatim (ModelRequest has no field for them).
_PASSED_ON = ("top_p", "presence_penalty", "frequency_penalty", "seed", "parallel_tool_calls", "max_completion_tokens")


def _passthrough(given: CompletionInput) -> dict[str, Any]:
    """Checks the upstream-only parameters; returns every OpenAI parameter an
    upstream gets verbatim (those not in ModelRequest's own fields)."""
    extra = given.upstream_only
    _check_logprobs(extra)
    bias = extra.get("logit_bias") or {}
    for token, value in bias.items():
        if not -100 <= value <= 100:
            raise bad_param("logit_bias", f"Invalid 'logit_bias': the bias of token {token} must be -100 to 100.")
    _check_metadata(extra.get("metadata") or {})
    for param, allowed in _CHOICES_OF.items():
        value = extra.get(param)
        if value is not None and value not in allowed:
            raise _not_one_of(param, value, allowed)
    modalities = extra.get("modalities") or ()
    for index, modality in enumerate(modalities):
        if modality not in MODALITIES:
            raise bad_param(
                f"modalities[{index}]",
                f"Invalid value for 'modalities[{index}]': '{modality}' is not 'text' or 'audio'.",
            )
    if "audio" in modalities and "audio" not in extra:
        raise bad_param("audio", "Invalid 'audio': required when 'modalities' includes 'audio'.")
    passthrough = dict(extra)
    for param in _PASSED_ON:
        value = getattr(given, param)
        if value is not None:
            passthrough[param] = value
    return passthrough


def _check_logprobs(extra: dict[str, Any]) -> None:
    top = extra.get("top_logprobs")
    if top is None:
        return
    _check_range("top_logprobs", top, 0, MAX_TOP_LOGPROBS)
    if extra.get("logprobs") is not True:
        raise bad_param("top_logprobs", "Invalid 'top_logprobs': 'logprobs' must be true when it is given.")


def _check_metadata(metadata: dict[str, str]) -> None:
    if len(metadata) > MAX_METADATA_PAIRS:
        raise bad_param("metadata", f"Invalid 'metadata': at most {MAX_METADATA_PAIRS} pairs are allowed.")
    for key, value in metadata.items():
        if len(key) > MAX_METADATA_KEY or len(value) > MAX_METADATA_VALUE:
            raise bad_param(
                "metadata",
                f"Invalid 'metadata': keys are at most {MAX_METADATA_KEY} characters and values "
                f"at most {MAX_METADATA_VALUE}.",
            )


def _legacy_functions(given: CompletionInput) -> tuple[tuple[ToolInput, ...], Any]:
    """(tools, tool_choice), reading the deprecated `functions` / `function_call` forms."""
    if not given.functions and given.function_call is None:
        return given.tools, given.tool_choice
    if given.tools or given.tool_choice is not None:
        param = "functions" if given.functions else "function_call"
        raise bad_param(
            param,
            f"Invalid '{param}': give 'tools' and 'tool_choice', or the deprecated "
            "'functions' and 'function_call', not both.",
        )
    choice = given.function_call
    if isinstance(choice, dict):
        choice = {"type": "function", "function": choice}
    return given.functions, choice


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
        raise _not_one_of(f"{where}.role", role, ROLES)
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
    if content is None and message.refusal is not None and role == "assistant":
        content = message.refusal
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
        _check_name(f"{where}.function.name", tool.name)
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
            raise _not_one_of("tool_choice", value, TOOL_CHOICES)
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
