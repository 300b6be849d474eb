"""Builds the model registry from configuration."""

from __future__ import annotations

from server.config import ModelSettings
from server.providers.models.builtin import BuiltinModel
from server.providers.models.registry import ModelRegistry, ModelRoute
from server.providers.models.types import ModelProvider


def build_model_registry(settings: ModelSettings) -> ModelRegistry:
    providers: dict[str, ModelProvider] = {}
    for name, conf in settings.providers.items():
        if conf.kind == "builtin":
            providers[name] = BuiltinModel(token_delay=conf.token_delay)
        else:
            from server.providers.models.openai_compatible import OpenAICompatibleProvider

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
