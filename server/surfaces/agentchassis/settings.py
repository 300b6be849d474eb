"""Agent Chassis's settings: the `[agentchassis]` table of chorus.toml."""

from __future__ import annotations

import os

from pydantic import BaseModel, Field

from server.config import ConfigError, Settings, SurfaceSettings, TenantSeed
from server.platform.surface import SettingsSection

# The document's name for the API key (its `.env`), read when `api_key` is not set.
API_KEY_ALIAS = "CHASSIS_API_KEY"


class SmtpSettings(BaseModel):
    """Where mail goes. No host: development mode, mail is kept in the outbox
    (`chorus agentchassis outbox` prints it)."""

    host: str = ""
    port: int = Field(default=587, ge=1, le=65535)
    username: str = ""
    password: str = ""
    # "starttls" (upgrade a plain connection), "tls" (implicit TLS, port 465) or "none".
    security: str = Field(default="starttls", pattern="^(starttls|tls|none)$")
    # Verify the server's certificate (turn off only for a local test server).
    verify_certificate: bool = True
    sender: str = "Agent Chassis <no-reply@localhost>"
    timeout: float = Field(default=10.0, gt=0)


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
    max_tool_rounds: int = Field(default=4, ge=1, le=16)
    # Stored messages of a session the model sees.
    context_messages: int = Field(default=50, ge=1)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    google: GoogleSettings = Field(default_factory=GoogleSettings)
    # An MCP server (streamable HTTP URL) whose tools the agent may call too; empty: none.
    mcp_url: str = ""

    def tenant_seed(self) -> TenantSeed:
        return TenantSeed(id=self.tenant, name="Agent Chassis")

    def tenant_seeds(self) -> list[TenantSeed]:
        return [self.tenant_seed()]

    def effective_api_key(self) -> str:
        return self.api_key or os.environ.get(API_KEY_ALIAS, "")

    def check(self, settings: Settings) -> None:
        if self.model and self.model not in settings.models.routes:
            raise ConfigError(f"invalid configuration: agentchassis.model: unknown model {self.model!r}")


SETTINGS = SettingsSection("agentchassis", AgentChassisSettings)
