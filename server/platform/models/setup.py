"""Builds the model and embedding registries from configuration."""

from __future__ import annotations

from server.config import SEMANTIC_EMBEDDING_MODEL, SENTENCE_PROVIDER, EmbeddingRouteSettings, ModelSettings
from server.platform.embeddings.builtin import DEFAULT_DIMENSIONS, LexicalEmbedder
from server.platform.embeddings.registry import EmbeddingRegistry, EmbeddingRoute
from server.platform.embeddings.types import EmbeddingProvider
from server.platform.models.builtin import BuiltinModel
from server.platform.models.registry import ModelRegistry, ModelRoute
from server.platform.models.types import ModelProvider


def build_model_registry(settings: ModelSettings) -> ModelRegistry:
    providers: dict[str, ModelProvider] = {}
    for name, conf in settings.providers.items():
        if conf.kind == "sentence":
            continue  # embeds only
        if conf.kind == "builtin":
            providers[name] = BuiltinModel(token_delay=conf.token_delay)
        else:
            from server.platform.models.openai_compatible import OpenAICompatibleProvider

            providers[name] = OpenAICompatibleProvider(
                name,
                conf.base_url,
                conf.api_key or None,
                timeout=conf.timeout,
                connect_timeout=conf.connect_timeout,
                max_retries=conf.max_retries,
            )
    routes = [
        ModelRoute(public_id, route.provider, route.upstream_model or public_id)
        for public_id, route in settings.routes.items()
    ]
    return ModelRegistry(providers, routes, settings.default)


def build_embedding_registry(settings: ModelSettings, *, semantic: bool = False) -> EmbeddingRegistry:
    """The configured embedding routes, plus with `semantic` the packaged semantic
    model when `semantic_embedding` names it and no route does. Only providers
    that some route uses are built (each opens no connection, and the packaged
    model loads no weights, until it is called)."""
    providers: dict[str, EmbeddingProvider] = {}
    routes = []
    configured = dict(settings.embeddings)
    if semantic and settings.semantic_embedding not in configured:
        configured[SEMANTIC_EMBEDDING_MODEL] = EmbeddingRouteSettings(provider=SENTENCE_PROVIDER)
    for public_id, route in configured.items():
        conf = settings.providers[route.provider]
        if route.provider not in providers:
            if conf.kind == "builtin":
                providers[route.provider] = LexicalEmbedder()
            elif conf.kind == "sentence":
                from server.platform.embeddings.sentence import SentenceEmbedder

                providers[route.provider] = SentenceEmbedder()
            else:
                from server.platform.embeddings.openai_compatible import OpenAICompatibleEmbedder

                providers[route.provider] = OpenAICompatibleEmbedder(
                    route.provider,
                    conf.base_url,
                    conf.api_key or None,
                    timeout=conf.timeout,
                    connect_timeout=conf.connect_timeout,
                    max_retries=conf.max_retries,
                )
        size = _route_dimensions(conf.kind, route.dimensions)
        routes.append(EmbeddingRoute(public_id, route.provider, route.upstream_model or public_id, size))
    return EmbeddingRegistry(providers, routes)


def _route_dimensions(kind: str, configured: int | None) -> int | None:
    """The vectors' size where Chorus knows it (its own providers); None: the upstream decides."""
    if kind == "builtin":
        return configured or DEFAULT_DIMENSIONS
    if kind == "sentence":
        from server.platform.embeddings.sentence import MINILM_DIMENSIONS

        return MINILM_DIMENSIONS
    return None
