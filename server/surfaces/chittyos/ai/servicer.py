"""chittyos.ai.v1.AiGatewayService: the OpenAI-compatible AI gateway over the
completion and embedding domain services (proto <-> domain only)."""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

import grpc
from chorus_contracts.chittyos.ai.v1 import ai_pb2, ai_pb2_grpc
from google.protobuf import json_format, struct_pb2
from google.protobuf.message import Message

from server.platform.clock import Clock
from server.platform.models.types import ToolCall, Usage
from server.platform.struct_values import struct_to_dict, value_to_python
from server.surfaces.chittyos.ai.chat_input import (
    CompletionInput,
    MessageInput,
    ResponseFormatInput,
    ToolCallInput,
    ToolInput,
    plan_completion,
)
from server.surfaces.chittyos.ai.completions import (
    Closed,
    Completion,
    CompletionService,
    Opened,
    ReplyEvent,
    ReplyIdentity,
    TextPiece,
    ToolCallPiece,
)
from server.surfaces.chittyos.ai.embeddings import EmbeddingService
from server.surfaces.chittyos.ai.errors import model_not_found
from server.surfaces.chittyos.ai.model_catalog import ModelCard

SERVICE_NAME = "AI Gateway"
_CHUNK = "chat.completion.chunk"
_COMPLETION = "chat.completion"


class AiGatewayServicer(ai_pb2_grpc.AiGatewayServiceServicer):
    def __init__(
        self,
        completions: CompletionService,
        embeddings: EmbeddingService,
        models: tuple[ModelCard, ...],
        clock: Clock,
    ) -> None:
        self._completions = completions
        self._embeddings = embeddings
        self._models = ai_pb2.ListModelsResponse(
            object="list",
            data=[ai_pb2.Model(id=m.id, object="model", created=m.created, owned_by=m.owned_by) for m in models],
        )
        self._model_by_id = {m.id: m for m in self._models.data}
        self._clock = clock

    async def GetHealth(
        self, request: ai_pb2.GetHealthRequest, context: grpc.aio.ServicerContext
    ) -> ai_pb2.GetHealthResponse:
        return ai_pb2.GetHealthResponse(
            status="healthy",
            service=SERVICE_NAME,
            models=ai_pb2.HealthModels(
                primary=self._completions.primary_model, embedding=self._embeddings.default_model
            ),
            timestamp=_iso_ms(self._clock.now_ms()),
        )

    async def CreateChatCompletion(
        self, request: ai_pb2.CreateChatCompletionRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[ai_pb2.CreateChatCompletionResponse]:
        plan = plan_completion(_completion_input(request), self._completions.primary_model)
        reply = self._completions.open(plan)
        if not plan.stream:
            completion = await self._completions.complete(plan)
            yield ai_pb2.CreateChatCompletionResponse(completion=_completion(reply, completion))
            return
        usage: Usage | None = None
        async with aclosing(self._completions.stream(plan)) as events:
            async for event in events:
                yield ai_pb2.CreateChatCompletionResponse(chunk=_chunk(reply, event))
                if isinstance(event, Closed):
                    usage = event.usage
        if usage is not None and plan.include_usage:
            usage_chunk = _chunk_base(reply)
            usage_chunk.usage.CopyFrom(_usage(usage))
            yield ai_pb2.CreateChatCompletionResponse(chunk=usage_chunk)

    async def CreateEmbeddings(
        self, request: ai_pb2.CreateEmbeddingsRequest, context: grpc.aio.ServicerContext
    ) -> ai_pb2.CreateEmbeddingsResponse:
        batch = await self._embeddings.embed(
            request.model,
            _json_value(request, "input"),
            request.encoding_format,
            request.dimensions if request.HasField("dimensions") else None,
        )
        response = ai_pb2.CreateEmbeddingsResponse(object="list", model=batch.model)
        data = response.data
        packed = "float32_values" if batch.encoding == "base64" else "float64_values"
        for index, vector in enumerate(batch.vectors):
            data.add(object="embedding", index=index, **{packed: vector})
        response.usage.prompt_tokens = response.usage.total_tokens = batch.prompt_tokens
        return response

    async def ListModels(
        self, request: ai_pb2.ListModelsRequest, context: grpc.aio.ServicerContext
    ) -> ai_pb2.ListModelsResponse:
        return self._models

    async def GetModel(
        self, request: ai_pb2.GetModelRequest, context: grpc.aio.ServicerContext
    ) -> ai_pb2.GetModelResponse:
        model = self._model_by_id.get(request.model)
        if model is None:
            raise model_not_found(request.model)
        return ai_pb2.GetModelResponse(model=model)


# --- requests -------------------------------------------------------------------


def _json_value(message: Message, field: str) -> Any:
    """A Value/Struct field as plain JSON; None when absent (or JSON null)."""
    if not message.HasField(field):
        return None
    field_value = getattr(message, field)
    if isinstance(field_value, struct_pb2.Struct):
        return struct_to_dict(field_value)
    return value_to_python(field_value)


def _completion_input(request: ai_pb2.CreateChatCompletionRequest) -> CompletionInput:
    def optional(field: str) -> Any:
        return getattr(request, field) if request.HasField(field) else None

    options = request.stream_options
    form = request.response_format if request.HasField("response_format") else None
    return CompletionInput(
        model=request.model,
        messages=tuple(_message(m) for m in request.messages),
        max_tokens=optional("max_tokens"),
        max_completion_tokens=optional("max_completion_tokens"),
        temperature=optional("temperature"),
        top_p=optional("top_p"),
        n=optional("n"),
        stop=_json_value(request, "stop"),
        stream=request.stream,
        has_stream_options=request.HasField("stream_options"),
        include_usage=options.include_usage,
        tools=tuple(_tool(t) for t in request.tools),
        tool_choice=_json_value(request, "tool_choice"),
        parallel_tool_calls=optional("parallel_tool_calls"),
        presence_penalty=optional("presence_penalty"),
        frequency_penalty=optional("frequency_penalty"),
        seed=optional("seed"),
        response_format=_response_format(form) if form is not None else None,
        functions=tuple(_function_tool(f) for f in request.functions),
        function_call=_json_value(request, "function_call"),
        upstream_only=_upstream_only(request),
    )


def _response_format(form: ai_pb2.ResponseFormat) -> ResponseFormatInput:
    schema = form.json_schema
    return ResponseFormatInput(
        type=form.type,
        has_json_schema=form.HasField("json_schema"),
        name=schema.name,
        description=schema.description,
        schema=_json_value(schema, "schema"),
        strict=schema.strict if schema.HasField("strict") else None,
    )


# Scalars and repeated/map fields that only upstream models use, by JSON name.
_UPSTREAM_SCALARS = (
    "logprobs",
    "top_logprobs",
    "store",
    "service_tier",
    "user",
    "prompt_cache_key",
    "prompt_cache_retention",
    "reasoning_effort",
    "safety_identifier",
    "verbosity",
)
_UPSTREAM_MESSAGES = ("audio", "prediction", "prompt_cache_options", "web_search_options", "moderation")


def _upstream_only(request: ai_pb2.CreateChatCompletionRequest) -> dict[str, Any]:
    """The given upstream-only parameters as OpenAI's JSON (empty strings are absent)."""
    extra: dict[str, Any] = {}
    for name in _UPSTREAM_SCALARS:
        value = getattr(request, name)
        if isinstance(value, str):
            if value:
                extra[name] = value
        elif request.HasField(name):
            extra[name] = value
    for name in _UPSTREAM_MESSAGES:
        if request.HasField(name):
            extra[name] = json_format.MessageToDict(getattr(request, name), preserving_proto_field_name=True)
    if request.logit_bias:
        extra["logit_bias"] = dict(request.logit_bias)
    if request.metadata:
        extra["metadata"] = dict(request.metadata)
    if request.modalities:
        extra["modalities"] = list(request.modalities)
    return extra


def _function_tool(
    function: ai_pb2.FunctionDefinition, tool_type: str = "function", has_function: bool = True
) -> ToolInput:
    """A deprecated `functions` entry, or (with its `type`) a tool's `function`."""
    return ToolInput(
        type=tool_type,
        name=function.name,
        description=function.description,
        parameters=_json_value(function, "parameters"),
        has_function=has_function,
    )


def _message(message: ai_pb2.ChatMessage) -> MessageInput:
    content = message.content
    return MessageInput(
        role=message.role,
        content=None if content.WhichOneof("kind") in (None, "null_value") else value_to_python(content),
        name=message.name,
        tool_calls=tuple(
            ToolCallInput(c.id, c.type, c.function.name, c.function.arguments) for c in message.tool_calls
        ),
        tool_call_id=message.tool_call_id,
        refusal=message.refusal if message.HasField("refusal") else None,
    )


def _tool(tool: ai_pb2.Tool) -> ToolInput:
    return _function_tool(tool.function, tool.type, tool.HasField("function"))


# --- responses ------------------------------------------------------------------


def _usage(usage: Usage) -> ai_pb2.CompletionUsage:
    return ai_pb2.CompletionUsage(
        prompt_tokens=usage.prompt_tokens,
        completion_tokens=usage.completion_tokens,
        total_tokens=usage.total_tokens,
    )


def _tool_call(call: ToolCall) -> ai_pb2.ToolCall:
    return ai_pb2.ToolCall(
        id=call.id, type="function", function=ai_pb2.FunctionCall(name=call.name, arguments=call.arguments)
    )


def _completion(reply: ReplyIdentity, completion: Completion) -> ai_pb2.ChatCompletion:
    choices = [
        ai_pb2.ChatCompletionChoice(
            index=index,
            message=ai_pb2.AssistantMessage(
                role="assistant", content=choice.text, tool_calls=[_tool_call(c) for c in choice.tool_calls]
            ),
            finish_reason=choice.finish_reason,
        )
        for index, choice in enumerate(completion.choices)
    ]
    return ai_pb2.ChatCompletion(
        id=reply.id,
        object=_COMPLETION,
        created=reply.created,
        model=reply.model,
        choices=choices,
        usage=_usage(completion.usage),
        system_fingerprint=reply.system_fingerprint,
    )


def _chunk_base(reply: ReplyIdentity) -> ai_pb2.ChatCompletionChunk:
    return ai_pb2.ChatCompletionChunk(
        id=reply.id,
        object=_CHUNK,
        created=reply.created,
        model=reply.model,
        system_fingerprint=reply.system_fingerprint,
    )


def _chunk(reply: ReplyIdentity, event: ReplyEvent) -> ai_pb2.ChatCompletionChunk:
    chunk = _chunk_base(reply)
    choice = chunk.choices.add(index=event.choice)
    delta = choice.delta
    delta.SetInParent()  # the finishing chunk's delta is `{}`, present but empty
    if isinstance(event, Opened):
        delta.role = "assistant"
        if event.with_text:
            delta.content = ""
    elif isinstance(event, TextPiece):
        delta.content = event.text
    elif isinstance(event, ToolCallPiece):
        call = event.call
        delta.tool_calls.add(
            index=event.index,
            id=call.id,
            type="function",
            function=ai_pb2.FunctionCallDelta(name=call.name, arguments=call.arguments),
        )
    else:
        choice.finish_reason = event.finish_reason
    return chunk


def _iso_ms(ms: int) -> str:
    """RFC 3339 UTC with milliseconds, as JavaScript's toISOString writes it."""
    moment = datetime.datetime.fromtimestamp(ms // 1000, tz=datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
