"""The tools of a configured MCP server, offered to the agent beside the built-in ones.

The server's tool list is read on first use and kept for `REFRESH_SECONDS`;
while the server cannot be reached its tools are simply not offered (logged
once per refresh), so the agent keeps working with the rest. A call's failure
is told to the model as the tool's result.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from server.platform.agent.tool_box import AssistantTool
from server.platform.mcp.client import McpCallError, McpToolClient
from server.platform.models.types import ToolSpec
from server.platform.scope import Scope

log = logging.getLogger("chorus.agentchassis")

REFRESH_SECONDS = 60.0


class McpTools:
    def __init__(self, client: McpToolClient, reserved: frozenset[str]) -> None:
        """`reserved`: built-in tool names; an MCP tool of the same name is not offered."""
        self._client = client
        self._reserved = reserved
        self._tools: list[AssistantTool] = []
        self._read_at = -REFRESH_SECONDS

    async def tools(self) -> list[AssistantTool]:
        now = time.monotonic()
        if now - self._read_at >= REFRESH_SECONDS:
            self._read_at = now
            try:
                listed = await self._client.list_tools()
            except McpCallError as exc:
                log.warning("%s: its tools are not offered: %s", self._client.target, exc.message)
                self._tools = []
            else:
                self._tools = [
                    AssistantTool(ToolSpec(t.name, t.description, t.input_schema), self._runner(t.name))
                    for t in listed
                    if t.name not in self._reserved
                ]
        return self._tools

    def _runner(self, name: str) -> Any:
        async def run(scope: Scope, args: dict[str, Any]) -> Any:
            try:
                return await self._client.call_tool(name, args)
            except McpCallError as exc:
                return {"error": exc.message}

        return run

    async def aclose(self) -> None:
        await self._client.aclose()
