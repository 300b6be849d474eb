"""The `search` tool: a question answered from the caller's documents (Crispy's `POST /search`).

The registry owns the tool's arguments and its timing; the surface that keeps
the documents supplies the search itself, so the tool returns exactly what
that surface's search route answers (without its request id).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import Field

from server.platform.scope import Scope
from server.platform.tools.registry import Tool, ToolArgs

# (scope, query, top_k) -> {"answer", "sources", "confidence", "followUps"}
GroundedAnswer = Callable[[Scope, str, int], Awaitable[dict[str, Any]]]


class SearchArgs(ToolArgs):
    query: str = Field(min_length=1, max_length=2000, description="The question to answer from the documents.")
    top_k: int = Field(default=5, ge=1, le=20, description="How many document chunks to retrieve.")


def search_tool(answer: GroundedAnswer) -> Tool:
    async def run(scope: Scope, args: SearchArgs) -> dict[str, Any]:
        return await answer(scope, args.query.strip(), args.top_k)

    return Tool(
        "search",
        "Answers a question from the tenant's own documents, citing the chunks it used ([n]), "
        "with a confidence and follow-up questions.",
        SearchArgs,
        run,
    )
