"""ChittyOS's settings: the `[chittyos]` table, one for the deployment's five services."""

from __future__ import annotations

from pydantic import Field

from server.config import Settings, SurfaceSettings, TenantSeed
from server.platform.surface import SettingsSection
from server.surfaces.chittyos.ai.settings import ChittyAiSettings
from server.surfaces.chittyos.auth.settings import ChittyAuthSettings
from server.surfaces.chittyos.id.settings import ChittyIdSettings
from server.surfaces.chittyos.sync.settings import ChittySyncSettings


class ChittyOSSettings(SurfaceSettings):
    # ChittyOS is one deployment: every row it stores belongs to this tenant
    # (created at start if missing), and its API keys are this tenant's keys.
    tenant: str = "chittyos"
    id: ChittyIdSettings = Field(default_factory=ChittyIdSettings)
    auth: ChittyAuthSettings = Field(default_factory=ChittyAuthSettings)
    sync: ChittySyncSettings = Field(default_factory=ChittySyncSettings)
    ai: ChittyAiSettings = Field(default_factory=ChittyAiSettings)

    def tenant_seed(self) -> TenantSeed:
        return TenantSeed(id=self.tenant, name="ChittyOS")

    def tenant_seeds(self) -> list[TenantSeed]:
        return [self.tenant_seed()]

    def check(self, settings: Settings) -> None:
        self.ai.models(settings.models)
        self.id.check()


def ai_gateway_models(settings: Settings) -> tuple[str, str]:
    """The AI gateway's (primary chat, default embedding) model ids."""
    return SETTINGS.of(settings).ai.models(settings.models)


SETTINGS = SettingsSection("chittyos", ChittyOSSettings)
