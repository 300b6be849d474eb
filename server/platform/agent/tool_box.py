"""Running the tools a chat model calls: their specs, quotas and failures.

A tool is a JSON-schema spec the model sees, the quota one call takes (one of
the surface's `Quotas`, by name) and an executor. The model's arguments arrive as
JSON text; anything that is not an object of the declared properties, or
that the service behind the tool rejects, is a TOOL_ERROR: the model misused
the tool, and the turn fails without writing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
import orjson

from server.platform.admission.quotas import Quotas
from server.platform.admission.rate_limit import RateDecision
from server.platform.errors import ChorusError
from server.platform.models.types import ToolSpec
from server.platform.scope import Scope
from server.platform.times import parse_rfc3339_ms

TOOL_ERROR = "TOOL_ERROR"

Executor = Callable[[Scope, dict[str, Any]], Awaitable[Any]]


def tool_error(message: str, *, tool: str, code: grpc.StatusCode = grpc.StatusCode.INTERNAL) -> ChorusError:
    return ChorusError(code, TOOL_ERROR, message, info={"tool": tool})


@dataclass(frozen=True)
class AssistantTool:
    spec: ToolSpec
    run: Executor  # returns a JSON-shaped result
    quota: str | None = None  # taken once per call before it runs; given back if it fails


@dataclass(frozen=True)
class AdmittedCall:
    """A tool call cleared to run: its arguments, and the quota use it took."""

    name: str
    args: dict[str, Any]
    taken: RateDecision | None
    # Why the call may not run (a tool outside the caller's allowed ones): its result tells the model.
    refusal: str | None = None


class ToolBox:
    """The tools offered in a turn, run on the caller's behalf."""

    def __init__(self, tools: Sequence[AssistantTool], quotas: Quotas, allowed: Collection[str] | None = None) -> None:
        """`allowed`: the tools the caller lets the model call (None: every tool). Only they
        are offered; a call to any other is refused, and the refusal is the call's result,
        so the model learns it and can answer without it."""
        self._tools = {tool.spec.name: tool for tool in tools}
        self._quotas = quotas
        self._allowed = None if allowed is None else frozenset(allowed)
        self.specs = tuple(tool.spec for tool in tools if self._allowed is None or tool.spec.name in self._allowed)

    async def admit(self, scope: Scope, name: str, arguments: str) -> AdmittedCall:
        """The model's arguments as a dict, once the call's quota is taken:
        TOOL_ERROR for an unknown tool or arguments that are not a JSON object,
        the quotas' refusal when the user's quota is used up. A tool outside
        `allowed` is admitted as refused: it does not run."""
        if self._allowed is not None and name not in self._allowed:
            return AdmittedCall(name, {}, None, refusal=f"Tool {name!r} is not allowed in this request")
        args = self._parse(name, arguments)
        quota = self._tools[name].quota
        taken = None
        if quota is not None:
            taken = await self._quotas.take(quota, scope.owner_id)
        return AdmittedCall(name, args, taken)

    def _parse(self, name: str, arguments: str) -> dict[str, Any]:
        if name not in self._tools:
            raise tool_error(f"The model called an unknown tool {name!r}", tool=name)
        try:
            parsed = orjson.loads(arguments or "{}")
        except orjson.JSONDecodeError as exc:
            raise tool_error(f"The model sent {name} arguments that are not JSON: {exc}", tool=name) from exc
        if not isinstance(parsed, dict):
            raise tool_error(f"The model sent {name} arguments that are not a JSON object", tool=name)
        return parsed

    async def run(self, scope: Scope, call: AdmittedCall) -> Any:
        """Runs an admitted call; its result is JSON-shaped. A call that fails
        gives its quota back: the work was not done."""
        if call.refusal is not None:
            return {"error": call.refusal}
        try:
            return await self._tools[call.name].run(scope, call.args)
        except Exception as exc:
            if call.taken is not None:
                await self._quotas.give_back(call.taken)
            # Passed through unchanged: the user's own limits, and tool failures already told as such.
            if not isinstance(exc, ChorusError) or exc.reason in (self._quotas.refusal_reason, TOOL_ERROR):
                raise
            # The service refused the arguments (validation, unknown id): the
            # model misused the tool. The service's field details stay visible.
            problems = "; ".join(f"{v.field}: {v.description}" for v in exc.violations)
            detail = f"{exc.message} ({problems})" if problems else exc.message
            raise tool_error(f"The {call.name} tool failed: {detail}", tool=call.name) from exc


def object_schema(properties: dict[str, Any], required: Sequence[str] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


class Arguments:
    """Typed reads of a tool's arguments object, with the schema's checks."""

    def __init__(self, tool: str, args: dict[str, Any], allowed: Sequence[str]) -> None:
        unknown = sorted(set(args) - set(allowed))
        if unknown:
            raise tool_error(f"The {tool} tool failed: it does not take {', '.join(unknown)}", tool=tool)
        self._tool = tool
        self._args = args

    def _fail(self, key: str, expected: str) -> ChorusError:
        return tool_error(f"The {self._tool} tool failed: '{key}' must be {expected}", tool=self._tool)

    def string(self, key: str, *, required: bool = False) -> str | None:
        value = self._args.get(key)
        if value is None:
            if required:
                raise self._fail(key, "given")
            return None
        if not isinstance(value, str):
            raise self._fail(key, "a string")
        return value

    def integer(self, key: str) -> int | None:
        value = self._args.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._fail(key, "an integer")
        return value

    def time_ms(self, key: str) -> int | None:
        """An RFC 3339 date-time with a zone, or a date (midnight UTC)."""
        text = self.string(key)
        if text is None:
            return None
        moment = parse_rfc3339_ms(text if "T" in text.upper() else f"{text}T00:00:00Z")
        if moment is None:
            raise self._fail(key, "an RFC 3339 date-time (e.g. 2025-05-10T09:00:00Z) or a date (2025-05-10)")
        return moment

    def strings(self, key: str) -> tuple[str, ...]:
        value = self._args.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self._fail(key, "an array of strings")
        return tuple(value)
