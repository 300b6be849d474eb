"""Crispy Enigma's settings: the `[crispy]` table of chorus.toml."""

from __future__ import annotations

from pydantic import BaseModel, Field

from server.config import ConfigError, RateLimitSettings, Settings, SurfaceSettings, TenantSeed
from server.platform.speech.settings import SpeechSettings
from server.platform.surface import SettingsSection


def _default_tenants() -> list[TenantSeed]:
    return [TenantSeed(id="demo", name="Demo", allow_unauthenticated=True, hosts=["demo.example.com"])]


class SearchSettings(BaseModel):
    """`POST /search` and `POST /documents` (see server/surfaces/crispy/search.py)."""

    # Chunks scoring below this cosine are not relevant (all-MiniLM-L6-v2: unrelated
    # text scores about 0-0.1, a paraphrased question 0.3-0.65; see the README's figures).
    min_score: float = Field(default=0.25, ge=-1, le=1)
    # Longest answer the model may write, in tokens.
    max_answer_tokens: int = Field(default=600, ge=16)


class CrispySettings(SurfaceSettings):
    rate_limit: RateLimitSettings = Field(default_factory=RateLimitSettings)
    # Tenants created (if missing) at start; later changes via `chorus tenants`.
    tenants: list[TenantSeed] = Field(default_factory=_default_tenants)
    model: str = ""  # empty: models.default
    # How many earlier messages of a session are sent to the model.
    context_messages: int = Field(default=20, ge=0)
    # `POST /tts`: voices, limits, audio links.
    speech: SpeechSettings = Field(default_factory=SpeechSettings)
    # `POST /search`: relevance threshold and answer length.
    search: SearchSettings = Field(default_factory=SearchSettings)

    def tenant_seeds(self) -> list[TenantSeed]:
        return list(self.tenants)

    def check(self, settings: Settings) -> None:
        """What a field validator cannot see: the chat model is routed."""
        if self.model and self.model not in settings.models.routes:
            raise ConfigError(f"invalid configuration: crispy.model: unknown model {self.model!r}")


SETTINGS = SettingsSection("crispy", CrispySettings)
