"""Embedding providers behind one surface-agnostic interface (see types)."""

from server.platform.embeddings.builtin import DEFAULT_DIMENSIONS, LexicalEmbedder, lexical_vector
from server.platform.embeddings.openai_compatible import OpenAICompatibleEmbedder
from server.platform.embeddings.registry import EmbeddingRegistry, EmbeddingRoute
from server.platform.embeddings.types import EmbeddingProvider, EmbeddingRequest, EmbeddingResult

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
