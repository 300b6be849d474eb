"""The test upstream speaks the protocol the official openai SDK expects."""

from __future__ import annotations

import math

import httpx
import openai
import pytest

from tests.support.openai_upstream import OpenAIUpstream, ScriptedToolCall, status_fault

from .conftest import UPSTREAM_KEY


def sdk(upstream: OpenAIUpstream, api_key: str = UPSTREAM_KEY) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=upstream.base_url, api_key=api_key, max_retries=0)


async def test_streamed_chat_with_usage(upstream: OpenAIUpstream) -> None:
    async with sdk(upstream) as client:
        stream = await client.chat.completions.create(
            model="upstream-model",
            messages=[{"role": "user", "content": "ping pong"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [chunk async for chunk in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "echo: ping pong"
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.prompt_tokens == 2


async def test_non_streamed_chat_with_tool_calls(upstream: OpenAIUpstream) -> None:
    upstream.reply(tool_calls=(ScriptedToolCall("lookup", '{"id": 1}'),))
    async with sdk(upstream) as client:
        completion = await client.chat.completions.create(
            model="upstream-model", messages=[{"role": "user", "content": "find it"}]
        )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls is not None
    [call] = choice.message.tool_calls
    assert call.id == "call_0"
    assert call.function.name == "lookup"  # type: ignore[union-attr]
    assert completion.usage is not None


async def test_embeddings_and_models(upstream: OpenAIUpstream) -> None:
    async with sdk(upstream) as client:
        # The SDK asks for base64 by default and decodes it.
        embeddings = await client.embeddings.create(model="upstream-model", input=["a", "b"])
        models = await client.models.list()
    vectors = [item.embedding for item in embeddings.data]
    assert [len(v) for v in vectors] == [8, 8]
    assert vectors[0] != vectors[1]
    assert math.isclose(sum(x * x for x in vectors[0]), 1.0, rel_tol=1e-5)
    assert [m.id async for m in models] == ["upstream-model"]
    assert upstream.requests[0].body["encoding_format"] == "base64"


async def test_errors_use_the_openai_envelope(upstream: OpenAIUpstream) -> None:
    async with sdk(upstream, api_key="sk-wrong") as client:
        with pytest.raises(openai.AuthenticationError) as caught:
            await client.models.list()
    assert caught.value.code == "invalid_api_key"
    upstream.push_faults(status_fault(503))
    async with sdk(upstream) as client:
        with pytest.raises(openai.InternalServerError):
            await client.chat.completions.create(model="upstream-model", messages=[{"role": "user", "content": "x"}])


async def test_records_requests_and_rejects_unknown_routes(upstream: OpenAIUpstream) -> None:
    async with httpx.AsyncClient(base_url=upstream.base_url) as client:
        missing = await client.get("/nope")
        wrong_method = await client.get("/chat/completions")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    assert wrong_method.status_code == 405
    assert [(r.method, r.path) for r in upstream.requests] == [
        ("GET", "/v1/nope"),
        ("GET", "/v1/chat/completions"),
    ]
