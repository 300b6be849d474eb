"""chaozcode.v2.CodebaseService: analysis (deterministic) and the model's generate/review/fix."""

from __future__ import annotations

import asyncio

import grpc
from chorus_contracts.chaozcode.v2 import codebase_pb2, codebase_pb2_grpc
from google.protobuf.json_format import MessageToDict

from server.surfaces.chaozcode.codebase.analysis import SourceFile, analyze
from server.surfaces.chaozcode.codebase.assistant import CodeAssistant, ModelAnswer
from server.surfaces.chaozcode.codebase.limits import check_analysis
from server.surfaces.chaozcode.servicers.memory import caller_scope
from server.surfaces.chaozcode.servicers.query import usage_of

DEFAULT_DEPTH = "standard"


def _files(files: list[codebase_pb2.SourceFile]) -> list[SourceFile]:
    return [SourceFile(f.path, f.content) for f in files]


def _model(answer: ModelAnswer) -> dict[str, object]:
    return {"model": answer.model, "usage": usage_of(answer.usage)}


class ChaozCodeCodebaseService(codebase_pb2_grpc.CodebaseServiceServicer):
    def __init__(self, assistant: CodeAssistant) -> None:
        self._assistant = assistant

    async def AnalyzeCodebase(
        self, request: codebase_pb2.AnalyzeCodebaseRequest, context: grpc.aio.ServicerContext
    ) -> codebase_pb2.AnalyzeCodebaseResponse:
        files = _files(list(request.files))
        depth = request.depth or DEFAULT_DEPTH
        check_analysis(files, depth)
        # Parsing up to 900,000 characters takes a few hundred ms: in a worker thread, so the
        # event loop runs between files (the parsers hold the GIL while they parse).
        analysis = await asyncio.to_thread(analyze, files, request.language, depth)
        if depth == "deep":
            analysis.suggestions.extend(await self._assistant.deep_suggestions(caller_scope(), analysis, files))
        return codebase_pb2.AnalyzeCodebaseResponse(
            summary=codebase_pb2.CodebaseSummary(
                total_files=analysis.total_files,
                total_lines=analysis.total_lines,
                languages=analysis.languages,
                primary_language=analysis.primary_language,
            ),
            structure=codebase_pb2.CodebaseStructure(
                components=analysis.components, hooks=analysis.hooks, utils=analysis.utils, tests=analysis.tests
            ),
            dependencies=[
                codebase_pb2.Dependency(
                    name=d.name, version=d.version, ecosystem=d.ecosystem, manifest=d.manifest, kind=d.kind
                )
                for d in analysis.dependencies
            ],
            suggestions=[
                codebase_pb2.Suggestion(source=s.source, message=s.message, path=s.path) for s in analysis.suggestions
            ],
            parse_problems=[codebase_pb2.ParseProblem(path=p.path, message=p.message) for p in analysis.parse_problems],
        )

    async def GenerateCode(
        self, request: codebase_pb2.GenerateCodeRequest, context: grpc.aio.ServicerContext
    ) -> codebase_pb2.GenerateCodeResponse:
        generated = await self._assistant.generate(
            caller_scope(),
            request.task,
            _files(list(request.context)),
            request.language,
            MessageToDict(request.style) if request.HasField("style") else None,
            request.model,
        )
        return codebase_pb2.GenerateCodeResponse(
            language=generated.language,
            code=generated.code,
            explanation=generated.explanation,
            **_model(generated.answer),  # type: ignore[arg-type]
        )

    async def ReviewCode(
        self, request: codebase_pb2.ReviewCodeRequest, context: grpc.aio.ServicerContext
    ) -> codebase_pb2.ReviewCodeResponse:
        review = await self._assistant.review(
            caller_scope(), request.code, request.language, list(request.focus), request.model
        )
        return codebase_pb2.ReviewCodeResponse(
            language=review.language,
            summary=review.summary,
            issues=[
                codebase_pb2.ReviewIssue(
                    source=i.source,
                    category=i.category,
                    severity=i.severity,
                    line=i.line,
                    column=i.column,
                    rule=i.rule,
                    message=i.message,
                    suggestion=i.suggestion,
                )
                for i in review.issues
            ],
            analyzers=review.analyzers,
            **_model(review.answer),  # type: ignore[arg-type]
        )

    async def FixCode(
        self, request: codebase_pb2.FixCodeRequest, context: grpc.aio.ServicerContext
    ) -> codebase_pb2.FixCodeResponse:
        fix = await self._assistant.fix(
            caller_scope(), request.code, request.error, request.context, request.language, request.model
        )
        return codebase_pb2.FixCodeResponse(
            fixed_code=fix.fixed_code,
            explanation=fix.explanation,
            changes=fix.changes,
            **_model(fix.answer),  # type: ignore[arg-type]
        )
