"""Crispy Enigma's settings: the `[crispy]` table of chorus.toml."""

from __future__ import annotations

from pydantic import Field

from server.config import ConfigError, RateLimitSettings, Settings, SurfaceSettings, TenantSeed
from server.platform.speech.settings import SpeechSettings
from server.platform.surface import SettingsSection


def _default_tenants() -> list[TenantSeed]:
    return [TenantSeed(id="demo", name="Demo", allow_unauthenticated=True, hosts=["demo.example.com"])]


class CrispySettings(SurfaceSettings):
    rate_limit: RateLimitSettings = Field(default_factory=RateLimitSettings)
    # Tenants created (if missing) at start; later changes via `chorus tenants`.
    tenants: list[TenantSeed] = Field(default_factory=_default_tenants)
    model: str = ""  # empty: models.default
    # How many earlier messages of a session are sent to the model.
    context_messages: int = Field(default=20, ge=0)
    # `POST /tts`: voices, limits, audio links.
    speech: SpeechSettings = Field(default_factory=SpeechSettings)

    def tenant_seeds(self) -> list[TenantSeed]:
        return list(self.tenants)

    def check(self, settings: Settings) -> None:
        """What a field validator cannot see: the chat model is routed."""
        if self.model and self.model not in settings.models.routes:
            raise ConfigError(f"invalid configuration: crispy.model: unknown model {self.model!r}")


SETTINGS = SettingsSection("crispy", CrispySettings)
