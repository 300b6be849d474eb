"""What the builtin development model says: pure, deterministic rules.

Given a request, `plan_reply` decides between text and tool calls. The rules,
checked in this order:

1. No tools offered, or tool_choice "none": never call a tool.
2. Forced calls: tool_choice {"type": "function", "function": {"name": X}}
   calls X; "required" calls the tools named by `/tool` directives (below) or,
   failing those, the first offered tool. A forced tool's arguments come from
   its directive if the last user message has one, else from its JSON schema:
   each required property gets a value derived from the last user message
   (strings get the message text; numbers 0, booleans false, arrays [],
   objects {}, enums their first value).
3. If the conversation ends with tool results, reply with text quoting them
   briefly, so an agent loop terminates: 'The NAME tool returned "<first
   40 word pieces>"', followed, for a JSON result, by the length of each of
   its top-level arrays (e.g. ' (3 flights)'; an array result: ' (3 items)').
4. Directives: each line of the last user message of the form
   `/tool NAME {json object}` (arguments optional, default {}) that names an
   offered tool becomes one tool call, in order. Lines naming tools that are
   not offered, or whose arguments are not a JSON object, are plain text.
5. Otherwise, reply with text that restates the last user message in full and
   describes the conversation (turn count, system prompt, fingerprint), so
   the reply differs for any different conversation and grows with the input.
6. A text reply (rules 3 and 5) follows `response_format`: with
   "json_object" it is the JSON object `{"answer": <the text>}`; with
   "json_schema" it is an object built from the schema as forced tool
   arguments are (rule 2), with every required property (or every property,
   when none is required), nested objects alike; the text stands in for
   strings.

Tool call ids are "call_" + 16 hex digits of a hash of the conversation and
the call's position, so they are stable for the same input.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from server.platform.models.tokenizer import tokenize
from server.platform.models.types import ChatTurn, ModelError, ModelRequest, ToolCall, ToolSpec

TOOL_RESULT_QUOTE_TOKENS = 40
_DIRECTIVE = re.compile(r"^\s*/tool\s+(\S+)[ \t]*(.*?)\s*$")


@dataclass(frozen=True, slots=True)
class Reply:
    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()


def plan_reply(request: ModelRequest) -> Reply:
    messages = request.messages
    fingerprint = conversation_fingerprint(messages)
    forced = _forced_tools(request)
    if forced is not None:
        return Reply(tool_calls=_number(forced, fingerprint))
    if messages and messages[-1].role == "tool":
        return Reply(text=_formatted(request, _summarise_tool_results(messages)))
    if request.tools and request.tool_choice != "none":
        offered = {tool.name for tool in request.tools}
        directives = [d for d in _directives(_last_user_text(messages)) if d[0] in offered]
        if directives:
            return Reply(tool_calls=_number(directives, fingerprint))
    return Reply(text=_formatted(request, _compose_answer(messages, fingerprint)))


def _formatted(request: ModelRequest, text: str) -> str:
    """The text reply in the requested `response_format` (rule 6)."""
    form = request.response_format
    if form is None or form.type == "text":
        return text
    if form.type == "json_object":
        return orjson.dumps({"answer": text}).decode()
    value = _value_for(form.schema or {}, _last_user_text(request.messages), depth=0)
    return orjson.dumps(value).decode()


def conversation_fingerprint(messages: Sequence[ChatTurn]) -> str:
    canonical = [
        [
            m.role,
            m.content,
            m.name,
            m.tool_call_id,
            [[c.id, c.name, c.arguments] for c in m.tool_calls],
        ]
        for m in messages
    ]
    return hashlib.sha256(orjson.dumps(canonical)).hexdigest()[:12]


def _forced_tools(request: ModelRequest) -> list[tuple[str, str]] | None:
    """(name, arguments) pairs a forcing tool_choice demands, or None if not forced."""
    choice = request.tool_choice
    if not request.tools or choice in (None, "auto", "none"):
        return None
    last_user = _last_user_text(request.messages)
    directives = _directives(last_user)
    if choice == "required":
        offered = {tool.name for tool in request.tools}
        chosen = [d for d in directives if d[0] in offered]
        if chosen:
            return chosen
        first = request.tools[0]
        return [(first.name, _arguments_from_schema(first, last_user))]
    if isinstance(choice, dict):
        function = choice.get("function")
        name = function.get("name") if isinstance(function, dict) else None
        tool = next((t for t in request.tools if t.name == name), None)
        if tool is None:
            raise ModelError(f"tool_choice names a tool that is not offered: {name!r}", kind="rejected")
        for directive in directives:
            if directive[0] == tool.name:
                return [directive]
        return [(tool.name, _arguments_from_schema(tool, last_user))]
    raise ModelError(f"unsupported tool_choice: {choice!r}", kind="rejected")


def _directives(text: str) -> list[tuple[str, str]]:
    found = []
    for line in text.splitlines():
        match = _DIRECTIVE.match(line)
        if match is None:
            continue
        name, arguments = match.group(1), match.group(2) or "{}"
        try:
            parsed = orjson.loads(arguments)
        except orjson.JSONDecodeError:
            continue
        if isinstance(parsed, dict):
            found.append((name, arguments))
    return found


def _arguments_from_schema(tool: ToolSpec, text: str) -> str:
    properties = tool.parameters.get("properties")
    required = tool.parameters.get("required")
    if not isinstance(properties, dict) or not isinstance(required, list):
        return "{}"
    args = {key: _value_for(properties.get(key), text) for key in required if isinstance(key, str)}
    return orjson.dumps(args).decode()


# Nested object schemas are filled this deep; below, objects are {}.
MAX_SCHEMA_DEPTH = 8


def _value_for(schema: Any, text: str, depth: int | None = None) -> Any:
    """A value of `schema`'s type; with `depth`, objects get their properties (to MAX_SCHEMA_DEPTH)."""
    if not isinstance(schema, dict):
        return text
    if "const" in schema:
        return schema["const"]
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return enum[0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind is None and isinstance(schema.get("properties"), dict):
        kind = "object"
    if kind == "object" and depth is not None and depth < MAX_SCHEMA_DEPTH:
        return _object_for(schema, text, depth + 1)
    defaults: dict[str, Any] = {
        "integer": 0,
        "number": 0,
        "boolean": False,
        "array": [],
        "object": {},
        "null": None,
    }
    return defaults.get(kind, text) if isinstance(kind, str) else text


def _object_for(schema: dict[str, Any], text: str, depth: int) -> dict[str, Any]:
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return {}
    required = schema.get("required")
    keys = [k for k in required if isinstance(k, str)] if isinstance(required, list) else list(properties)
    return {key: _value_for(properties.get(key), text, depth) for key in keys}


def _number(calls: list[tuple[str, str]], fingerprint: str) -> tuple[ToolCall, ...]:
    return tuple(
        ToolCall(id=_call_id(fingerprint, index), name=name, arguments=arguments)
        for index, (name, arguments) in enumerate(calls)
    )


def _call_id(fingerprint: str, index: int) -> str:
    return "call_" + hashlib.sha256(f"{fingerprint}:{index}".encode()).hexdigest()[:16]


def _last_user_text(messages: Sequence[ChatTurn]) -> str:
    return next((m.content for m in reversed(messages) if m.role == "user"), "")


def _summarise_tool_results(messages: Sequence[ChatTurn]) -> str:
    trailing: list[ChatTurn] = []
    for turn in reversed(messages):
        if turn.role != "tool":
            break
        trailing.insert(0, turn)
    call_names = {c.id: c.name for m in messages for c in m.tool_calls}
    parts = []
    for turn in trailing:
        name = call_names.get(turn.tool_call_id or "") or turn.name or "tool"
        parts.append(f'the {name} tool returned "{_quote(turn.content)}"{_array_lengths(turn.content)}')
    summary = "; ".join(parts)
    return f"{summary[0].upper()}{summary[1:]}. (Chorus builtin development model.)"


def _array_lengths(text: str) -> str:
    """' (3 flights, 0 warnings)' for a JSON object's top-level arrays, ' (3 items)'
    for a JSON array; '' for anything else."""
    try:
        parsed = orjson.loads(text)
    except orjson.JSONDecodeError:
        return ""
    if isinstance(parsed, list):
        counts = [f"{len(parsed)} items"]
    elif isinstance(parsed, dict):
        counts = [f"{len(value)} {key}" for key, value in parsed.items() if isinstance(value, list)]
    else:
        counts = []
    return f" ({', '.join(counts)})" if counts else ""


def _quote(text: str) -> str:
    pieces = tokenize(" ".join(text.split()))
    if len(pieces) <= TOOL_RESULT_QUOTE_TOKENS:
        return "".join(pieces)
    return "".join(pieces[:TOOL_RESULT_QUOTE_TOKENS]) + "…"


def _compose_answer(messages: Sequence[ChatTurn], fingerprint: str) -> str:
    user_turns = sum(1 for m in messages if m.role == "user")
    last_user = _last_user_text(messages).strip()
    system = " with a system prompt" if any(m.role == "system" for m in messages) else ""
    opening = f'You said: "{last_user}"' if last_user else "There is no user message to answer yet"
    return (
        f"{opening}. That is user turn {user_turns} of a {len(messages)}-message "
        f"conversation{system} (fingerprint {fingerprint}). "
        "(Chorus builtin development model: offline and deterministic.)"
    )
