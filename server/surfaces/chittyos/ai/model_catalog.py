"""The models an OpenAI-style gateway lists (`GET /v1/models`), from configuration."""

from __future__ import annotations

from dataclasses import dataclass

from server.config import ModelRouteSettings, ModelSettings

# `owned_by` of the models Chorus itself serves (the builtin development model,
# the builtin lexical embedding and the packaged sentence embedding): they are not the named vendor's models.
BUILTIN_OWNER = "chorus"


@dataclass(frozen=True, slots=True)
class ModelCard:
    id: str
    created: int  # seconds since the Unix epoch
    owned_by: str


def model_cards(settings: ModelSettings, started_at: int) -> tuple[ModelCard, ...]:
    """Chat models (in configuration order), then embedding models. `created`
    is the route's configured value, else `started_at`; `owned_by` is
    "chorus" for Chorus's own providers, else the provider's configured name."""
    routes: list[tuple[str, ModelRouteSettings]] = [*settings.routes.items(), *settings.embeddings.items()]
    cards = []
    for public_id, route in routes:
        builtin = settings.served_by_chorus(route.provider)
        cards.append(ModelCard(public_id, route.created or started_at, BUILTIN_OWNER if builtin else route.provider))
    return tuple(cards)
