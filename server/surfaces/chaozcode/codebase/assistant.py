"""Generate, review and fix code through the model, with structured answers.

Each asks the catalog model (the request's `model`, else the default) for
JSON following a schema (`response_format` json_schema), through the query
engine, so usage is metered like `/v2/query`'s under the route's endpoint.
A reply that is not the JSON asked for is still an answer: its text becomes
the explanation (or the summary), never a 500. Review merges the model's
issues with the real analyser's (ruff, on Python), each tagged by source,
and keeps only the `focus` areas. Code is sent to the model and to ruff as
text: nothing is ever executed.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from server.platform.errors import ChorusError, FieldViolation, invalid_argument, unavailable
from server.platform.models.types import ChatTurn, ResponseFormat, Usage
from server.platform.scope import Scope
from server.surfaces.chaozcode.codebase.analysis import Analysis, SourceFile, Suggestion
from server.surfaces.chaozcode.codebase.ruff_check import AnalyserFailed, ruff_findings
from server.surfaces.chaozcode.query import Answer, QueryEngine, QueryParams, missing

AREAS = ("security", "performance", "style", "bugs")
SEVERITIES = ("error", "warning", "info")
MAX_CODE = 100_000
MAX_TASK = 20_000
MAX_ERROR = 20_000
MAX_CONTEXT_FILES, MAX_CONTEXT_CHARS = 50, 200_000
# Files and characters of an analysis shown to the model at `deep`.
_DEEP_FILES, _DEEP_CHARS = 20, 40_000

_REVIEW_SCHEMA = {
    "type": "object",
    "properties": {
        "summary": {"type": "string"},
        "issues": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "category": {"type": "string", "enum": list(AREAS)},
                    "severity": {"type": "string", "enum": list(SEVERITIES)},
                    "line": {"type": "integer"},
                    "message": {"type": "string"},
                    "suggestion": {"type": "string"},
                },
                "required": ["category", "severity", "line", "message", "suggestion"],
            },
        },
    },
    "required": ["summary", "issues"],
}
_GENERATE_SCHEMA = {
    "type": "object",
    "properties": {"language": {"type": "string"}, "code": {"type": "string"}, "explanation": {"type": "string"}},
    "required": ["language", "code", "explanation"],
}
_FIX_SCHEMA = {
    "type": "object",
    "properties": {
        "fixedCode": {"type": "string"},
        "explanation": {"type": "string"},
        "changes": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["fixedCode", "explanation", "changes"],
}
_SUGGESTIONS_SCHEMA = {
    "type": "object",
    "properties": {"suggestions": {"type": "array", "items": {"type": "string"}}},
    "required": ["suggestions"],
}


@dataclass(frozen=True, slots=True)
class ModelAnswer:
    data: dict[str, Any]  # {} when the reply was not the JSON asked for
    text: str
    model: str
    usage: Usage


@dataclass(frozen=True, slots=True)
class Generated:
    language: str
    code: str
    explanation: str
    answer: ModelAnswer


@dataclass(frozen=True, slots=True)
class Issue:
    source: str  # "ruff" or "model"
    category: str
    severity: str
    line: int
    column: int
    rule: str
    message: str
    suggestion: str


@dataclass(frozen=True, slots=True)
class Review:
    language: str
    summary: str
    issues: list[Issue]
    analyzers: list[str]
    answer: ModelAnswer


@dataclass(frozen=True, slots=True)
class Fix:
    fixed_code: str
    explanation: str
    changes: list[str]
    answer: ModelAnswer


def _too_long(name: str, limit: int) -> ChorusError:
    return invalid_argument(f"{name} must be at most {limit:,} characters", (FieldViolation(name, "too_long"),))


def _code(code: str, name: str = "code") -> None:
    if not code.strip():
        raise missing(name)
    if len(code) > MAX_CODE:
        raise _too_long(name, MAX_CODE)


def detect_language(code: str, language: str) -> str:
    """The language given, else "python" when the code parses as Python, else ""."""
    if language:
        return language.lower()
    try:
        ast.parse(code)
    except (SyntaxError, ValueError):
        return ""
    return "python"


class CodeAssistant:
    def __init__(self, engine: QueryEngine) -> None:
        self._engine = engine

    async def ask(
        self, scope: Scope, endpoint: str, model: str, system: str, prompt: str, schema: dict[str, Any], name: str
    ) -> ModelAnswer:
        params = QueryParams(
            model=model,
            system_prompt=system,
            temperature=0.2,
            response_format=ResponseFormat("json_schema", name=name, schema=schema, strict=True),
        )
        entry = self._engine.check(params)
        answer: Answer | None = None
        events = self._engine.run(scope.tenant_id, scope.owner_id, endpoint, entry, params, [ChatTurn("user", prompt)])
        async for event in events:
            if isinstance(event, Answer):
                answer = event
        assert answer is not None, "the query engine ends with the answer"
        try:
            data = orjson.loads(answer.text)
        except orjson.JSONDecodeError:
            data = None
        return ModelAnswer(data if isinstance(data, dict) else {}, answer.text, answer.model, answer.usage)

    async def generate(
        self,
        scope: Scope,
        task: str,
        context: Sequence[SourceFile] = (),
        language: str = "",
        style: dict[str, Any] | None = None,
        model: str = "",
    ) -> Generated:
        if not task.strip():
            raise missing("task")
        if len(task) > MAX_TASK:
            raise _too_long("task", MAX_TASK)
        if len(context) > MAX_CONTEXT_FILES or sum(len(f.content) for f in context) > MAX_CONTEXT_CHARS:
            raise invalid_argument(
                f"context takes at most {MAX_CONTEXT_FILES} files of {MAX_CONTEXT_CHARS:,} characters in all",
                (FieldViolation("context", "too_large"),),
            )
        parts = [f"Task: {task}"]
        if language:
            parts.append(f"Language: {language}")
        if style:
            parts.append(f"Style preferences (JSON): {orjson.dumps(style).decode()}")
        parts.extend(f"File {f.path}:\n```\n{f.content}\n```" for f in context)
        answer = await self.ask(
            scope,
            "POST /codebase/generate",
            model,
            "You write code for the task. Answer with JSON: the language, the code, and a short explanation.",
            "\n\n".join(parts),
            _GENERATE_SCHEMA,
            "generated_code",
        )
        data = answer.data
        return Generated(
            _text(data.get("language")) or language,
            _text(data.get("code")),
            _text(data.get("explanation")) or (answer.text if not data else ""),
            answer,
        )

    async def review(
        self, scope: Scope, code: str, language: str = "", focus: Sequence[str] = (), model: str = ""
    ) -> Review:
        _code(code)
        unknown = [area for area in focus if area not in AREAS]
        if unknown:
            raise invalid_argument(
                f"focus takes {', '.join(AREAS)}; not {', '.join(unknown)}", (FieldViolation("focus", "invalid"),)
            )
        language = detect_language(code, language)
        areas = set(focus) or set(AREAS)
        issues: list[Issue] = []
        analyzers: list[str] = []
        if language == "python":
            try:
                findings = await ruff_findings(code)
            except AnalyserFailed as exc:
                raise unavailable(f"The analyser failed: {exc}", "SERVICE_UNAVAILABLE") from exc
            analyzers.append("ruff")
            issues.extend(
                Issue("ruff", f.category, f.severity, f.line, f.column, f.rule, f.message, f.suggestion)
                for f in findings
            )
        focus_text = ", ".join(sorted(areas))
        answer = await self.ask(
            scope,
            "POST /codebase/review",
            model,
            f"You review code for {focus_text}. Answer with JSON: a summary and the issues you find,"
            " each with its category, severity, line, message and a suggested fix.",
            f"Language: {language or 'unknown'}\n\n```\n{code}\n```",
            _REVIEW_SCHEMA,
            "code_review",
        )
        issues.extend(_model_issues(answer.data.get("issues")))
        kept = [issue for issue in issues if issue.category in areas]
        summary = _text(answer.data.get("summary")) or (answer.text if not answer.data else "")
        return Review(language, summary, kept, analyzers, answer)

    async def fix(
        self, scope: Scope, code: str, error: str = "", context: str = "", language: str = "", model: str = ""
    ) -> Fix:
        _code(code)
        if len(error) > MAX_ERROR:
            raise _too_long("error", MAX_ERROR)
        if len(context) > MAX_CODE:
            raise _too_long("context", MAX_CODE)
        parts = [f"Language: {detect_language(code, language) or 'unknown'}", f"```\n{code}\n```"]
        if error:
            parts.append(f"Error: {error}")
        if context:
            parts.append(f"Context: {context}")
        answer = await self.ask(
            scope,
            "POST /codebase/fix",
            model,
            "You fix the code's issue. Answer with JSON: the whole fixed code, an explanation,"
            " and the changes made, one line each.",
            "\n\n".join(parts),
            _FIX_SCHEMA,
            "code_fix",
        )
        data = answer.data
        changes = data.get("changes")
        return Fix(
            _text(data.get("fixedCode")),
            _text(data.get("explanation")) or (answer.text if not data else ""),
            [c for c in changes if isinstance(c, str)] if isinstance(changes, list) else [],
            answer,
        )

    async def deep_suggestions(self, scope: Scope, analysis: Analysis, files: Sequence[SourceFile]) -> list[Suggestion]:
        """The model's suggestions on an analysis (depth `deep`), tagged "model"."""
        summary = {
            "languages": analysis.languages,
            "structure": {
                "components": analysis.components,
                "hooks": analysis.hooks,
                "utils": analysis.utils,
                "tests": analysis.tests,
            },
            "dependencies": [d.name for d in analysis.dependencies],
        }
        shown, budget = [], _DEEP_CHARS
        for source in files[:_DEEP_FILES]:
            excerpt = source.content[: max(0, budget)]
            budget -= len(excerpt)
            shown.append(f"File {source.path}:\n```\n{excerpt}\n```")
        answer = await self.ask(
            scope,
            "POST /codebase/analyze",
            "",
            "You suggest improvements to a codebase. Answer with JSON: a list of short suggestions.",
            f"Analysis (JSON): {orjson.dumps(summary).decode()}\n\n" + "\n\n".join(shown),
            _SUGGESTIONS_SCHEMA,
            "codebase_suggestions",
        )
        found = answer.data.get("suggestions")
        return [Suggestion("model", s) for s in found if isinstance(s, str) and s] if isinstance(found, list) else []


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _model_issues(raw: Any) -> list[Issue]:
    """The model's issues that have a known area and a message (others are dropped)."""
    issues = []
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict):
            continue
        category, message = item.get("category"), _text(item.get("message"))
        if category not in AREAS or not message:
            continue
        severity = item.get("severity") if item.get("severity") in SEVERITIES else "warning"
        raw_line = item.get("line")
        line = raw_line if isinstance(raw_line, int) and raw_line > 0 else 0
        issues.append(Issue("model", category, str(severity), line, 0, "", message, _text(item.get("suggestion"))))
    return issues
