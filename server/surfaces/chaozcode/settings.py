"""ChaozCode's settings: the `[chaozcode]` table of chorus.toml."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from server.config import ConfigError, Settings, SurfaceSettings, TenantSeed
from server.platform.surface import SettingsSection

PLANS = ("free", "pro", "team", "enterprise")


class PlanLimits(BaseModel):
    """Requests per API key: `per_minute` sustained, up to `burst` in any one minute, and
    `per_day` (0: no daily limit)."""

    per_minute: int = Field(ge=1)
    per_day: int = Field(ge=0)
    burst: int = Field(ge=1)


def _default_plans() -> dict[str, PlanLimits]:
    # Spec 001, "Rate Limits"; Enterprise's "1,000+" and "Custom" burst are configurable.
    return {
        "free": PlanLimits(per_minute=10, per_day=100, burst=20),
        "pro": PlanLimits(per_minute=60, per_day=10_000, burst=100),
        "team": PlanLimits(per_minute=300, per_day=100_000, burst=500),
        "enterprise": PlanLimits(per_minute=1_000, per_day=0, burst=1_000),
    }


class CatalogModel(BaseModel):
    """A model `GET /v2/models` lists. It is served by `models.routes.<route>` (default: the
    route of the same id if there is one, else `models.default`, the builtin development
    model); while that route's provider is builtin the catalog says `provider: "chorus"`,
    else `vendor`."""

    route: str = ""
    name: str
    vendor: str
    context_window: int = Field(ge=1)
    # US dollars per 1,000 tokens, as the document's prices read.
    input_price: float = Field(ge=0)
    output_price: float = Field(ge=0)
    capabilities: list[str] = Field(default_factory=list)


def _default_catalog() -> dict[str, CatalogModel]:
    return {
        "gpt-4": CatalogModel(
            name="GPT-4",
            vendor="openai",
            context_window=128_000,
            input_price=0.03,
            output_price=0.06,
            capabilities=["chat", "code", "analysis"],
        ),
        "claude-3-sonnet": CatalogModel(
            name="Claude 3 Sonnet",
            vendor="anthropic",
            context_window=200_000,
            input_price=0.003,
            output_price=0.015,
            capabilities=["chat", "code", "vision"],
        ),
        "gemini-pro": CatalogModel(
            name="Gemini Pro",
            vendor="google",
            context_window=32_000,
            input_price=0.0005,
            output_price=0.0015,
            capabilities=["chat", "code"],
        ),
    }


class ChaozCodeSettings(SurfaceSettings):
    # ChaozCode is one deployment: its users and their data belong to this tenant.
    tenant: str = "chaozcode"
    plans: dict[str, PlanLimits] = Field(default_factory=_default_plans)
    # Development keys: full access at these limits, whatever the plan.
    development_limits: PlanLimits = Field(default_factory=lambda: PlanLimits(per_minute=10, per_day=100, burst=20))
    # The catalog, in listing order; `default_model` answers requests that name none.
    models: dict[str, CatalogModel] = Field(default_factory=_default_catalog)
    default_model: str = "gpt-4"
    # Seconds usage counts gather in a process before they are written (reads write them first).
    usage_flush_seconds: float = Field(default=0.5, gt=0)
    # How many stored messages of a conversation `POST /v2/query/chat` gives the model.
    chat_context_messages: int = Field(default=50, ge=1)
    # Memory Spine: a deleted memory can be restored this long, then the purge job removes it.
    memory_retention_days: float = Field(default=30.0, gt=0)
    # Seconds between purge runs (of the clock, once across every replica); 0: never scheduled.
    memory_purge_interval: float = Field(default=3600.0, ge=0)
    # `usage.threshold` is emitted (once a day per user) when a user's calls of the day
    # reach this fraction of the plan's daily limit.
    usage_threshold: float = Field(default=0.8, gt=0, le=1)
    # Seconds between sweeps that end agent runs whose process died (see agents/runs.py).
    agent_settle_seconds: float = Field(default=60.0, gt=0)

    @field_validator("plans")
    @classmethod
    def _every_plan(cls, plans: dict[str, PlanLimits]) -> dict[str, PlanLimits]:
        if sorted(plans) != sorted(PLANS):
            raise ValueError(f"give limits for exactly the plans {', '.join(PLANS)}")
        return plans

    def tenant_seed(self) -> TenantSeed:
        return TenantSeed(id=self.tenant, name="ChaozCode")

    def tenant_seeds(self) -> list[TenantSeed]:
        return [self.tenant_seed()]

    def route_of(self, model_id: str, settings: Settings) -> str:
        """The `models.routes` id that serves catalog model `model_id`."""
        configured = self.models[model_id].route
        if configured:
            return configured
        return model_id if model_id in settings.models.routes else settings.models.default

    def check(self, settings: Settings) -> None:
        for model_id, model in self.models.items():
            if model.route and model.route not in settings.models.routes:
                raise ConfigError(
                    f"invalid configuration: chaozcode.models.{model_id}.route: unknown model {model.route!r}"
                )
        if self.default_model not in self.models:
            raise ConfigError(
                f"invalid configuration: chaozcode.default_model: {self.default_model!r} is not in chaozcode.models"
            )


SETTINGS = SettingsSection("chaozcode", ChaozCodeSettings)
