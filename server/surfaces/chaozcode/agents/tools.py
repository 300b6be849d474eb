"""The tools ChaozCode's agents may call: the seam where tools over the user's data join.

`agent_tools` gathers every tool by name; each agent type (`types.py`) names the
ones it uses: the user's projects, their Memory Spine (search, packed context),
the codebase analysis of files given in full, and the platform's text tools. A further tool is one more `Tool` in
`ChaozCodeAgentTools.tools()` and its name in the types that should have it.
A tool's result may carry `"files": [...]` (paths): the run reports them in
`result.files`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import Field

from server.platform.agent.tool_box import AssistantTool
from server.platform.models.registry import ModelRegistry
from server.platform.scope import Scope
from server.platform.tools.registry import Tool, ToolArgs, ToolRegistry
from server.platform.tools.summarize import summarize_tool
from server.platform.tools.text_tools import TEXT_TOOLS
from server.surfaces.chaozcode.codebase.analysis import SourceFile, analyze
from server.surfaces.chaozcode.memory import MemorySpine
from server.surfaces.chaozcode.projects import Project, ProjectService

LIST_PROJECTS, GET_PROJECT = "list_projects", "get_project"
SEARCH_MEMORY, MEMORY_CONTEXT = "search_memory", "memory_context"
ANALYZE_CODE = "analyze_code"


class NoArgs(ToolArgs):
    pass


class MemorySearchArgs(ToolArgs):
    query: str = Field(min_length=1, max_length=2_000, description="What to look for, in plain words.")
    limit: int = Field(default=5, ge=1, le=20, description="How many memories at most.")


class MemoryContextArgs(ToolArgs):
    query: str = Field(min_length=1, max_length=2_000, description="What the context is for.")
    max_tokens: int = Field(default=1_000, ge=1, le=4_000, description="The context's size in tokens.")


class CodeFile(ToolArgs):
    path: str = Field(min_length=1, max_length=500, description="The file's path, e.g. src/app.py.")
    content: str = Field(max_length=200_000, description="The file's text.")


class AnalyzeArgs(ToolArgs):
    files: list[CodeFile] = Field(min_length=1, max_length=50, description="The files to analyse (never run).")


class ProjectArgs(ToolArgs):
    project_id: str = Field(min_length=1, max_length=64, description="The project's id.")


def _project(project: Project) -> dict[str, Any]:
    return {
        "id": project.id,
        "name": project.name,
        "description": project.description,
        "settings": project.settings,
    }


class ChaozCodeAgentTools:
    def __init__(
        self, projects: ProjectService, memory: MemorySpine, models: ModelRegistry, summary_model: str
    ) -> None:
        self._projects = projects
        self._memory = memory
        self._models = models
        self._summary_model = summary_model

    async def _list_projects(self, scope: Scope, _: NoArgs) -> dict[str, Any]:
        page = await self._projects.page(scope.tenant_id, scope.owner_id, 100, "")
        return {"projects": [_project(p) for p in page.projects], "total": page.total}

    async def _get_project(self, scope: Scope, args: ProjectArgs) -> dict[str, Any]:
        return _project(await self._projects.get(scope.tenant_id, scope.owner_id, args.project_id))

    async def _search_memory(self, scope: Scope, args: MemorySearchArgs) -> dict[str, Any]:
        outcome = await self._memory.search(scope, args.query, args.limit)
        return {
            "memories": [
                {"id": f.memory.id, "content": f.memory.content, "tags": list(f.memory.tags), "score": f.score}
                for f in outcome.results
            ]
        }

    async def _memory_context(self, scope: Scope, args: MemoryContextArgs) -> dict[str, Any]:
        return (await self._memory.context(scope, args.query, args.max_tokens)).as_json()

    async def _analyze_code(self, _: Scope, args: AnalyzeArgs) -> dict[str, Any]:
        # The codebase routes' deterministic analysis (parsed, never executed).
        found = await asyncio.to_thread(analyze, [SourceFile(f.path, f.content) for f in args.files])
        return {
            "files": [f.path for f in args.files],
            "totalLines": found.total_lines,
            "languages": found.languages,
            "structure": {
                "components": found.components,
                "hooks": found.hooks,
                "utils": found.utils,
                "tests": found.tests,
            },
            "dependencies": [
                {"name": d.name, "version": d.version, "ecosystem": d.ecosystem} for d in found.dependencies
            ],
            "suggestions": [s.message for s in found.suggestions],
        }

    def tools(self) -> list[Tool]:
        """Every tool an agent may be given. Memory and codebase tools join here."""
        return [
            Tool(LIST_PROJECTS, "Lists the user's projects with their settings.", NoArgs, self._list_projects),
            Tool(GET_PROJECT, "One of the user's projects, its settings included.", ProjectArgs, self._get_project),
            Tool(
                SEARCH_MEMORY,
                "The user's stored memories nearest in meaning to a query.",
                MemorySearchArgs,
                self._search_memory,
            ),
            Tool(
                ANALYZE_CODE,
                "Counts, structure and dependencies of code files given in full.",
                AnalyzeArgs,
                self._analyze_code,
            ),
            Tool(
                MEMORY_CONTEXT,
                "The user's most relevant memories for a query, packed into a token budget.",
                MemoryContextArgs,
                self._memory_context,
            ),
            summarize_tool(self._models, self._summary_model),
            *TEXT_TOOLS,
        ]

    def by_name(self) -> dict[str, AssistantTool]:
        return {tool.spec.name: tool for tool in ToolRegistry(self.tools()).assistant_tools()}
