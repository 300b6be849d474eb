"""Agent Chassis's settings: the `[agentchassis]` table of chorus.toml."""

from __future__ import annotations

import os

from pydantic import BaseModel, Field

from server.config import ConfigError, Settings, SurfaceSettings, TenantSeed
from server.platform.mail import SmtpSettings
from server.platform.surface import SettingsSection

# The document's name for the API key (its `.env`), read when `api_key` is not set.
API_KEY_ALIAS = "CHASSIS_API_KEY"


class GoogleSettings(BaseModel):
    """Google sign-in; no client id: `POST /auth/google` answers 503."""

    client_id: str = ""
    jwks_url: str = "https://www.googleapis.com/oauth2/v3/certs"
    issuers: list[str] = Field(default_factory=lambda: ["accounts.google.com", "https://accounts.google.com"])


class AgentChassisSettings(SurfaceSettings):
    # One deployment: its users, sessions and API key belong to this tenant.
    tenant: str = "agentchassis"
    # X-API-Key; empty: the header is not accepted (CHASSIS_API_KEY is read too).
    api_key: str = ""
    # HS256 key of the access tokens; empty: one generated into the data directory.
    jwt_secret: str = ""
    access_token_seconds: int = Field(default=900, ge=60)
    refresh_token_days: float = Field(default=30.0, gt=0)
    # Mailed codes (verification, password reset): lifetime and wrong guesses allowed.
    code_minutes: float = Field(default=15.0, gt=0)
    code_attempts: int = Field(default=5, ge=1)
    # Login: attempts per client address per window (spec: 5 per 15 minutes).
    login_attempts: int = Field(default=5, ge=1)
    login_window_minutes: int = Field(default=15, ge=1)
    # Mails per address per minute (verification resend, password reset).
    mails_per_minute: int = Field(default=1, ge=1)
    # Model of requests that name none (empty: models.default), and tool rounds per turn.
    model: str = ""
    # Model ids accepted beside `models.routes`' own, each served by the route named (empty:
    # the route of that id if there is one, else models.default: the builtin development model).
    models: dict[str, str] = Field(default_factory=lambda: {"kimi-k2-thinking": ""})
    max_tool_rounds: int = Field(default=4, ge=1, le=16)
    # Stored messages of a session the model sees.
    context_messages: int = Field(default=50, ge=1)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    google: GoogleSettings = Field(default_factory=GoogleSettings)
    # An MCP server (streamable HTTP URL) whose tools the agent may call too; empty: none.
    mcp_url: str = ""
    # Seconds an MCP request may take, connecting included.
    mcp_timeout: float = Field(default=15.0, gt=0)

    def tenant_seed(self) -> TenantSeed:
        return TenantSeed(id=self.tenant, name="Agent Chassis")

    def tenant_seeds(self) -> list[TenantSeed]:
        return [self.tenant_seed()]

    def effective_api_key(self) -> str:
        return self.api_key or os.environ.get(API_KEY_ALIAS, "")

    def check(self, settings: Settings) -> None:
        if self.model and self.model not in settings.models.routes:
            raise ConfigError(f"invalid configuration: agentchassis.model: unknown model {self.model!r}")
        for model_id, route in self.models.items():
            if route and route not in settings.models.routes:
                raise ConfigError(f"invalid configuration: agentchassis.models.{model_id}: unknown model {route!r}")

    def route_of(self, model_id: str, settings: Settings) -> str | None:
        """The `models.routes` id serving a request's model ("" = the default); None: unknown."""
        if not model_id:
            return self.model or settings.models.default
        if model_id in settings.models.routes:
            return model_id
        if model_id in self.models:
            return self.models[model_id] or settings.models.default
        return None


SETTINGS = SettingsSection("agentchassis", AgentChassisSettings)
