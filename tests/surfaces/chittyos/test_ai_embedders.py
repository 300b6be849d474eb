"""The embedding providers: the builtin lexical embedding's properties, and the
OpenAI-compatible embedder against a real upstream that misbehaves on cue."""

from __future__ import annotations

import base64
import math
import struct
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from server.platform.embeddings import (
    EmbeddingRegistry,
    EmbeddingRequest,
    EmbeddingRoute,
    LexicalEmbedder,
    OpenAICompatibleEmbedder,
    lexical_vector,
)
from server.platform.models.types import ModelError
from tests.support.openai_upstream import Fault, OpenAIUpstream, _embed, status_fault

KEY = "sk-embedder-test"
EMBEDDINGS = "/v1/embeddings"


def _cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


# --- builtin lexical embedding --------------------------------------------------------


def test_lexical_vectors_are_unit_length_and_deterministic() -> None:
    vector = lexical_vector("ChittyOS platform documentation")
    assert len(vector) == 768
    assert math.isclose(math.sqrt(sum(x * x for x in vector)), 1.0, abs_tol=1e-6)
    assert vector == lexical_vector("ChittyOS platform documentation")
    # Values are rounded to 8 decimal places (compact JSON).
    assert all(round(x, 8) == x for x in vector)


def test_lexical_similarity_follows_shared_words_case_and_stems() -> None:
    base = lexical_vector("Deploy the embedding service")
    assert _cosine(base, lexical_vector("DEPLOY THE EMBEDDING SERVICE")) == pytest.approx(1.0)
    stems = _cosine(base, lexical_vector("deploying embeddings services"))
    unrelated = _cosine(base, lexical_vector("purple bananas sing loudly"))
    assert stems > 0.3 > unrelated
    # Word order counts a little (bigrams): same words, other order, still close but not equal.
    assert 0.7 < _cosine(base, lexical_vector("the embedding service deploy")) < 0.999


def test_lexical_edge_cases() -> None:
    assert lexical_vector("!!! ???") == [0.0] * 768  # no words: the zero vector
    assert len(lexical_vector("short", 16)) == 16
    with pytest.raises(ValueError):
        lexical_vector("x", 0)


async def test_lexical_embedder_batches_and_counts_tokens() -> None:
    embedder = LexicalEmbedder()
    result = await embedder.embed(EmbeddingRequest("any", ("Hello world", "Hello"), dimensions=32))
    assert [len(v) for v in result.vectors] == [32, 32]
    assert result.prompt_tokens == 3
    # A batch large enough to run off the event loop gives the same vectors.
    big = await embedder.embed(EmbeddingRequest("any", ("word " * 5000, "Hello world")))
    assert big.vectors[1] == lexical_vector("Hello world")


async def test_registry_fills_in_the_route_size_and_upstream_id() -> None:
    registry = EmbeddingRegistry({"builtin": LexicalEmbedder()}, [EmbeddingRoute("small", "builtin", "small", 48)])
    result = await registry.embed("small", EmbeddingRequest("small", ("text",)))
    assert len(result.vectors[0]) == 48
    with pytest.raises(ModelError) as unknown:
        registry.route("other")
    assert unknown.value.kind == "unknown_model"
    with pytest.raises(ValueError):
        EmbeddingRegistry({}, [EmbeddingRoute("x", "missing", "x")])


# --- OpenAI-compatible embedder -----------------------------------------------------


@pytest.fixture(scope="module")
def upstream_server() -> Iterator[OpenAIUpstream]:
    with OpenAIUpstream(api_key=KEY, embedding_dims=6).serve() as upstream:
        yield upstream


@pytest.fixture
def upstream(upstream_server: OpenAIUpstream) -> OpenAIUpstream:
    upstream_server.reset()
    upstream_server.api_key = KEY
    return upstream_server


@pytest.fixture
async def embedder(upstream: OpenAIUpstream) -> AsyncIterator[OpenAICompatibleEmbedder]:
    client = OpenAICompatibleEmbedder(
        "up", upstream.base_url, KEY, timeout=0.5, connect_timeout=0.5, max_retries=1, retry_backoff=0.01
    )
    yield client
    await client.aclose()


async def test_embeds_with_the_upstream(embedder: OpenAICompatibleEmbedder, upstream: OpenAIUpstream) -> None:
    result = await embedder.embed(EmbeddingRequest("bge", ("one two", "three")))
    assert result.vectors == [_embed("one two", 6), _embed("three", 6)]
    assert result.prompt_tokens == 3
    [sent] = upstream.requests
    assert sent.body == {"model": "bge", "input": ["one two", "three"], "encoding_format": "float"}
    assert sent.authorization == f"Bearer {KEY}"
    sized = await embedder.embed(EmbeddingRequest("bge", ("x",), dimensions=3))
    assert len(sized.vectors[0]) == 3 and upstream.requests[-1].body["dimensions"] == 3
    assert "sk-" not in repr(embedder)


async def test_retries_transient_failures_once(embedder: OpenAICompatibleEmbedder, upstream: OpenAIUpstream) -> None:
    upstream.push_faults(status_fault(503, endpoint=EMBEDDINGS))
    assert (await embedder.embed(EmbeddingRequest("bge", ("x",)))).vectors == [_embed("x", 6)]
    upstream.push_faults(*(status_fault(429, endpoint=EMBEDDINGS) for _ in range(2)))
    with pytest.raises(ModelError) as failed:
        await embedder.embed(EmbeddingRequest("bge", ("x",)))
    assert failed.value.kind == "unavailable" and "HTTP 429" in failed.value.message
    assert len(upstream.requests) == 4  # 503 then success; 429 twice


async def test_rejections_and_bad_answers(embedder: OpenAICompatibleEmbedder, upstream: OpenAIUpstream) -> None:
    upstream.api_key = "another-key"
    with pytest.raises(ModelError) as rejected:
        await embedder.embed(EmbeddingRequest("bge", ("x",)))
    assert rejected.value.kind == "rejected" and "HTTP 401" in rejected.value.message
    assert len(upstream.requests) == 1, "a rejection is not retried"
    upstream.api_key = KEY
    upstream.push_faults(Fault("garbage", endpoint=EMBEDDINGS))
    with pytest.raises(ModelError) as broken:
        await embedder.embed(EmbeddingRequest("bge", ("x",)))
    assert broken.value.kind == "bad_response" and "not JSON" in broken.value.message
    # A dropped connection is transient: embedding is idempotent, so it is retried.
    upstream.push_faults(Fault("cut", endpoint=EMBEDDINGS))
    assert (await embedder.embed(EmbeddingRequest("bge", ("x",)))).vectors == [_embed("x", 6)]


async def test_timeouts_are_retried_then_reported(
    embedder: OpenAICompatibleEmbedder, upstream: OpenAIUpstream
) -> None:
    upstream.push_faults(Fault("hang", endpoint=EMBEDDINGS), Fault("hang", endpoint=EMBEDDINGS))
    with pytest.raises(ModelError) as failed:
        await embedder.embed(EmbeddingRequest("bge", ("x",)))
    assert failed.value.kind == "timeout"


def _answering(payload: Any) -> httpx.AsyncClient:
    """A client whose upstream answers every request with `payload` (another
    server's dialect of the embeddings API, not our own system)."""
    return httpx.AsyncClient(transport=httpx.MockTransport(lambda request: httpx.Response(200, json=payload)))


def _packed(values: list[float]) -> str:
    return base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode()


async def test_other_upstream_dialects_and_broken_answers() -> None:
    async def embed(payload: Any) -> list[list[float]]:
        async with _answering(payload) as client:
            embedder = OpenAICompatibleEmbedder(
                "other", "http://up/v1", None, timeout=1, connect_timeout=1, max_retries=0, client=client
            )
            return (await embedder.embed(EmbeddingRequest("m", ("a", "b")))).vectors

    # base64 answers (a server ignoring encoding_format), out of order: sorted by index.
    items = [{"index": 1, "embedding": _packed([0.5, -0.25])}, {"index": 0, "embedding": _packed([1.0, 0.0])}]
    assert await embed({"data": items}) == [[1.0, 0.0], [0.5, -0.25]]
    for broken, why in [
        ({"data": [{"embedding": [1.0]}]}, "1 embeddings for 2 inputs"),
        ({"data": [{"index": 0, "embedding": [1.0]}, {"index": 0, "embedding": [2.0]}]}, "bad index"),
        ({"data": [{"embedding": _packed([math.nan])}, {"embedding": [1.0]}]}, "non-finite"),
        ({"data": [{"embedding": "not base64!"}, {"embedding": [1.0]}]}, "not valid base64"),
        ({"data": [{"embedding": {"x": 1}}, {"embedding": [1.0]}]}, "neither a number array nor base64"),
        ({"object": "list"}, "no embeddings for 2 inputs"),
    ]:
        with pytest.raises(ModelError) as failed:
            await embed(broken)
        assert failed.value.kind == "bad_response" and why in failed.value.message
