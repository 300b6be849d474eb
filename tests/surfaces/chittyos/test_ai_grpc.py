"""The AI gateway over gRPC: the chat completion as a server stream, rich errors, grpcurl."""

from __future__ import annotations

import json
import struct
from collections.abc import AsyncIterator

import grpc
import pytest
from chorus_contracts.chittyos.ai.v1 import ai_pb2, ai_pb2_grpc
from google.protobuf import struct_pb2

from tests.support.chittyos_ai import CHAT_MODEL
from tests.support.chorus_process import ChorusProcess
from tests.support.grpc_status import error_info, field_violations
from tests.support.grpcurl import grpcurl

SERVICE = "chittyos.ai.v1.AiGatewayService"


@pytest.fixture
async def stub(chittyos: ChorusProcess) -> AsyncIterator[ai_pb2_grpc.AiGatewayServiceStub]:
    async with grpc.aio.insecure_channel(chittyos.grpc_addr) as channel:
        yield ai_pb2_grpc.AiGatewayServiceStub(channel)


def _user(text: str) -> ai_pb2.ChatMessage:
    return ai_pb2.ChatMessage(role="user", content=struct_pb2.Value(string_value=text))


async def test_streamed_completion_is_a_server_stream(stub: ai_pb2_grpc.AiGatewayServiceStub) -> None:
    request = ai_pb2.CreateChatCompletionRequest(
        model=CHAT_MODEL,
        messages=[_user("Stream over gRPC")],
        stream=True,
        stream_options=ai_pb2.StreamOptions(include_usage=True),
    )
    responses = [r async for r in stub.CreateChatCompletion(request)]
    assert {r.WhichOneof("event") for r in responses} == {"chunk"}
    chunks = [r.chunk for r in responses]
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert not chunks[-1].choices and chunks[-1].usage.total_tokens > 0
    text = "".join(c.choices[0].delta.content for c in chunks[1:-2])

    single = [
        r
        async for r in stub.CreateChatCompletion(
            ai_pb2.CreateChatCompletionRequest(model=CHAT_MODEL, messages=[_user("Stream over gRPC")])
        )
    ]
    assert [r.WhichOneof("event") for r in single] == ["completion"]
    completion = single[0].completion
    assert completion.object == "chat.completion" and completion.choices[0].message.content == text
    assert completion.usage == chunks[-1].usage


async def test_tool_call_chunk_over_grpc(stub: ai_pb2_grpc.AiGatewayServiceStub) -> None:
    tool = ai_pb2.Tool(type="function", function=ai_pb2.FunctionDefinition(name="lookup"))
    request = ai_pb2.CreateChatCompletionRequest(
        messages=[_user('/tool lookup {"q": "chitty"}')], tools=[tool], stream=True
    )
    chunks = [r.chunk async for r in stub.CreateChatCompletion(request)]
    [call] = [tc for c in chunks for tc in c.choices[0].delta.tool_calls]
    assert (call.index, call.type, call.function.name, call.function.arguments) == (
        0,
        "function",
        "lookup",
        '{"q": "chitty"}',
    )
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


async def test_errors_carry_openai_code_and_param(stub: ai_pb2_grpc.AiGatewayServiceStub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await stub.CreateChatCompletion(
            ai_pb2.CreateChatCompletionRequest(model="nope", messages=[_user("hi")], stream=True)
        ).read()
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    info = error_info(missing.value)
    assert info.reason == "MODEL_NOT_FOUND" and dict(info.metadata) == {"param": "model", "code": "model_not_found"}

    bad_role = ai_pb2.ChatMessage(role="robot", content=struct_pb2.Value(string_value="x"))
    with pytest.raises(grpc.aio.AioRpcError) as bad:
        await stub.CreateChatCompletion(ai_pb2.CreateChatCompletionRequest(messages=[bad_role])).read()
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_info(bad.value).metadata["param"] == "messages[0].role"
    violations = field_violations(bad.value)
    assert [v.field for v in violations] == ["messages.0.role"]


async def test_embeddings_models_and_health_over_grpc(stub: ai_pb2_grpc.AiGatewayServiceStub) -> None:
    texts = struct_pb2.Value(list_value=struct_pb2.ListValue(values=[struct_pb2.Value(string_value="a b")] * 2))
    embedded = await stub.CreateEmbeddings(ai_pb2.CreateEmbeddingsRequest(input=texts, dimensions=16))
    assert [d.index for d in embedded.data] == [0, 1]
    floats = embedded.data[0]
    assert len(floats.float64_values) == 16 * 8 and not floats.HasField("float32_values")
    packed = await stub.CreateEmbeddings(
        ai_pb2.CreateEmbeddingsRequest(input=texts, dimensions=16, encoding_format="base64")
    )
    assert len(packed.data[0].float32_values) == 16 * 4 and not packed.data[0].HasField("float64_values")
    doubles, singles = (
        struct.unpack(f"<16{kind}", raw)
        for kind, raw in (("d", floats.float64_values), ("f", packed.data[0].float32_values))
    )
    assert singles == pytest.approx(doubles, rel=1e-6, abs=1e-7)
    models = await stub.ListModels(ai_pb2.ListModelsRequest())
    assert CHAT_MODEL in [m.id for m in models.data]
    health = await stub.GetHealth(ai_pb2.GetHealthRequest())
    assert (health.status, health.service, health.models.primary) == ("healthy", "AI Gateway", CHAT_MODEL)


async def test_embeddings_at_the_documented_maximum_are_compact(chittyos: ChorusProcess) -> None:
    """2,048 vectors of 768 numbers as packed doubles: ~12.6 MB, within the
    server's 64 MiB limit (a client must raise gRPC's 4 MiB default)."""

    texts = struct_pb2.Value(
        list_value=struct_pb2.ListValue(values=[struct_pb2.Value(string_value=f"text {i}") for i in range(2048)])
    )
    options = (("grpc.max_receive_message_length", 64 * 1024 * 1024),)
    async with grpc.aio.insecure_channel(chittyos.grpc_addr, options=options) as channel:
        stub = ai_pb2_grpc.AiGatewayServiceStub(channel)
        embedded = await stub.CreateEmbeddings(ai_pb2.CreateEmbeddingsRequest(input=texts))
        assert len(embedded.data) == 2048 and all(len(d.float64_values) == 768 * 8 for d in embedded.data)
        assert embedded.ByteSize() < 2048 * 768 * 8 * 1.01
        found = await stub.GetModel(ai_pb2.GetModelRequest(model=CHAT_MODEL))
        assert (found.model.id, found.model.object) == (CHAT_MODEL, "model")
        with pytest.raises(grpc.aio.AioRpcError) as missing:
            await stub.GetModel(ai_pb2.GetModelRequest(model="nope"))
        assert missing.value.code() == grpc.StatusCode.NOT_FOUND
        assert error_info(missing.value).metadata["code"] == "model_not_found"


def test_grpcurl_lists_describes_and_streams(chittyos: ChorusProcess) -> None:
    assert SERVICE in grpcurl(chittyos.grpc_addr, "list").split()
    described = grpcurl(chittyos.grpc_addr, "describe", SERVICE)
    assert (
        "rpc CreateChatCompletion ( .chittyos.ai.v1.CreateChatCompletionRequest )"
        " returns ( stream .chittyos.ai.v1.CreateChatCompletionResponse )"
    ) in described
    out = grpcurl(
        chittyos.grpc_addr,
        f"{SERVICE}/CreateChatCompletion",
        data={"messages": [{"role": "user", "content": "grpcurl"}], "max_tokens": 2, "stream": True},
    )
    # grpcurl prints one JSON document per streamed message.
    decoder, messages, rest = json.JSONDecoder(), [], out.strip()
    while rest:
        message, end = decoder.raw_decode(rest)
        messages.append(message)
        rest = rest[end:].strip()
    assert [m["chunk"]["choices"][0]["delta"].get("content") for m in messages] == ["", "You", " said", None]
    assert messages[-1]["chunk"]["choices"][0]["finish_reason"] == "length"
