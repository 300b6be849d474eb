"""The AI gateway over raw HTTP: the document's routes and bodies, exact SSE bytes, errors.

The shared ChittyOS server runs the default configuration, where the
document's model ids are served by the builtin development model and the
builtin lexical embedding.
"""

from __future__ import annotations

import base64
import json
import math
import re
import struct
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.support.chittyos_ai import CHAT_MODEL, EMBEDDING_MODEL, WEATHER_TOOL
from tests.support.envelopes import assert_error
from tests.support.sse import parse_sse

ISO_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


@pytest.fixture(scope="module")
def ai(service_client: Callable[[str], httpx.Client]) -> httpx.Client:
    return service_client("ai")


def _chat(ai: httpx.Client, **body: Any) -> httpx.Response:
    body.setdefault("messages", [{"role": "user", "content": "What is ChittyOS?"}])
    return ai.post("/v1/chat/completions", json=body)


# --- health and models -----------------------------------------------------------


def test_health_names_the_configured_models(ai: httpx.Client) -> None:
    response = ai.get("/health")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["status", "service", "models", "timestamp"]
    assert body["status"] == "healthy" and body["service"] == "AI Gateway"
    assert body["models"] == {"primary": CHAT_MODEL, "embedding": EMBEDDING_MODEL}
    assert ISO_MS.fullmatch(body["timestamp"])


def test_models_lists_chat_and_embedding_ids_owned_by_chorus(ai: httpx.Client) -> None:
    response = ai.get("/v1/models")
    assert response.status_code == 200
    body = response.json()
    assert body["object"] == "list"
    ids = [m["id"] for m in body["data"]]
    assert CHAT_MODEL in ids and EMBEDDING_MODEL in ids and "chorus-builtin" in ids
    for model in body["data"]:
        assert list(model) == ["id", "object", "created", "owned_by"]
        assert model["object"] == "model"
        # The builtin models are Chorus's, not Cloudflare's: `owned_by` says so.
        assert model["owned_by"] == "chorus"
        assert isinstance(model["created"], int) and 1_600_000_000 < model["created"] <= time.time() + 5


# --- chat completions, not streamed ------------------------------------------------


def test_model_by_id_with_slashes_encoded_or_not(ai: httpx.Client) -> None:
    listed = {m["id"]: m for m in ai.get("/v1/models").json()["data"]}
    encoded = ai.get("/v1/models/@cf%2Fmeta%2Fllama-3.1-8b-instruct")
    assert encoded.status_code == 200 and encoded.json() == listed[CHAT_MODEL]
    assert ai.get(f"/v1/models/{EMBEDDING_MODEL}").json() == listed[EMBEDDING_MODEL]
    error = assert_error(ai.get("/v1/models/@cf/meta/unknown"), "openai", 404)
    assert (error["param"], error["code"]) == ("model", "model_not_found")
    assert "'@cf/meta/unknown'" in error["message"]


def test_document_example_completion(ai: httpx.Client) -> None:
    response = _chat(
        ai,
        model=CHAT_MODEL,
        messages=[
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "What is ChittyOS?"},
        ],
        max_tokens=256,
        temperature=0.7,
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["id", "object", "created", "model", "choices", "usage", "system_fingerprint"]
    assert re.fullmatch(r"fp_[0-9a-f]{10}", body["system_fingerprint"])
    assert re.fullmatch(r"chatcmpl-[0-9a-f]{32}", body["id"])
    assert body["object"] == "chat.completion"
    assert isinstance(body["created"], int) and abs(body["created"] - time.time()) < 60
    assert body["model"] == CHAT_MODEL
    [choice] = body["choices"]
    assert choice == {"index": 0, "message": choice["message"], "finish_reason": "stop"}
    assert list(choice["message"]) == ["role", "content"]
    assert choice["message"]["role"] == "assistant"
    content = choice["message"]["content"]
    assert 'You said: "What is ChittyOS?"' in content and "with a system prompt" in content
    usage = body["usage"]
    assert list(usage) == ["prompt_tokens", "completion_tokens", "total_tokens"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0


def test_max_tokens_truncates_with_finish_reason_length(ai: httpx.Client) -> None:
    body = _chat(ai, model=CHAT_MODEL, max_tokens=3).json()
    assert body["choices"][0]["finish_reason"] == "length"
    assert body["choices"][0]["message"]["content"] == "You said:"
    assert body["usage"]["completion_tokens"] == 3
    assert _chat(ai, max_completion_tokens=3).json()["choices"][0]["message"]["content"] == "You said:"


def test_model_may_be_omitted_and_defaults_to_the_primary(ai: httpx.Client) -> None:
    assert _chat(ai).json()["model"] == CHAT_MODEL
    assert _chat(ai, model="chorus-builtin").json()["model"] == "chorus-builtin"


def test_content_parts_and_developer_role_are_text(ai: httpx.Client) -> None:
    parts = [{"type": "text", "text": "first line"}, {"type": "text", "text": "second line"}]
    body = _chat(ai, messages=[{"role": "developer", "content": "Be brief."}, {"role": "user", "content": parts}])
    content = body.json()["choices"][0]["message"]["content"]
    assert 'You said: "first line\nsecond line"' in content and "with a system prompt" in content


def test_stop_sequence_cuts_the_reply(ai: httpx.Client) -> None:
    body = _chat(ai, stop=["user turn"]).json()
    assert body["choices"][0]["message"]["content"].endswith("That is ")
    assert _chat(ai, stop="said").json()["choices"][0]["message"]["content"] == "You "


def test_tool_directive_becomes_tool_calls(ai: httpx.Client) -> None:
    messages = [{"role": "user", "content": 'Weather please\n/tool get_weather {"city": "Paris"}'}]
    body = _chat(ai, messages=messages, tools=[WEATHER_TOOL]).json()
    [choice] = body["choices"]
    assert choice["finish_reason"] == "tool_calls"
    message = choice["message"]
    assert message["content"] is None
    [call] = message["tool_calls"]
    assert re.fullmatch(r"call_[0-9a-f]{16}", call["id"])
    assert call == {
        "id": call["id"],
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
    }
    # The tool's result goes back; the builtin model then answers with text quoting it.
    follow_up = [
        *messages,
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call["id"], "content": "18 degrees and sunny"},
    ]
    answer = _chat(ai, messages=follow_up, tools=[WEATHER_TOOL]).json()["choices"][0]
    assert answer["finish_reason"] == "stop"
    assert "tool_calls" not in answer["message"]
    assert 'The get_weather tool returned "18 degrees and sunny"' in answer["message"]["content"]


def test_tool_choice_forces_and_parallel_tool_calls_false_keeps_one(ai: httpx.Client) -> None:
    other = {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object"}}}
    forced = _chat(
        ai,
        messages=[{"role": "user", "content": "Lyon"}],
        tools=[WEATHER_TOOL, other],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
    ).json()
    [call] = forced["choices"][0]["message"]["tool_calls"]
    assert call["function"] == {"name": "get_weather", "arguments": '{"city":"Lyon"}'}

    two = [{"role": "user", "content": "/tool get_weather {}\n/tool get_time {}"}]
    both = _chat(ai, messages=two, tools=[WEATHER_TOOL, other]).json()["choices"][0]["message"]["tool_calls"]
    assert [c["function"]["name"] for c in both] == ["get_weather", "get_time"]
    one = _chat(ai, messages=two, tools=[WEATHER_TOOL, other], parallel_tool_calls=False).json()
    assert [c["function"]["name"] for c in one["choices"][0]["message"]["tool_calls"]] == ["get_weather"]

    none = _chat(ai, messages=two, tools=[WEATHER_TOOL, other], tool_choice="none").json()["choices"][0]
    assert none["finish_reason"] == "stop" and "tool_calls" not in none["message"]


# --- chat completions, streamed --------------------------------------------------


def _stream_events(response: httpx.Response) -> list[Any]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/event-stream"
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-accel-buffering"] == "no"
    events, _ = parse_sse(response.text)
    assert all(e.event is None for e in events), "OpenAI streams are data-only"
    assert events[-1].data == "[DONE]"
    return [e.json() for e in events[:-1]]


def test_stream_exact_bytes(ai: httpx.Client) -> None:
    response = _chat(ai, model=CHAT_MODEL, max_tokens=2, stream=True)
    chunks = _stream_events(response)
    head = chunks[0]
    prefix = f'"id":"{head["id"]}","object":"chat.completion.chunk","created":{head["created"]},"model":"{CHAT_MODEL}"'
    choices = [
        '{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}',
        '{"index":0,"delta":{"content":"You"},"finish_reason":null}',
        '{"index":0,"delta":{"content":" said"},"finish_reason":null}',
        '{"index":0,"delta":{},"finish_reason":"length"}',
    ]
    fingerprint = f'"system_fingerprint":"{head["system_fingerprint"]}"'
    expected = "".join(f'data: {{{prefix},"choices":[{c}],{fingerprint}}}\n\n' for c in choices) + "data: [DONE]\n\n"
    assert response.text == expected


def test_stream_text_reassembles_to_the_completion(ai: httpx.Client) -> None:
    messages = [{"role": "user", "content": "Tell me about streams."}]
    whole = _chat(ai, messages=messages).json()["choices"][0]["message"]["content"]
    chunks = _stream_events(_chat(ai, messages=messages, stream=True))
    assert len({c["id"] for c in chunks}) == 1 and len({c["created"] for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert text == whole
    assert [c["choices"][0]["finish_reason"] for c in chunks].count(None) == len(chunks) - 1
    assert chunks[-1]["choices"][0] == {"index": 0, "delta": {}, "finish_reason": "stop"}
    assert all("usage" not in c for c in chunks)


def test_stream_include_usage_adds_a_usage_chunk(ai: httpx.Client) -> None:
    plain = _chat(ai, max_tokens=4).json()["usage"]
    chunks = _stream_events(_chat(ai, max_tokens=4, stream=True, stream_options={"include_usage": True}))
    last = chunks[-1]
    assert last["choices"] == [] and last["usage"] == plain
    assert chunks[-2]["choices"][0]["finish_reason"] == "length"
    assert all("usage" not in c for c in chunks[:-1])


def test_stream_tool_call_deltas(ai: httpx.Client) -> None:
    messages = [{"role": "user", "content": '/tool get_weather {"city": "Oslo"}'}]
    chunks = _stream_events(_chat(ai, messages=messages, tools=[WEATHER_TOOL], stream=True))
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant"}
    deltas = [c["choices"][0]["delta"] for c in chunks[1:-1]]
    assert deltas == [
        {
            "tool_calls": [
                {
                    "index": 0,
                    "id": deltas[0]["tool_calls"][0]["id"],
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'},
                }
            ]
        }
    ]
    whole = _chat(ai, messages=messages, tools=[WEATHER_TOOL]).json()
    assert deltas[0]["tool_calls"][0]["id"] == whole["choices"][0]["message"]["tool_calls"][0]["id"]
    assert chunks[-1]["choices"][0] == {"index": 0, "delta": {}, "finish_reason": "tool_calls"}


def test_stream_false_answers_plain_json(ai: httpx.Client) -> None:
    response = _chat(ai, stream=False)
    assert response.headers["content-type"] == "application/json"
    assert response.json()["object"] == "chat.completion"


# --- chat errors --------------------------------------------------------------------


def test_unknown_model_is_404_model_not_found(ai: httpx.Client) -> None:
    for stream in (False, True):
        error = assert_error(_chat(ai, model="gpt-nope", stream=stream), "openai", 404)
        assert error["code"] == "model_not_found" and error["param"] == "model"
        assert error["type"] == "invalid_request_error" and "gpt-nope" in error["message"]
    # An embedding model is not a chat model.
    assert assert_error(_chat(ai, model=EMBEDDING_MODEL), "openai", 404)["code"] == "model_not_found"


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        ({"messages": []}, "messages", "missing_required_parameter"),
        ({"messages": [{"role": "wizard", "content": "hi"}]}, "messages[0].role", "invalid_value"),
        ({"messages": [{"role": "user", "content": 42}]}, "messages[0].content", "invalid_type"),
        ({"messages": [{"role": "user", "content": None}]}, "messages[0].content", "missing_required_parameter"),
        (
            {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]},
            "messages[0].content[0].type",
            "invalid_value",
        ),
        ({"messages": [{"role": "tool", "content": "x"}]}, "messages[0].tool_call_id", "missing_required_parameter"),
        (
            {"messages": [{"role": "tool", "content": "x", "tool_call_id": "call_1"}]},
            "messages[0].tool_call_id",
            "invalid_value",
        ),
        ({"messages": [{"role": "user", "content": "x", "bogus": 1}]}, "messages[0].bogus", "unknown_parameter"),
        ({"temperature": 3}, "temperature", "invalid_value"),
        ({"max_tokens": 0}, "max_tokens", "invalid_value"),
        ({"max_tokens": "lots"}, "max_tokens", "invalid_value"),
        ({"n": 0}, "n", "invalid_value"),
        ({"n": 129}, "n", "invalid_value"),
        ({"top_p": 1.5}, "top_p", "invalid_value"),
        ({"presence_penalty": -2.5}, "presence_penalty", "invalid_value"),
        ({"top_logprobs": 3}, "top_logprobs", "invalid_value"),
        ({"logprobs": True, "top_logprobs": 21}, "top_logprobs", "invalid_value"),
        ({"logit_bias": {"50256": 101}}, "logit_bias", "invalid_value"),
        ({"metadata": {f"k{i}": "v" for i in range(17)}}, "metadata", "invalid_value"),
        ({"service_tier": "gold"}, "service_tier", "invalid_value"),
        ({"reasoning_effort": "extreme"}, "reasoning_effort", "invalid_value"),
        ({"modalities": ["video"]}, "modalities[0]", "invalid_value"),
        ({"modalities": ["text", "audio"]}, "audio", "invalid_value"),
        ({"response_format": {"type": "yaml"}}, "response_format.type", "invalid_value"),
        ({"response_format": {}}, "response_format.type", "missing_required_parameter"),
        ({"response_format": {"type": "json_schema"}}, "response_format.json_schema", "missing_required_parameter"),
        (
            {"response_format": {"type": "json_schema", "json_schema": {"name": "bad name"}}},
            "response_format.json_schema.name",
            "invalid_value",
        ),
        ({"tools": [WEATHER_TOOL], "functions": [WEATHER_TOOL["function"]]}, "functions", "invalid_value"),
        ({"stream": "yes"}, "stream", "invalid_type"),
        ({"stream_options": {"include_usage": True}}, "stream_options", "invalid_value"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop", "invalid_value"),
        ({"tool_choice": "sometimes"}, "tool_choice", "invalid_value"),
        (
            {"tools": [WEATHER_TOOL], "tool_choice": {"type": "function", "function": {"name": "nope"}}},
            "tool_choice",
            "invalid_value",
        ),
        ({"tools": [{"type": "retrieval"}]}, "tools[0].type", "invalid_value"),
        (
            {"tools": [{"type": "function", "function": {"name": "bad name!"}}]},
            "tools[0].function.name",
            "invalid_value",
        ),
        ({"seeed": 1}, "seeed", "unknown_parameter"),
    ],
)
def test_bad_input_is_400_naming_the_param(ai: httpx.Client, body: dict[str, Any], param: str, code: str) -> None:
    error = assert_error(_chat(ai, **body), "openai", 400)
    assert (error["param"], error["code"]) == (param, code), error
    assert error["type"] == "invalid_request_error"
    assert param.split("[")[0] in error["message"]


def test_neutral_values_of_unsupported_sampling_fields_are_accepted(ai: httpx.Client) -> None:
    response = _chat(ai, n=1, top_p=1, presence_penalty=0, frequency_penalty=0, user="u-1", temperature=0)
    assert response.status_code == 200


def test_builtin_model_refuses_audio_output(ai: httpx.Client) -> None:
    response = _chat(ai, modalities=["text", "audio"], audio={"format": "wav", "voice": "alloy"})
    error = assert_error(response, "openai", 400)
    assert error["code"] == "upstream_rejected" and "audio" in error["message"]


def test_deprecated_functions_are_tools(ai: httpx.Client) -> None:
    body = _chat(
        ai,
        messages=[{"role": "user", "content": "Weather?"}],
        functions=[WEATHER_TOOL["function"]],
        function_call={"name": "get_weather"},
    ).json()
    [call] = body["choices"][0]["message"]["tool_calls"]
    assert call["function"] == {"name": "get_weather", "arguments": '{"city":"Weather?"}'}


def test_null_optional_parameters_are_absent(ai: httpx.Client) -> None:
    response = _chat(
        ai,
        seed=None,
        logprobs=None,
        top_logprobs=None,
        service_tier=None,
        n=None,
        store=None,
        prediction=None,
        audio=None,
        moderation=None,
        metadata=None,
        logit_bias=None,
        modalities=None,
        reasoning_effort=None,
        max_completion_tokens=None,
        stream_options=None,
    )
    assert response.status_code == 200, response.text


def test_n_choices_stream_with_their_indexes(ai: httpx.Client) -> None:
    chunks = _stream_events(_chat(ai, n=3, max_tokens=2, stream=True))
    indexes = [c["choices"][0]["index"] for c in chunks]
    assert sorted(set(indexes)) == [0, 1, 2] and all(len(c["choices"]) == 1 for c in chunks)
    for index in range(3):
        mine = [c["choices"][0] for c in chunks if c["choices"][0]["index"] == index]
        assert mine[0]["delta"] == {"role": "assistant", "content": ""}
        assert "".join(c["delta"].get("content", "") for c in mine) == "You said"
        assert [c["finish_reason"] for c in mine][-1] == "length"


def test_malformed_json_and_non_object_bodies_are_400(ai: httpx.Client) -> None:
    headers = {"content-type": "application/json"}
    error = assert_error(ai.post("/v1/chat/completions", content=b'{"messages": [', headers=headers), "openai", 400)
    assert error["param"] is None and error["code"] is None
    assert error["message"].startswith("We could not parse the JSON body of your request.")
    error = assert_error(ai.post("/v1/chat/completions", content=b"[1, 2]", headers=headers), "openai", 400)
    assert error["code"] == "invalid_type" and error["param"] is None


def test_wrong_method_and_unknown_route_use_the_openai_envelope(ai: httpx.Client) -> None:
    error = assert_error(ai.get("/v1/chat/completions"), "openai", 405)
    assert error["code"] == "method_not_allowed" and "POST" in error["message"]
    error = assert_error(ai.get("/v1/engines"), "openai", 404)
    assert error["code"] == "unknown_url" and error["type"] == "invalid_request_error"


# --- embeddings --------------------------------------------------------------------


def _norm(vector: list[float]) -> float:
    return math.sqrt(sum(x * x for x in vector))


def _cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True)) / (_norm(a) * _norm(b))


def test_document_embeddings_example(ai: httpx.Client) -> None:
    response = ai.post("/v1/embeddings", json={"model": EMBEDDING_MODEL, "input": ["Text to embed", "Another text"]})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["object", "data", "model", "usage"]
    assert body["object"] == "list" and body["model"] == EMBEDDING_MODEL
    assert [list(item) for item in body["data"]] == [["object", "embedding", "index"]] * 2
    assert [(item["object"], item["index"]) for item in body["data"]] == [("embedding", 0), ("embedding", 1)]
    for item in body["data"]:
        assert len(item["embedding"]) == 768
        assert math.isclose(_norm(item["embedding"]), 1.0, abs_tol=1e-6)
    assert body["usage"] == {"prompt_tokens": 5, "total_tokens": 5}


def test_single_string_input_and_determinism(ai: httpx.Client) -> None:
    body = {"model": EMBEDDING_MODEL, "input": "ChittyOS platform documentation"}
    first, second = (ai.post("/v1/embeddings", json=body).json() for _ in range(2))
    assert len(first["data"]) == 1 and first["data"][0]["index"] == 0
    assert first["data"][0]["embedding"] == second["data"][0]["embedding"]


def test_lexical_similarity_is_visible(ai: httpx.Client) -> None:
    texts = ["ChittyOS platform documentation", "documentation of the ChittyOS platform", "bananas are yellow"]
    vectors = [d["embedding"] for d in ai.post("/v1/embeddings", json={"input": texts}).json()["data"]]
    assert _cosine(vectors[0], vectors[1]) > 0.5 > _cosine(vectors[0], vectors[2])


def test_base64_encoding_and_dimensions(ai: httpx.Client) -> None:
    texts = ["alpha beta", "gamma delta"]
    floats = ai.post("/v1/embeddings", json={"input": texts, "dimensions": 64}).json()["data"]
    encoded = ai.post("/v1/embeddings", json={"input": texts, "dimensions": 64, "encoding_format": "base64"}).json()
    for plain, packed in zip(floats, encoded["data"], strict=True):
        assert isinstance(packed["embedding"], str)
        decoded = struct.unpack("<64f", base64.b64decode(packed["embedding"]))
        assert len(plain["embedding"]) == 64
        pairs = zip(decoded, plain["embedding"], strict=True)
        assert all(math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-7) for a, b in pairs)


@pytest.mark.parametrize(
    ("body", "param", "code", "status"),
    [
        ({}, "input", "missing_required_parameter", 400),
        ({"input": ""}, "input", "invalid_value", 400),
        ({"input": []}, "input", "invalid_value", 400),
        ({"input": ["ok", ""]}, "input[1]", "invalid_value", 400),
        ({"input": [[1, 2, 3]]}, "input[0]", "invalid_value", 400),
        ({"input": {"text": "x"}}, "input", "invalid_type", 400),
        ({"input": "x", "encoding_format": "int8"}, "encoding_format", "invalid_value", 400),
        ({"input": "x", "dimensions": 769}, "dimensions", "invalid_value", 400),
        ({"input": "x", "dimensions": 0}, "dimensions", "invalid_value", 400),
        ({"input": "x", "model": "text-embedding-3-small"}, "model", "model_not_found", 404),
        ({"input": "x", "model": CHAT_MODEL}, "model", "model_not_found", 404),
    ],
)
def test_embedding_errors(ai: httpx.Client, body: dict[str, Any], param: str, code: str, status: int) -> None:
    error = assert_error(ai.post("/v1/embeddings", json=body), "openai", status)
    assert (error["param"], error["code"]) == (param, code), error


def test_float_output_is_compact(ai: httpx.Client) -> None:
    raw = ai.post("/v1/embeddings", json={"input": "compact numbers"}).content
    numbers = re.findall(rb"-?\d+\.\d+(?:e-?\d+)?", raw)
    assert numbers and max(len(n) for n in numbers) <= 12, "values are rounded to 8 decimal places"
    assert json.loads(raw)["data"][0]["embedding"]


def test_the_packaged_sentence_model_embeds_semantically(ai: httpx.Client) -> None:
    """The platform's semantic model is listed (Chorus's own) and served by `/v1/embeddings`."""
    listed = {m["id"]: m for m in ai.get("/v1/models").json()["data"]}
    assert listed["all-MiniLM-L6-v2"]["owned_by"] == "chorus"
    texts = ["I forgot my password", "Resetting account credentials after a lost login", "Bake the bread at 220 C"]
    response = ai.post("/v1/embeddings", json={"model": "all-MiniLM-L6-v2", "input": texts})
    assert response.status_code == 200, response.text
    vectors = [item["embedding"] for item in response.json()["data"]]
    assert [len(v) for v in vectors] == [384, 384, 384]
    similar, unrelated = (sum(a * b for a, b in zip(vectors[0], v, strict=True)) for v in vectors[1:])
    assert similar > unrelated + 0.2
