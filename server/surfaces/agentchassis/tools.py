"""The tools Agent Chassis's agent may call: `calculate`, the platform's text tools and
`summarize`, and the tools of a configured MCP server.

A tool that fails does not end the turn: its error is the call's result, so
the model can tell the user or try again (the platform registry's failures,
TOOL_ERROR or bad arguments, become `{"error": ...}`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from server.platform.agent.tool_box import AssistantTool
from server.platform.errors import ChorusError
from server.platform.scope import Scope
from server.platform.surface import Platform
from server.platform.tools.calculate import CALCULATE
from server.platform.tools.registry import ToolRegistry
from server.platform.tools.summarize import summarize_tool
from server.platform.tools.text_tools import TEXT_TOOLS
from server.surfaces.agentchassis.settings import AgentChassisSettings

Run = Callable[[Scope, dict[str, Any]], Awaitable[Any]]


def _told(run: Run) -> Run:
    async def told(scope: Scope, args: dict[str, Any]) -> Any:
        try:
            return await run(scope, args)
        except ChorusError as exc:
            problems = "; ".join(f"{v.field}: {v.description}" for v in exc.violations)
            return {"error": f"{exc.message} ({problems})" if problems else exc.message}

    return told


async def agent_tools(platform: Platform, settings: AgentChassisSettings, route: str) -> list[AssistantTool]:
    registry = ToolRegistry([CALCULATE, *TEXT_TOOLS, summarize_tool(platform.models, route)])
    return [AssistantTool(t.spec, _told(t.run), t.quota) for t in registry.assistant_tools()]
