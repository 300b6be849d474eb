"""Maps public embedding model ids to (provider, upstream model, vector size)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from server.platform.embeddings.types import EmbeddingProvider, EmbeddingRequest, EmbeddingResult
from server.platform.models.types import ModelError
from server.platform.route_table import close_each_once, index_routes


@dataclass(frozen=True)
class EmbeddingRoute:
    public_id: str
    provider: str
    upstream_model: str
    # The vectors' size when known (the builtin embedding's configured size);
    # requested `dimensions` may not exceed it. None: the upstream decides.
    dimensions: int | None = None


class EmbeddingRegistry:
    def __init__(self, providers: Mapping[str, EmbeddingProvider], routes: Sequence[EmbeddingRoute]) -> None:
        self._providers = dict(providers)
        self._routes = index_routes(routes, self._providers, "embedding model")

    def route(self, public_id: str) -> EmbeddingRoute:
        route = self._routes.get(public_id)
        if route is None:
            raise ModelError(f"The model {public_id!r} does not exist", kind="unknown_model")
        return route

    def provider(self, public_id: str) -> EmbeddingProvider:
        return self._providers[self.route(public_id).provider]

    def public_ids(self) -> list[str]:
        return list(self._routes)

    async def embed(self, public_id: str, request: EmbeddingRequest) -> EmbeddingResult:
        """Embeds with the route's provider: `request.model` becomes the upstream
        id, and unset `dimensions` the route's own size (when it has one)."""
        route = self.route(public_id)
        upstream = dataclasses.replace(
            request, model=route.upstream_model, dimensions=request.dimensions or route.dimensions
        )
        return await self._providers[route.provider].embed(upstream)

    async def aclose(self) -> None:
        await close_each_once(self._providers.values())
