"""The builtin LEXICAL embedding: deterministic hashed features, no model.

It is not a semantic embedding. Texts that share words (or word stems, via
character n-grams) get similar vectors; paraphrases with different words do
not. It needs no download and no network, so `/v1/embeddings` works out of
the box and tests are reproducible. Route a public id to an OpenAI-compatible
provider for real (semantic) embeddings.

How a text becomes a vector of `dimensions` floats:

1. NFKC-normalise and case-fold; words are runs of letters, digits and
   underscores (`\\w+`).
2. Features, each hashed (CRC-32) to a dimension and a sign (the hashing
   trick, signed so collisions cancel rather than pile up):
   - every word, weight 1;
   - every pair of adjacent words, weight 0.5 (some word order);
   - the character 3-grams of every word padded with `<` and `>`, each
     weighted 1/sqrt(count) so a word's n-grams weigh as much as the word
     (so "embedding" and "embeddings" are close).
3. The vector is L2-normalised (a text without words gives the zero vector)
   and its values rounded to 8 decimal places.

The same text and `dimensions` always give the same vector, in any process.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import re
import unicodedata
import zlib
from functools import lru_cache

from server.platform.embeddings.types import EmbeddingRequest, EmbeddingResult
from server.platform.models.tokenizer import count_tokens

DEFAULT_DIMENSIONS = 768  # like bge-base-en-v1.5, the document's embedding model
BIGRAM_WEIGHT = 0.5
NGRAM = 3

_WORD = re.compile(r"\w+")
# Batches above this many characters are embedded off the event loop.
_INLINE_CHARS = 20_000

_Features = tuple[tuple[int, float], ...]  # (dimension, signed weight)


def _hashed(feature: str, dimensions: int, weight: float) -> tuple[int, float]:
    digest = zlib.crc32(feature.encode())
    return digest % dimensions, (weight if digest & 0x80000000 else -weight)


@lru_cache(maxsize=65_536)
def _word_features(word: str, dimensions: int) -> _Features:
    """The word itself plus its character n-grams (words repeat: cache them)."""
    padded = f"<{word}>"
    grams = [padded[i : i + NGRAM] for i in range(len(padded) - NGRAM + 1)]
    share = 1.0 / math.sqrt(len(grams))
    return (_hashed("w:" + word, dimensions, 1.0), *(_hashed("c:" + g, dimensions, share) for g in grams))


def lexical_vector(text: str, dimensions: int = DEFAULT_DIMENSIONS) -> list[float]:
    """The builtin embedding of one text (see the module docstring)."""
    if dimensions < 1:
        raise ValueError("dimensions must be >= 1")
    words = _WORD.findall(unicodedata.normalize("NFKC", text).casefold())
    # Accumulate sparsely: a text touches far fewer dimensions than there are.
    sparse: dict[int, float] = {}
    for word in words:
        for index, weight in _word_features(word, dimensions):
            sparse[index] = sparse.get(index, 0.0) + weight
    for first, second in itertools.pairwise(words):
        index, weight = _hashed(f"b:{first} {second}", dimensions, BIGRAM_WEIGHT)
        sparse[index] = sparse.get(index, 0.0) + weight
    vector = [0.0] * dimensions
    norm = math.hypot(*sparse.values())
    if norm == 0.0:
        return vector
    for index, value in sparse.items():
        vector[index] = round(value / norm, 8)
    return vector


class LexicalEmbedder:
    """EmbeddingProvider for the builtin lexical embedding. `request.model` is
    ignored (there is one algorithm); `dimensions` picks the vector size."""

    name = "builtin"

    def __init__(self, dimensions: int = DEFAULT_DIMENSIONS) -> None:
        if dimensions < 1:
            raise ValueError("dimensions must be >= 1")
        self.dimensions = dimensions

    async def embed(self, request: EmbeddingRequest) -> EmbeddingResult:
        dimensions = request.dimensions or self.dimensions
        texts = request.texts
        if sum(len(t) for t in texts) <= _INLINE_CHARS:
            vectors = [lexical_vector(t, dimensions) for t in texts]
        else:
            # Pure Python and CPU-bound: keep a big batch from stalling other calls.
            vectors = await asyncio.to_thread(lambda: [lexical_vector(t, dimensions) for t in texts])
        return EmbeddingResult(vectors, sum(count_tokens(t) for t in texts))

    async def aclose(self) -> None:
        return None
