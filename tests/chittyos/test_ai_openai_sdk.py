"""The official `openai` SDK (sync and async) against the AI gateway's builtin models."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import openai
import pytest

from tests.chittyos.ai_constants import AI_HOST as HOST
from tests.chittyos.ai_constants import CHAT_MODEL, EMBEDDING_MODEL
from tests.chittyos.ai_constants import WEATHER_TOOL as WEATHER
from tests.support.chorus_process import ChorusProcess


@pytest.fixture(scope="module")
def client(chittyos: ChorusProcess) -> Iterator[openai.OpenAI]:
    # The gateway takes no credential; the SDK insists on some api_key.
    with openai.OpenAI(
        base_url=f"{chittyos.rest_url}/v1", api_key="unused", default_headers=HOST, max_retries=0, timeout=30
    ) as sdk:
        yield sdk


@pytest.fixture
async def async_client(chittyos: ChorusProcess) -> AsyncIterator[openai.AsyncOpenAI]:
    async with openai.AsyncOpenAI(
        base_url=f"{chittyos.rest_url}/v1", api_key="unused", default_headers=HOST, max_retries=0, timeout=30
    ) as sdk:
        yield sdk


def test_sync_completion(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model=CHAT_MODEL,
        messages=[
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "What is ChittyOS?"},
        ],
        max_tokens=256,
        temperature=0.7,
    )
    assert completion.object == "chat.completion" and completion.id.startswith("chatcmpl-")
    assert completion.model == CHAT_MODEL
    [choice] = completion.choices
    assert choice.finish_reason == "stop" and choice.message.role == "assistant"
    assert choice.message.content is not None and 'You said: "What is ChittyOS?"' in choice.message.content
    assert choice.message.tool_calls is None
    assert completion.usage is not None and completion.usage.total_tokens > 0


def test_sync_stream_with_usage(client: openai.OpenAI) -> None:
    messages: Any = [{"role": "user", "content": "Explain ChittyOS"}]
    whole = client.chat.completions.create(model=CHAT_MODEL, messages=messages)
    stream = client.chat.completions.create(
        model=CHAT_MODEL, messages=messages, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage == whole.usage


def test_sync_stream_helper_accumulates_tool_calls(client: openai.OpenAI) -> None:
    with client.chat.completions.stream(
        model=CHAT_MODEL,
        messages=[{"role": "user", "content": '/tool get_weather {"city": "Berlin"}'}],
        tools=[WEATHER],
    ) as stream:
        final = stream.get_final_completion()
    [choice] = final.choices
    assert choice.finish_reason == "tool_calls"
    [call] = choice.message.tool_calls or []
    assert call.type == "function" and call.id.startswith("call_")
    assert call.function.name == "get_weather" and call.function.arguments == '{"city": "Berlin"}'


def test_sync_tool_loop_round_trips_sdk_objects(client: openai.OpenAI) -> None:
    messages: list[Any] = [{"role": "user", "content": '/tool get_weather {"city": "Rome"}'}]
    first = client.chat.completions.create(model=CHAT_MODEL, messages=messages, tools=[WEATHER])
    message = first.choices[0].message
    assert message.content is None and message.tool_calls
    # The SDK's own message object goes back as the assistant turn.
    messages += [message, {"role": "tool", "tool_call_id": message.tool_calls[0].id, "content": "22C, clear"}]
    second = client.chat.completions.create(model=CHAT_MODEL, messages=messages, tools=[WEATHER])
    assert second.choices[0].finish_reason == "stop"
    assert 'The get_weather tool returned "22C, clear"' in (second.choices[0].message.content or "")


def test_sync_embeddings_string_and_array(client: openai.OpenAI) -> None:
    single = client.embeddings.create(model=EMBEDDING_MODEL, input="ChittyOS platform documentation")
    assert single.object == "list" and single.model == EMBEDDING_MODEL
    assert len(single.data) == 1 and len(single.data[0].embedding) == 768
    # Without encoding_format the SDK asks for base64 and decodes it itself.
    texts = ["Text to embed", "ChittyOS platform documentation"]
    raw = client.embeddings.with_raw_response.create(model=EMBEDDING_MODEL, input=texts)
    assert isinstance(raw.http_response.json()["data"][0]["embedding"], str)
    batch = raw.parse()
    assert [d.index for d in batch.data] == [0, 1]
    assert batch.data[1].embedding == pytest.approx(single.data[0].embedding, rel=1e-6, abs=1e-7)
    floats = client.embeddings.create(model=EMBEDDING_MODEL, input=texts[:1], encoding_format="float")
    assert floats.data[0].embedding == pytest.approx(batch.data[0].embedding, rel=1e-6, abs=1e-7)
    assert batch.usage.prompt_tokens == batch.usage.total_tokens > 0
    small = client.embeddings.create(model=EMBEDDING_MODEL, input="tiny", dimensions=32)
    assert len(small.data[0].embedding) == 32


def test_sync_models_list(client: openai.OpenAI) -> None:
    models = {m.id: m for m in client.models.list()}
    assert {CHAT_MODEL, EMBEDDING_MODEL} <= set(models)
    assert models[CHAT_MODEL].owned_by == "chorus" and models[CHAT_MODEL].object == "model"


def test_sync_errors_raise_the_right_exception_classes(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as missing:
        client.chat.completions.create(model="gpt-unknown", messages=[{"role": "user", "content": "hi"}])
    assert missing.value.status_code == 404 and missing.value.code == "model_not_found"
    with pytest.raises(openai.NotFoundError) as missing_stream:
        client.chat.completions.create(model="gpt-unknown", messages=[{"role": "user", "content": "hi"}], stream=True)
    assert missing_stream.value.code == "model_not_found"
    with pytest.raises(openai.BadRequestError) as bad:
        client.chat.completions.create(model=CHAT_MODEL, messages=[{"role": "user", "content": "hi"}], n=3)
    assert bad.value.code == "invalid_value" and bad.value.param == "n"
    with pytest.raises(openai.BadRequestError) as unknown:
        client.chat.completions.create(model=CHAT_MODEL, messages=[{"role": "user", "content": "hi"}], seed=4)
    assert unknown.value.code == "unknown_parameter" and unknown.value.param == "seed"
    with pytest.raises(openai.NotFoundError) as no_embedder:
        client.embeddings.create(model="text-embedding-3-large", input="x")
    assert no_embedder.value.code == "model_not_found"
    with pytest.raises(openai.BadRequestError) as empty:
        client.embeddings.create(model=EMBEDDING_MODEL, input="")
    assert empty.value.param == "input"


async def test_async_completion_stream_and_embeddings(async_client: openai.AsyncOpenAI) -> None:
    messages: Any = [{"role": "user", "content": "Async hello"}]
    whole = await async_client.chat.completions.create(model=CHAT_MODEL, messages=messages)
    stream = await async_client.chat.completions.create(model=CHAT_MODEL, messages=messages, stream=True)
    pieces = [c.choices[0].delta.content or "" async for c in stream if c.choices]
    assert "".join(pieces) == whole.choices[0].message.content
    embedded = await async_client.embeddings.create(model=EMBEDDING_MODEL, input=["a b", "c d"])
    assert len(embedded.data) == 2
    page = await async_client.models.list()
    assert CHAT_MODEL in [m.id for m in page.data]


async def test_async_tool_call_deltas(async_client: openai.AsyncOpenAI) -> None:
    stream = await async_client.chat.completions.create(
        model=CHAT_MODEL,
        messages=[{"role": "user", "content": '/tool get_weather {"city": "Kyiv"}'}],
        tools=[WEATHER],
        tool_choice="auto",
        stream=True,
    )
    deltas = [c.choices[0] async for c in stream if c.choices]
    calls = [tc for d in deltas for tc in d.delta.tool_calls or []]
    assert [(c.index, c.function.name if c.function else None) for c in calls] == [(0, "get_weather")]
    assert deltas[-1].finish_reason == "tool_calls"


async def test_async_errors(async_client: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as missing:
        await async_client.chat.completions.create(model="nope", messages=[{"role": "user", "content": "hi"}])
    assert missing.value.code == "model_not_found"
    with pytest.raises(openai.BadRequestError) as bad:
        await async_client.chat.completions.create(
            model=CHAT_MODEL, messages=[{"role": "user", "content": "x"}], temperature=5
        )
    assert bad.value.param == "temperature"
