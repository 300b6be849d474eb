"""Maps public model ids to (provider, upstream model) and forwards streams."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from server.platform.models.types import ModelError, ModelEvent, ModelProvider, ModelRequest, TextDelta, Usage
from server.platform.route_table import close_each_once, index_routes


@dataclass(frozen=True)
class ModelRoute:
    public_id: str
    provider: str
    upstream_model: str


class ModelObserver(Protocol):
    """Watches model calls (metrics, traces): `started` returns what the others are given."""

    def started(self, model: str, provider: str) -> Any: ...

    def first_text(self, watch: Any) -> None: ...

    def usage(self, watch: Any, prompt_tokens: int, completion_tokens: int) -> None: ...

    def ended(self, watch: Any, error: str | None) -> None: ...


class ContextObserver(ModelObserver, Protocol):
    """A ModelObserver whose watch is made current while the provider runs (a trace span,
    so the provider's HTTP request carries it): `resume` before, `pause` after, each step."""

    def resume(self, watch: Any) -> Any: ...

    def pause(self, token: Any) -> None: ...


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
        self.observer: ModelObserver | None = None

    def _route(self, public_id: str | None) -> ModelRoute:
        route = self._routes.get(public_id or self.default_model)
        if route is None:
            raise ModelError(f"The model {public_id!r} does not exist", kind="unknown_model")
        return route

    def resolve(self, public_id: str | None) -> tuple[ModelProvider, str]:
        """(provider, upstream model id); None or "" means the default model."""
        route = self._route(public_id)
        return self._providers[route.provider], route.upstream_model

    def public_ids(self) -> list[str]:
        return list(self._routes)

    async def stream(self, request: ModelRequest) -> AsyncIterator[ModelEvent]:
        route = self._route(request.model)
        provider = self._providers[route.provider]
        upstream_request = dataclasses.replace(request, model=route.upstream_model)
        events = provider.stream(upstream_request)
        observer = self.observer
        # Labelled by the configured ids (bounded), never by what the client sent.
        watch = None if observer is None else observer.started(route.public_id, route.provider)
        failure: str | None = None
        texted = False
        if observer is not None and hasattr(observer, "resume"):
            events = _in_context(events, observer, watch)
        try:
            async for event in events:
                if observer is not None:
                    if not texted and isinstance(event, TextDelta):
                        texted = True
                        observer.first_text(watch)
                    elif isinstance(event, Usage):
                        observer.usage(watch, event.prompt_tokens, event.completion_tokens)
                yield event
        except ModelError as exc:
            failure = exc.kind
            raise
        except Exception:
            failure = "error"
            raise
        finally:
            if observer is not None:
                observer.ended(watch, failure)
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


async def _in_context(events: AsyncIterator[ModelEvent], observer: Any, watch: Any) -> AsyncIterator[ModelEvent]:
    """`events`, each step run with the observer's context current (never across a yield)."""
    iterator = events.__aiter__()
    try:
        while True:
            token = observer.resume(watch)
            try:
                event = await iterator.__anext__()
            except StopAsyncIteration:
                return
            finally:
                observer.pause(token)
            yield event
    finally:
        close = getattr(iterator, "aclose", None)
        if close is not None:
            await close()
