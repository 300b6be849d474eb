"""Embedding providers behind one surface-agnostic interface (see types)."""

from server.providers.embeddings.builtin import DEFAULT_DIMENSIONS, LexicalEmbedder, lexical_vector
from server.providers.embeddings.openai_compatible import OpenAICompatibleEmbedder
from server.providers.embeddings.registry import EmbeddingRegistry, EmbeddingRoute
from server.providers.embeddings.types import EmbeddingProvider, EmbeddingRequest, EmbeddingResult

__all__ = [
    "DEFAULT_DIMENSIONS",
    "EmbeddingProvider",
    "EmbeddingRegistry",
    "EmbeddingRequest",
    "EmbeddingResult",
    "EmbeddingRoute",
    "LexicalEmbedder",
    "OpenAICompatibleEmbedder",
    "lexical_vector",
]
