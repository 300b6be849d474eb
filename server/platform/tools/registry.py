"""A registry of tools with typed arguments.

Each tool declares its arguments as a pydantic model (camelCase on the wire,
unknown keys refused, no type coercion), so one declaration gives the checks,
the issues listed when they fail, and the JSON Schema that `GET /tools` shows
and a model sees. Running a tool is timed on the monotonic clock.

Errors: an unknown tool or bad arguments are INVALID_ARGUMENT with one issue
per problem (`tool`, or `args.<field>`); a tool that fails is TOOL_ERROR with
the tool's name, never the exception's traceback.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel

from server.platform.agent.tool_box import TOOL_ERROR, AssistantTool
from server.platform.errors import ChorusError, FieldViolation, invalid_argument
from server.platform.models.types import ToolSpec
from server.platform.scope import Scope

log = logging.getLogger("chorus.tools")


class ToolArgs(BaseModel):
    """Base of every tool's arguments: camelCase keys, nothing unknown, no coercion."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", strict=True)


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    args: type[ToolArgs]
    run: Callable[[Scope, Any], Awaitable[Any]]  # (scope, parsed args) -> a JSON-shaped result

    def schema(self) -> dict[str, Any]:
        return self.args.model_json_schema(by_alias=True)


@dataclass(frozen=True, slots=True)
class ToolOutcome:
    name: str
    result: Any
    elapsed_ms: float


def tool_failed(tool: str, message: str, code: grpc.StatusCode = grpc.StatusCode.INTERNAL) -> ChorusError:
    return ChorusError(code, TOOL_ERROR, f"The {tool} tool failed: {message}", info={"tool": tool})


class ToolRegistry:
    def __init__(self, tools: Sequence[Tool]) -> None:
        self._tools = {tool.name: tool for tool in tools}

    @property
    def tools(self) -> tuple[Tool, ...]:
        return tuple(self._tools.values())

    def parse(self, name: str, raw: dict[str, Any]) -> tuple[Tool, ToolArgs]:
        tool = self._tools.get(name)
        if tool is None:
            known = ", ".join(self._tools)
            issue = "Required" if not name else f"Unknown tool {name!r}; available tools: {known}"
            raise invalid_argument("Validation error", [FieldViolation("tool", issue)])
        try:
            return tool, tool.args.model_validate(raw)
        except ValidationError as exc:
            raise invalid_argument("Validation error", _issues(exc)) from None

    async def execute(self, scope: Scope, name: str, raw: dict[str, Any]) -> ToolOutcome:
        tool, args = self.parse(name, raw)
        started = time.perf_counter()
        try:
            result = await tool.run(scope, args)
        except ChorusError:
            raise
        except Exception as exc:
            log.exception("tool %s failed", name)
            raise tool_failed(name, type(exc).__name__) from exc
        return ToolOutcome(name, result, (time.perf_counter() - started) * 1000)

    def assistant_tools(self) -> list[AssistantTool]:
        """The same tools for a model in the agent loop (`ToolBox`)."""
        return [AssistantTool(ToolSpec(t.name, t.description, t.schema()), self._runner(t.name)) for t in self.tools]

    def _runner(self, name: str) -> Callable[[Scope, dict[str, Any]], Awaitable[Any]]:
        async def run(scope: Scope, raw: dict[str, Any]) -> Any:
            return (await self.execute(scope, name, raw)).result

        return run


def _issues(exc: ValidationError) -> list[FieldViolation]:
    issues = []
    for error in exc.errors(include_url=False):
        path = ".".join(str(part) for part in ("args", *error["loc"]))
        message = "Unknown argument" if error["type"] == "extra_forbidden" else error["msg"]
        issues.append(FieldViolation(path, message))
    return issues
