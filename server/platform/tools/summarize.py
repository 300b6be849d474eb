"""The `summarize` tool: the chat model writes the summary, and its length is enforced.

The model is asked for at most `maxLength` characters (and given a token budget
to match); whatever it returns is then cut at the last sentence, else word,
boundary that fits, so the result never exceeds `maxLength`.
"""

from __future__ import annotations

import re

import grpc
from pydantic import Field

from server.platform.models.registry import ModelRegistry
from server.platform.models.types import ChatTurn, ModelError, ModelRequest, TextDelta
from server.platform.scope import Scope
from server.platform.tools.registry import Tool, ToolArgs, tool_failed
from server.platform.tools.text_tools import MAX_TEXT_CHARS

_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")


class SummarizeArgs(ToolArgs):
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS, description="The text to summarize.")
    max_length: int = Field(default=200, ge=20, le=5000, description="Longest summary, in characters.")


def fit(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, at a sentence end if one is past halfway, else a word."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[:limit]
    ends = [m.end() for m in _SENTENCE_END.finditer(head)]
    if ends and ends[-1] >= limit // 2:
        return head[: ends[-1]]
    cut = head[: limit - 1].rsplit(" ", 1)[0] if " " in head else head[: limit - 1]
    return cut.rstrip(" ,;:") + "…"


def summarize_tool(models: ModelRegistry, model: str) -> Tool:
    async def run(scope: Scope, args: SummarizeArgs) -> str:
        prompt = (
            "Summarize the user's text faithfully in plain prose, in at most "
            f"{args.max_length} characters. Reply with the summary only."
        )
        request = ModelRequest(
            model=model,
            messages=(ChatTurn("system", prompt), ChatTurn("user", args.text)),
            max_tokens=max(16, args.max_length // 3),
            temperature=0.0,
        )
        parts: list[str] = []
        try:
            async for event in models.stream(request):
                if isinstance(event, TextDelta):
                    parts.append(event.text)
        except ModelError as exc:
            raise tool_failed("summarize", f"the model failed: {exc.message}", grpc.StatusCode.UNAVAILABLE) from exc
        summary = fit("".join(parts), args.max_length)
        if not summary:
            raise tool_failed("summarize", "the model returned no text", grpc.StatusCode.UNAVAILABLE)
        return summary

    return Tool(
        "summarize",
        "Summarizes the text with the chat model, in at most maxLength characters.",
        SummarizeArgs,
        run,
    )
