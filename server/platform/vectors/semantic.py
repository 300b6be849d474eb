"""Semantic search over a vector namespace: texts in, texts' ids out.

What Memory Spine (ChaozCode), document search (Crispy RAG) and agents share:
the platform's semantic embedding model (`models.semantic_embedding`, by
default the packaged all-MiniLM-L6-v2) and one `VectorIndex` per namespace.
Both are built once per process (`semantic_search`), so every surface shares
one loaded model and one in-memory copy of each namespace.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from server.platform.clock import Clock
from server.platform.embeddings.registry import EmbeddingRegistry
from server.platform.embeddings.types import EmbeddingRequest
from server.platform.models.setup import build_embedding_registry
from server.platform.scope import Scope
from server.platform.storage.database import Database
from server.platform.surface import Platform
from server.platform.vectors.index import VectorIndex
from server.platform.vectors.partition import Hit, Vector


class SemanticSearch:
    def __init__(self, registry: EmbeddingRegistry, model: str, index: VectorIndex) -> None:
        self._registry = registry
        self.model = model
        self.index = index

    async def embed(self, texts: Sequence[str]) -> tuple[list[Vector], int]:
        """One normalised vector per text (batched, off the event loop), and the tokens read."""
        result = await self._registry.embed(self.model, EmbeddingRequest(self.model, tuple(texts)))
        vectors = [np.asarray(v, dtype=np.float32) for v in result.vectors]
        return [v / (np.linalg.norm(v) or 1.0) for v in vectors], result.prompt_tokens

    async def store(self, scope: Scope, items: Sequence[tuple[str, str]]) -> int:
        """Embeds and stores (item id, text) pairs in one write; returns the change number."""
        vectors, _ = await self.embed([text for _, text in items])
        return await self.index.upsert(scope, [(item_id, v) for (item_id, _), v in zip(items, vectors, strict=True)])

    async def search(
        self,
        scope: Scope,
        query: str,
        k: int,
        *,
        min_score: float | None = None,
        accept: Callable[[str], bool] | None = None,
    ) -> list[Hit]:
        (vector,), _ = await self.embed([query])
        return await self.index.search(scope, vector, k, min_score=min_score, accept=accept)


async def semantic_search(platform: Platform, namespace: str) -> SemanticSearch:
    """The process's semantic search over `namespace` (one model and one index per process)."""
    models = platform.settings.models

    async def build_registry() -> EmbeddingRegistry:
        registry = build_embedding_registry(models, semantic=True)
        platform.closers.append(registry.aclose)
        return registry

    registry = await platform.shared(("platform.embeddings", "semantic"), build_registry)

    async def build_index() -> VectorIndex:
        return await vector_index(registry, models.semantic_embedding, platform.db, platform.clock, namespace)

    index = await platform.shared(("platform.vectors", namespace), build_index)
    return SemanticSearch(registry, models.semantic_embedding, index)


async def vector_index(
    registry: EmbeddingRegistry, model: str, db: Database, clock: Clock, namespace: str
) -> VectorIndex:
    """An index of `namespace` for `model`'s vectors (outside a server: the `chorus` CLI, benches)."""
    route = registry.route(model)
    dimensions = route.dimensions
    if dimensions is None:  # an upstream model: its size is what it answers
        probe = await registry.embed(model, EmbeddingRequest(model, ("dimensions",)))
        dimensions = len(probe.vectors[0])
    return VectorIndex(db, clock, namespace, model=model, dimensions=dimensions)
