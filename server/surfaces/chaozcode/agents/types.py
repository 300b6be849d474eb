"""The agent types (spec 001: explore, task, code-review, general-purpose): what each
is told, which tools it has and how many tool rounds it may take."""

from __future__ import annotations

from dataclasses import dataclass

from server.surfaces.chaozcode.agents.tools import (
    ANALYZE_CODE,
    GET_PROJECT,
    LIST_PROJECTS,
    MEMORY_CONTEXT,
    SEARCH_MEMORY,
)


@dataclass(frozen=True, slots=True)
class AgentType:
    name: str
    description: str
    capabilities: tuple[str, ...]
    tools: tuple[str, ...]
    instructions: str
    max_tool_rounds: int = 4


AGENT_TYPES = {
    t.name: t
    for t in (
        AgentType(
            "explore",
            "Explores the user's projects and their settings to answer a question about them.",
            ("project-discovery", "settings-lookup", "memory-search", "keyword-extraction"),
            (LIST_PROJECTS, GET_PROJECT, SEARCH_MEMORY, "extract_keywords", "word_count"),
            "You explore the user's projects. Find what the question is about and report what you found.",
        ),
        AgentType(
            "task",
            "Carries out a described task with the user's project settings at hand, and summarizes the outcome.",
            ("task-execution", "settings-lookup", "memory-context", "summarization"),
            (LIST_PROJECTS, GET_PROJECT, MEMORY_CONTEXT, "summarize"),
            "You carry out the user's task step by step and report the outcome briefly.",
        ),
        AgentType(
            "code-review",
            "Reviews code given in the prompt against the project's settings (language, style, lint rules).",
            ("code-review", "code-analysis", "language-detection", "settings-lookup"),
            (GET_PROJECT, ANALYZE_CODE, "detect_language", "extract_keywords", "word_count"),
            "You review the code in the prompt for bugs, security, performance and style, and list the issues.",
        ),
        AgentType(
            "general-purpose",
            "Any task, with every tool the other types have.",
            (
                "project-discovery",
                "settings-lookup",
                "memory-search",
                "memory-context",
                "code-analysis",
                "summarization",
                "language-detection",
                "keyword-extraction",
            ),
            (
                LIST_PROJECTS,
                GET_PROJECT,
                SEARCH_MEMORY,
                MEMORY_CONTEXT,
                ANALYZE_CODE,
                "summarize",
                "detect_language",
                "extract_keywords",
                "word_count",
            ),
            "You are a general-purpose assistant with tools over the user's projects, memories and text.",
            max_tool_rounds=6,
        ),
    )
}
