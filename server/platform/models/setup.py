"""Builds the model and embedding registries from configuration."""

from __future__ import annotations

from server.config import ModelSettings
from server.platform.embeddings.builtin import DEFAULT_DIMENSIONS, LexicalEmbedder
from server.platform.embeddings.registry import EmbeddingRegistry, EmbeddingRoute
from server.platform.embeddings.types import EmbeddingProvider
from server.platform.models.builtin import BuiltinModel
from server.platform.models.registry import ModelRegistry, ModelRoute
from server.platform.models.types import ModelProvider


def build_model_registry(settings: ModelSettings) -> ModelRegistry:
    providers: dict[str, ModelProvider] = {}
    for name, conf in settings.providers.items():
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


def build_embedding_registry(settings: ModelSettings) -> EmbeddingRegistry:
    """Only providers that some embedding route uses are built (each opens no
    connection until it is called)."""
    providers: dict[str, EmbeddingProvider] = {}
    routes = []
    for public_id, route in settings.embeddings.items():
        conf = settings.providers[route.provider]
        if route.provider not in providers:
            if conf.kind == "builtin":
                providers[route.provider] = LexicalEmbedder()
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
        size = (route.dimensions or DEFAULT_DIMENSIONS) if conf.kind == "builtin" else None
        routes.append(EmbeddingRoute(public_id, route.provider, route.upstream_model or public_id, size))
    return EmbeddingRegistry(providers, routes)
