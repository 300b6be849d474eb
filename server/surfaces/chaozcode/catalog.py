"""The model catalog (`GET /v2/models`), from configuration, and the cost of usage.

Each catalog id is served by a `models.routes` entry (see `CatalogModel`). The
catalog is honest about who answers: `provider` is "chorus" while that route's
provider is builtin (the development model), else the configured vendor.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.config import Settings
from server.surfaces.chaozcode.settings import ChaozCodeSettings

BUILTIN_PROVIDER = "chorus"


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    id: str
    name: str
    provider: str
    context_window: int
    input_price: float  # per 1,000 prompt tokens
    output_price: float  # per 1,000 completion tokens
    capabilities: tuple[str, ...]
    route: str  # the models.routes id that serves it

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return prompt_tokens / 1000 * self.input_price + completion_tokens / 1000 * self.output_price


class ModelCatalog:
    def __init__(self, settings: Settings, surface: ChaozCodeSettings) -> None:
        entries = []
        for model_id, model in surface.models.items():
            route = surface.route_of(model_id, settings)
            provider = settings.models.providers[settings.models.routes[route].provider]
            entries.append(
                CatalogEntry(
                    model_id,
                    model.name,
                    BUILTIN_PROVIDER if provider.kind == "builtin" else model.vendor,
                    model.context_window,
                    model.input_price,
                    model.output_price,
                    tuple(model.capabilities),
                    route,
                )
            )
        self.entries = tuple(entries)
        self._by_id = {e.id: e for e in entries}
        self.default = self._by_id[surface.default_model]

    def get(self, model_id: str) -> CatalogEntry | None:
        return self._by_id.get(model_id)
