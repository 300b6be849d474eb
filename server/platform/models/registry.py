"""Maps public model ids to (provider, upstream model) and forwards streams."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass

from server.platform.models.types import ModelError, ModelEvent, ModelProvider, ModelRequest
from server.platform.route_table import close_each_once, index_routes


@dataclass(frozen=True)
class ModelRoute:
    public_id: str
    provider: str
    upstream_model: str


class ModelRegistry:
    def __init__(
        self,
        providers: Mapping[str, ModelProvider],
        routes: Sequence[ModelRoute],
        default_model: str,
    ) -> None:
        self._providers = dict(providers)
        self._routes = index_routes(routes, self._providers, "model")
        if default_model not in self._routes:
            raise ValueError(f"default model {default_model!r} has no route")
        self.default_model = default_model

    def resolve(self, public_id: str | None) -> tuple[ModelProvider, str]:
        """(provider, upstream model id); None or "" means the default model."""
        route = self._routes.get(public_id or self.default_model)
        if route is None:
            raise ModelError(f"The model {public_id!r} does not exist", kind="unknown_model")
        return self._providers[route.provider], route.upstream_model

    def public_ids(self) -> list[str]:
        return list(self._routes)

    async def stream(self, request: ModelRequest) -> AsyncIterator[ModelEvent]:
        provider, upstream_model = self.resolve(request.model)
        upstream_request = dataclasses.replace(request, model=upstream_model)
        events = provider.stream(upstream_request)
        try:
            async for event in events:
                yield event
        finally:
            # When our consumer stops early, close the provider's stream now
            # (releasing its upstream connection), not whenever GC gets to it.
            close = getattr(events, "aclose", None)
            if close is not None:
                await close()

    async def probe(self, public_id: str | None) -> None:
        """Checks the provider serving this model id (the default when None); raises ModelError."""
        provider, _ = self.resolve(public_id)
        await provider.probe()

    async def aclose(self) -> None:
        await close_each_once(self._providers.values())
