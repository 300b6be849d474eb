"""The official `openai` SDK (sync and async) against the AI gateway's builtin models."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import jsonschema
import openai
import pytest

from tests.support.chittyos_ai import AI_HOST as HOST
from tests.support.chittyos_ai import CHAT_MODEL, EMBEDDING_MODEL
from tests.support.chittyos_ai import WEATHER_TOOL as WEATHER
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
        client.chat.completions.create(model=CHAT_MODEL, messages=[{"role": "user", "content": "hi"}], n=0)
    assert bad.value.code == "invalid_value" and bad.value.param == "n"
    with pytest.raises(openai.BadRequestError) as unknown:
        client.chat.completions.create(
            model=CHAT_MODEL, messages=[{"role": "user", "content": "hi"}], extra_body={"sed": 4}
        )
    assert unknown.value.code == "unknown_parameter" and unknown.value.param == "sed"
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


# --- the rest of the Chat Completions API, models.retrieve, embeddings at the maximum ---


def test_models_retrieve(client: openai.OpenAI) -> None:
    # The SDK percent-encodes the slashes of the document's ids ("@cf%2Fmeta%2F...").
    model = client.models.retrieve(CHAT_MODEL)
    assert (model.id, model.object, model.owned_by) == (CHAT_MODEL, "model", "chorus")
    assert model.created == {m.id: m for m in client.models.list()}[CHAT_MODEL].created
    assert client.models.retrieve(EMBEDDING_MODEL).id == EMBEDDING_MODEL
    with pytest.raises(openai.NotFoundError) as missing:
        client.models.retrieve("gpt-unknown")
    assert missing.value.code == "model_not_found" and missing.value.param == "model"
    body: Any = missing.value.body
    assert set(body) == {"message", "type", "param", "code"} and body["type"] == "invalid_request_error"
    assert body["message"].startswith("The model 'gpt-unknown' does not exist")


def test_json_mode_replies_with_a_json_object(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model=CHAT_MODEL,
        messages=[{"role": "user", "content": 'Answer in JSON: what is "ChittyOS"?'}],
        response_format={"type": "json_object"},
    )
    content = completion.choices[0].message.content or ""
    reply = json.loads(content)
    assert isinstance(reply, dict) and 'what is "ChittyOS"?' in reply["answer"]
    streamed = client.chat.completions.create(
        model=CHAT_MODEL,
        messages=[{"role": "user", "content": 'Answer in JSON: what is "ChittyOS"?'}],
        response_format={"type": "json_object"},
        stream=True,
    )
    assert "".join(c.choices[0].delta.content or "" for c in streamed if c.choices) == content


def test_json_schema_reply_matches_the_schema(client: openai.OpenAI) -> None:
    schema = {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "temperature": {"type": "number"},
            "days": {"type": "integer"},
            "sunny": {"type": "boolean"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "unit": {"type": "string", "enum": ["C", "F"]},
            "where": {
                "type": "object",
                "properties": {"lat": {"type": "number"}, "label": {"type": "string"}},
                "required": ["lat", "label"],
                "additionalProperties": False,
            },
            "note": {"type": ["string", "null"]},
        },
        "required": ["city", "temperature", "days", "sunny", "tags", "unit", "where", "note"],
        "additionalProperties": False,
    }
    completion = client.chat.completions.create(
        model=CHAT_MODEL,
        messages=[{"role": "user", "content": "Weather in Berlin"}],
        response_format={"type": "json_schema", "json_schema": {"name": "weather", "schema": schema, "strict": True}},
    )
    reply = json.loads(completion.choices[0].message.content or "")
    jsonschema.validate(reply, schema)
    assert reply["city"] == "Weather in Berlin" and reply["unit"] == "C"


def test_seed_gives_the_same_reply_and_a_system_fingerprint(client: openai.OpenAI) -> None:
    messages: Any = [{"role": "user", "content": "Pick a number"}]
    first, second = (
        client.chat.completions.create(model=CHAT_MODEL, messages=messages, seed=42, temperature=1.3) for _ in range(2)
    )
    assert first.choices[0].message.content == second.choices[0].message.content
    assert first.system_fingerprint and first.system_fingerprint == second.system_fingerprint


def test_n_choices_each_with_its_index(client: openai.OpenAI) -> None:
    messages: Any = [{"role": "user", "content": "Two answers please"}]
    completion = client.chat.completions.create(model=CHAT_MODEL, messages=messages, n=2, max_completion_tokens=5)
    assert [c.index for c in completion.choices] == [0, 1]
    assert all(c.finish_reason == "length" and c.message.content for c in completion.choices)
    assert completion.usage is not None and completion.usage.completion_tokens == 10

    chunks = list(
        client.chat.completions.create(
            model=CHAT_MODEL, messages=messages, n=2, stream=True, stream_options={"include_usage": True}
        )
    )
    texts = {0: "", 1: ""}
    finished = {}
    for chunk in chunks[:-1]:
        [choice] = chunk.choices
        texts[choice.index] += choice.delta.content or ""
        if choice.finish_reason:
            finished[choice.index] = choice.finish_reason
    whole = client.chat.completions.create(model=CHAT_MODEL, messages=messages)
    assert texts == {0: whole.choices[0].message.content, 1: whole.choices[0].message.content}
    assert finished == {0: "stop", 1: "stop"}
    usage = chunks[-1].usage
    assert chunks[-1].choices == [] and usage is not None and whole.usage is not None
    assert usage.completion_tokens == 2 * whole.usage.completion_tokens
    # The SDK's stream helper assembles each choice by its index.
    with client.chat.completions.stream(model=CHAT_MODEL, messages=messages, n=2) as stream:
        final = stream.get_final_completion()
    assert [c.message.content for c in final.choices] == [whole.choices[0].message.content] * 2


def test_every_chat_completions_parameter_is_accepted(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model=CHAT_MODEL,
        messages=[{"role": "developer", "content": "Be brief."}, {"role": "user", "content": "hi", "name": "ana"}],
        frequency_penalty=0.5,
        presence_penalty=-0.5,
        logit_bias={"50256": -100},
        logprobs=True,
        top_logprobs=3,
        max_completion_tokens=64,
        metadata={"team": "docs"},
        modalities=["text"],
        parallel_tool_calls=True,
        prediction={"type": "content", "content": "hello"},
        prompt_cache_key="cache-1",
        prompt_cache_retention="24h",
        reasoning_effort="low",
        safety_identifier="user-hash",
        seed=7,
        service_tier="auto",
        stop="\n\n",
        store=False,
        temperature=0.2,
        top_p=0.9,
        user="user-1",
        verbosity="low",
        web_search_options={"search_context_size": "low"},
        extra_body={"prompt_cache_options": {"mode": "implicit", "ttl": "30m"}},
    )
    assert completion.choices[0].finish_reason == "stop"
    assert completion.choices[0].logprobs is None  # the builtin model has none (README)


def test_float_embeddings_at_the_documented_maximum(client: openai.OpenAI) -> None:
    texts = [f"document {i} about ChittyOS" for i in range(2048)]
    floats = client.embeddings.create(model=EMBEDDING_MODEL, input=texts, encoding_format="float")
    assert [d.index for d in floats.data] == list(range(2048))
    assert all(len(d.embedding) == 768 for d in floats.data)
    packed = client.embeddings.create(model=EMBEDDING_MODEL, input=texts[-2:])
    assert packed.data[1].embedding == pytest.approx(floats.data[-1].embedding, rel=1e-6, abs=1e-7)
