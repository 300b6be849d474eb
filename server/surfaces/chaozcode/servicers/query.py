"""chaozcode.v2.QueryService and ModelService: prompts to catalog models, and the catalog."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
from chorus_contracts.chaozcode.v2 import query_pb2, query_pb2_grpc
from google.protobuf.json_format import MessageToDict

from server.platform.admission.call import current_tenant_id
from server.platform.document_enums import DocumentEnum
from server.platform.models.types import ChatTurn, Usage
from server.platform.scope import Scope
from server.surfaces.chaozcode.chat import ConversationChat
from server.surfaces.chaozcode.query import Answer, Delta, QueryEngine, QueryParams, Started
from server.surfaces.chaozcode.servicers.common import grant, timestamp

QUERY = "POST /query"
STREAM = "POST /query/stream"
CHAT_ROLE = DocumentEnum(query_pb2.ChatRole)


def params_of(request: query_pb2.QueryRequest) -> QueryParams:
    return QueryParams(
        model=request.model,
        system_prompt=request.system_prompt,
        temperature=request.temperature if request.HasField("temperature") else None,
        max_tokens=request.max_tokens if request.HasField("max_tokens") else None,
        top_p=request.top_p if request.HasField("top_p") else None,
        stop=tuple(request.stop),
        context=MessageToDict(request.context) if request.HasField("context") else None,
    )


def usage_of(usage: Usage) -> query_pb2.TokenUsage:
    return query_pb2.TokenUsage(
        prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens, total_tokens=usage.total_tokens
    )


def result_of(answer: Answer) -> query_pb2.QueryResult:
    return query_pb2.QueryResult(
        id=answer.id,
        text=answer.text,
        model=answer.model,
        usage=usage_of(answer.usage),
        finish_reason=answer.finish_reason,
        created_at=timestamp(answer.created_at_ms),
    )


class ChaozCodeQueryService(query_pb2_grpc.QueryServiceServicer):
    def __init__(self, engine: QueryEngine, chat: ConversationChat) -> None:
        self._engine = engine
        self._chat = chat

    async def Chat(
        self, request: query_pb2.ChatRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[query_pb2.ChatResponse]:
        params = QueryParams(
            model=request.model,
            temperature=request.temperature if request.HasField("temperature") else None,
            max_tokens=request.max_tokens if request.HasField("max_tokens") else None,
            top_p=request.top_p if request.HasField("top_p") else None,
        )
        messages = [ChatTurn(CHAT_ROLE.text(m.role), m.content) for m in request.messages]
        resume = request.conversation_id if request.HasField("conversation_id") else None
        scope = Scope(current_tenant_id(), grant().user_id)
        conversation, events = await self._chat.turn(scope, messages, params, resume)
        streaming = request.HasField("stream") and request.stream
        async for event in events:
            if isinstance(event, Answer):
                if streaming:
                    yield query_pb2.ChatResponse(done=query_pb2.QueryDone(usage=usage_of(event.usage)))
                else:
                    result = result_of(event)
                    yield query_pb2.ChatResponse(
                        result=query_pb2.ChatResult(
                            id=result.id,
                            conversation_id=conversation,
                            text=result.text,
                            model=result.model,
                            usage=result.usage,
                            finish_reason=result.finish_reason,
                            created_at=result.created_at,
                        )
                    )
            elif not streaming:
                continue
            elif isinstance(event, Started):
                yield query_pb2.ChatResponse(start=query_pb2.ChatStart(id=event.id, conversation_id=conversation))
            else:
                yield query_pb2.ChatResponse(delta=query_pb2.QueryDelta(content=event.content))

    def _run(self, request: query_pb2.QueryRequest, endpoint: str) -> AsyncIterator[Started | Delta | Answer]:
        params = params_of(request)
        entry = self._engine.check_prompt(request.prompt, params)
        turns = [ChatTurn("user", request.prompt)]
        return self._engine.run(current_tenant_id(), grant().user_id, endpoint, entry, params, turns)

    async def Query(
        self, request: query_pb2.QueryRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[query_pb2.QueryResponse]:
        streaming = request.HasField("stream") and request.stream
        async for event in self._run(request, QUERY):
            if isinstance(event, Answer):
                if streaming:
                    yield query_pb2.QueryResponse(done=query_pb2.QueryDone(usage=usage_of(event.usage)))
                else:
                    yield query_pb2.QueryResponse(result=result_of(event))
            elif not streaming:
                continue
            elif isinstance(event, Started):
                yield query_pb2.QueryResponse(start=query_pb2.QueryStart(id=event.id))
            else:
                yield query_pb2.QueryResponse(delta=query_pb2.QueryDelta(content=event.content))

    async def StreamQuery(
        self, request: query_pb2.StreamQueryRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[query_pb2.StreamQueryResponse]:
        async for event in self._run(request.query, STREAM):
            if isinstance(event, Started):
                yield query_pb2.StreamQueryResponse(start=query_pb2.QueryStart(id=event.id))
            elif isinstance(event, Delta):
                yield query_pb2.StreamQueryResponse(delta=query_pb2.QueryDelta(content=event.content))
            else:
                yield query_pb2.StreamQueryResponse(done=query_pb2.QueryDone(usage=usage_of(event.usage)))


class ChaozCodeModelService(query_pb2_grpc.ModelServiceServicer):
    def __init__(self, engine: QueryEngine) -> None:
        self._catalog = engine.catalog

    async def ListModels(
        self, request: query_pb2.ListModelsRequest, context: grpc.aio.ServicerContext
    ) -> query_pb2.ListModelsResponse:
        return query_pb2.ListModelsResponse(
            models=[
                query_pb2.Model(
                    id=e.id,
                    name=e.name,
                    provider=e.provider,
                    context_window=e.context_window,
                    input_price=e.input_price,
                    output_price=e.output_price,
                    capabilities=e.capabilities,
                )
                for e in self._catalog.entries
            ]
        )
