"""The AI gateway in front of a real OpenAI-compatible upstream started here.

The document's ids are routed to the upstream (chat and embeddings), so the
gateway is what the document describes: an OpenAI-compatible front for
another model server. A second provider points at a closed port.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from tests.support.chittyos_ai import AI_HOST as HOST
from tests.support.chittyos_ai import CHAT_MODEL, EMBEDDING_MODEL
from tests.support.chittyos_ai import WEATHER_TOOL as WEATHER
from tests.support.chorus_process import ChorusProcess, wait_until
from tests.support.openai_upstream import (
    OpenAIUpstream,
    ScriptedToolCall,
    _embed,
    cut,
    hang,
    status_fault,
    unauthorized,
)
from tests.support.sse import parse_sse

KEY = "sk-upstream-ai-gateway-1"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture(scope="module")
def upstream_server() -> Iterator[OpenAIUpstream]:
    with OpenAIUpstream(api_key=KEY).serve() as upstream:
        yield upstream


@pytest.fixture
def upstream(upstream_server: OpenAIUpstream) -> OpenAIUpstream:
    upstream_server.reset()
    return upstream_server


@pytest.fixture(scope="module", params=["grpc", "inprocess"])
def gateway(
    request: pytest.FixtureRequest, upstream_server: OpenAIUpstream, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ChorusProcess]:
    """Once per bridge transport: loopback gRPC and in-process."""
    config = f"""
[models.providers.builtin]
kind = "builtin"
[models.providers.local]
kind = "openai-compatible"
base_url = "{upstream_server.base_url}"
api_key = "{KEY}"
timeout = 1.5
max_retries = 1
[models.providers.down]
kind = "openai-compatible"
base_url = "http://127.0.0.1:{_closed_port()}/v1"
max_retries = 0
[models.routes.chorus-builtin]
provider = "builtin"
[models.routes."{CHAT_MODEL}"]
provider = "local"
upstream_model = "llama-3.1-8b-instruct"
created = 1677610602
[models.routes.broken]
provider = "down"
[models.embeddings."{EMBEDDING_MODEL}"]
provider = "local"
upstream_model = "bge-base-en-v1.5"
[models.embeddings.lexical]
provider = "builtin"
dimensions = 384
[models.embeddings.broken-embedder]
provider = "down"
"""
    data_dir: Path = tmp_path_factory.mktemp("ai-upstream")
    with ChorusProcess(data_dir, config_toml=config, env={"CHORUS_REST__TRANSPORT": request.param}) as proc:
        yield proc


@pytest.fixture
def sdk(gateway: ChorusProcess, upstream: OpenAIUpstream) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(
        base_url=f"{gateway.rest_url}/v1", api_key="unused", default_headers=HOST, max_retries=0, timeout=30
    ) as client:
        yield client


@pytest.fixture
def http(gateway: ChorusProcess, upstream: OpenAIUpstream) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.rest_url, headers=HOST, timeout=30) as client:
        yield client


def test_health_and_models_name_the_upstream(http: httpx.Client) -> None:
    assert http.get("/health").json()["models"] == {"primary": CHAT_MODEL, "embedding": EMBEDDING_MODEL}
    models = {m["id"]: m for m in http.get("/v1/models").json()["data"]}
    assert list(models) == ["chorus-builtin", CHAT_MODEL, "broken", EMBEDDING_MODEL, "lexical", "broken-embedder"]
    assert models[CHAT_MODEL] == {"id": CHAT_MODEL, "object": "model", "created": 1677610602, "owned_by": "local"}
    assert models[EMBEDDING_MODEL]["owned_by"] == "local"
    assert models["chorus-builtin"]["owned_by"] == models["lexical"]["owned_by"] == "chorus"


def test_completion_passes_through_text_usage_and_parameters(sdk: openai.OpenAI, upstream: OpenAIUpstream) -> None:
    upstream.reply("ChittyOS is a comprehensive platform...", usage=(12, 6))
    completion = sdk.chat.completions.create(
        model=CHAT_MODEL,
        messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is ChittyOS?"}],
        max_tokens=256,
        temperature=0.7,
        stop=["\n\n"],
    )
    assert completion.model == CHAT_MODEL
    assert completion.choices[0].message.content == "ChittyOS is a comprehensive platform..."
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (12, 6)
    [sent] = upstream.chat_requests()
    assert sent.authorization == f"Bearer {KEY}"
    assert sent.body["model"] == "llama-3.1-8b-instruct"
    assert sent.body["max_tokens"] == 256 and sent.body["temperature"] == 0.7 and sent.body["stop"] == ["\n\n"]
    assert sent.body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What is ChittyOS?"},
    ]


def test_stream_relays_upstream_chunks_and_usage(sdk: openai.OpenAI, upstream: OpenAIUpstream) -> None:
    upstream.reply("one two three four", usage=(9, 4))
    stream = sdk.chat.completions.create(
        model=CHAT_MODEL,
        messages=[{"role": "user", "content": "count"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].delta.content for c in chunks[1:-2]] == ["one", " two", " three", " four"]
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 13


def test_tool_calls_from_the_upstream(sdk: openai.OpenAI, upstream: OpenAIUpstream) -> None:
    upstream.reply(tool_calls=(ScriptedToolCall("get_weather", '{"city": "Paris"}', id="call_up_1"),))
    messages: Any = [{"role": "user", "content": "Weather in Paris?"}]
    completion = sdk.chat.completions.create(model=CHAT_MODEL, messages=messages, tools=[WEATHER], tool_choice="auto")
    [call] = completion.choices[0].message.tool_calls or []
    assert (call.id, call.function.name, call.function.arguments) == ("call_up_1", "get_weather", '{"city": "Paris"}')
    assert completion.choices[0].finish_reason == "tool_calls"
    sent = upstream.chat_requests()[0].body
    assert sent["tools"][0]["function"]["name"] == "get_weather" and sent["tool_choice"] == "auto"

    with sdk.chat.completions.stream(model=CHAT_MODEL, messages=messages, tools=[WEATHER]) as stream:
        final = stream.get_final_completion()
    [streamed] = final.choices[0].message.tool_calls or []
    assert (streamed.id, streamed.function.arguments) == ("call_up_1", '{"city": "Paris"}')


def test_embeddings_through_the_upstream(sdk: openai.OpenAI, upstream: OpenAIUpstream) -> None:
    texts = ["Text to embed", "Another text"]
    floats = sdk.embeddings.create(model=EMBEDDING_MODEL, input=texts, encoding_format="float")
    assert [d.embedding for d in floats.data] == [_embed(t, 8) for t in texts]
    assert floats.usage.prompt_tokens == 5 and floats.model == EMBEDDING_MODEL
    packed = sdk.embeddings.create(model=EMBEDDING_MODEL, input="Text to embed")  # the SDK asks for base64
    assert packed.data[0].embedding == pytest.approx(_embed("Text to embed", 8), rel=1e-6)
    sized = sdk.embeddings.create(model=EMBEDDING_MODEL, input="x", dimensions=4, encoding_format="float")
    assert len(sized.data[0].embedding) == 4
    sent = [r.body for r in upstream.requests if r.path == "/v1/embeddings"]
    assert sent[0] == {"model": "bge-base-en-v1.5", "input": texts, "encoding_format": "float"}
    assert sent[1]["input"] == ["Text to embed"] and sent[2]["dimensions"] == 4
    assert all(r.authorization == f"Bearer {KEY}" for r in upstream.requests)


def test_builtin_embedding_route_with_its_own_size(sdk: openai.OpenAI) -> None:
    vector = sdk.embeddings.create(model="lexical", input="ChittyOS", encoding_format="float").data[0].embedding
    assert len(vector) == 384


def test_transient_upstream_failures_are_retried(sdk: openai.OpenAI, upstream: OpenAIUpstream) -> None:
    upstream.reply("recovered")
    upstream.fail_next(1)
    completion = sdk.chat.completions.create(model=CHAT_MODEL, messages=[{"role": "user", "content": "hi"}])
    assert completion.choices[0].message.content == "recovered"
    upstream.push_faults(status_fault(503, endpoint="/v1/embeddings"))
    assert sdk.embeddings.create(model=EMBEDDING_MODEL, input="again").data


def test_upstream_down_is_502(sdk: openai.OpenAI, upstream: OpenAIUpstream) -> None:
    upstream.fail_next(2)  # the first try and its one retry
    with pytest.raises(openai.InternalServerError) as failed:
        sdk.chat.completions.create(model=CHAT_MODEL, messages=[{"role": "user", "content": "hi"}], stream=True)
    assert failed.value.status_code == 502 and failed.value.code == "upstream_unavailable"
    assert "HTTP 503" in failed.value.message and CHAT_MODEL in failed.value.message
    with pytest.raises(openai.InternalServerError) as refused:
        sdk.chat.completions.create(model="broken", messages=[{"role": "user", "content": "hi"}])
    assert refused.value.status_code == 502 and refused.value.code == "upstream_unavailable"
    with pytest.raises(openai.InternalServerError) as embed_refused:
        sdk.embeddings.create(model="broken-embedder", input="x")
    assert embed_refused.value.status_code == 502
    # The message says what failed, not where the upstream lives.
    assert "upstream unreachable" in embed_refused.value.message
    assert "127.0.0.1" not in embed_refused.value.message


def test_upstream_rejection_is_400(sdk: openai.OpenAI, upstream: OpenAIUpstream) -> None:
    upstream.push_faults(unauthorized())
    with pytest.raises(openai.BadRequestError) as rejected:
        sdk.chat.completions.create(model=CHAT_MODEL, messages=[{"role": "user", "content": "hi"}])
    assert rejected.value.code == "upstream_rejected" and "HTTP 401" in rejected.value.message


def test_upstream_timeout_is_502(sdk: openai.OpenAI, upstream: OpenAIUpstream) -> None:
    upstream.push_faults(hang(), hang())
    with pytest.raises(openai.InternalServerError) as failed:
        sdk.chat.completions.create(model=CHAT_MODEL, messages=[{"role": "user", "content": "hi"}])
    assert failed.value.status_code == 502 and failed.value.code == "upstream_timeout"


def test_failure_after_the_first_chunk_is_in_band(
    http: httpx.Client, sdk: openai.OpenAI, upstream: OpenAIUpstream
) -> None:
    upstream.reply("alpha beta gamma delta")
    upstream.push_faults(cut(after_chunks=2))
    body = {"model": CHAT_MODEL, "messages": [{"role": "user", "content": "go"}], "stream": True}
    response = http.post("/v1/chat/completions", json=body)
    assert response.status_code == 200
    events, _ = parse_sse(response.text)
    assert [e.json()["choices"][0]["delta"] for e in events[:3]] == [
        {"role": "assistant", "content": ""},
        {"content": "alpha"},
        {"content": " beta"},
    ]
    error = events[3].json()
    assert set(error) == {"error"} and error["error"]["code"] == "upstream_unavailable"
    assert error["error"]["type"] == "server_error"
    assert events[4].data == "[DONE]" and len(events) == 5

    upstream.push_faults(cut(after_chunks=1))
    stream = sdk.chat.completions.create(model=CHAT_MODEL, messages=[{"role": "user", "content": "go"}], stream=True)
    seen = []
    with pytest.raises(openai.APIError) as broken:
        for chunk in stream:
            seen.append(chunk.choices[0].delta.content)
    assert seen == ["", "alpha"]
    assert broken.value.code == "upstream_unavailable"


def test_client_disconnect_stops_the_upstream(gateway: ChorusProcess, upstream: OpenAIUpstream) -> None:
    upstream.reply(" ".join(f"word{i}" for i in range(200)))
    upstream.chunk_delay = 0.05
    body = {"model": CHAT_MODEL, "messages": [{"role": "user", "content": "long"}], "stream": True}
    with (
        httpx.Client(base_url=gateway.rest_url, headers=HOST, timeout=30) as client,
        client.stream("POST", "/v1/chat/completions", json=body) as response,
    ):
        lines = response.iter_lines()
        assert next(lines).startswith("data: ")
    assert wait_until(lambda: upstream.disconnects == 1, timeout=5)


def test_every_parameter_reaches_the_upstream(sdk: openai.OpenAI, upstream: OpenAIUpstream) -> None:
    upstream.reply("structured", usage=(7, 3))
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    sdk.chat.completions.create(
        model=CHAT_MODEL,
        messages=[{"role": "user", "content": "hi"}],
        seed=11,
        response_format={"type": "json_schema", "json_schema": {"name": "answer", "schema": schema, "strict": True}},
        logprobs=True,
        top_logprobs=2,
        logit_bias={"42": 5},
        metadata={"k": "v"},
        store=True,
        service_tier="flex",
        user="u-9",
        parallel_tool_calls=False,
        max_completion_tokens=33,
        frequency_penalty=0.25,
        presence_penalty=-0.5,
        top_p=0.8,
        reasoning_effort="low",
        verbosity="high",
        prompt_cache_key="pk",
        safety_identifier="sid",
        web_search_options={"search_context_size": "low"},
    )
    [sent] = upstream.chat_requests()
    expected = {
        "seed": 11,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "answer", "schema": schema, "strict": True},
        },
        "logprobs": True,
        "top_logprobs": 2,
        "logit_bias": {"42": 5},
        "metadata": {"k": "v"},
        "store": True,
        "service_tier": "flex",
        "user": "u-9",
        "parallel_tool_calls": False,
        "max_completion_tokens": 33,
        "frequency_penalty": 0.25,
        "presence_penalty": -0.5,
        "top_p": 0.8,
        "reasoning_effort": "low",
        "verbosity": "high",
        "prompt_cache_key": "pk",
        "safety_identifier": "sid",
        "web_search_options": {"search_context_size": "low"},
    }
    assert {k: sent.body.get(k) for k in expected} == expected
    assert "max_tokens" not in sent.body and sent.body["stream"] is True


def test_upstream_choices_keep_their_indexes(sdk: openai.OpenAI, upstream: OpenAIUpstream) -> None:
    upstream.reply("hello there", usage=(5, 8))
    completion = sdk.chat.completions.create(model=CHAT_MODEL, messages=[{"role": "user", "content": "hi"}], n=2)
    assert [(c.index, c.message.content) for c in completion.choices] == [
        (0, "hello there"),
        (1, "hello there (choice 1)"),
    ]
    assert upstream.chat_requests()[0].body["n"] == 2
    chunks = list(
        sdk.chat.completions.create(model=CHAT_MODEL, messages=[{"role": "user", "content": "hi"}], n=2, stream=True)
    )
    texts = ["", ""]
    for chunk in chunks:
        for choice in chunk.choices:
            texts[choice.index] += choice.delta.content or ""
    assert texts == ["hello there", "hello there (choice 1)"]


def test_float_embeddings_at_the_maximum_on_each_bridge_transport(sdk: openai.OpenAI) -> None:
    texts = [f"text {i}" for i in range(2048)]
    floats = sdk.embeddings.create(model="lexical", input=texts, encoding_format="float")
    assert len(floats.data) == 2048 and all(len(d.embedding) == 384 for d in floats.data)
    assert (
        floats.data[7].embedding
        == sdk.embeddings.create(model="lexical", input=texts[7], encoding_format="float").data[0].embedding
    )
