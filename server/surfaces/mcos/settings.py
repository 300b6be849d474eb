"""Micro Chief of Staff's settings: the `[mcos]` table of chorus.toml."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from server.config import SurfaceSettings, TenantSeed
from server.platform.surface import SettingsSection


class McosAccessSettings(BaseModel):
    """Cloudflare Access: the `CF-Access-JWT-Assertion` every request carries.

    With neither `jwks_file` nor `jwks_url`, Chorus is its own development
    identity provider: it keeps an ES256 key in <data_dir>/mcos-dev-jwks.json
    and `chorus mcos token --sub USER` mints tokens with it.
    """

    # A JWKS document on disk, or the team's certs URL
    # (https://<team>.cloudflareaccess.com/cdn-cgi/access/certs).
    jwks_file: str = ""
    jwks_url: str = ""
    # Cloudflare Access puts the application's AUD tag in `aud` and the team
    # domain in `iss`.
    audience: str = "chorus-mcos"
    issuer: str = "https://chorus.cloudflareaccess.local"
    algorithms: list[Literal["RS256", "ES256"]] = Field(default_factory=lambda: ["RS256", "ES256"])  # type: ignore[arg-type]
    # Seconds of clock skew tolerated on `exp`, `nbf` and `iat`.
    leeway: float = Field(default=30.0, ge=0)
    # Seconds a fetched JWKS is trusted before it is fetched again; an
    # unknown `kid` refetches at most once per `jwks_min_refresh` seconds.
    jwks_cache_seconds: float = Field(default=300.0, gt=0)
    jwks_min_refresh: float = Field(default=10.0, ge=0)
    jwks_timeout: float = Field(default=5.0, gt=0)


class McosRateLimits(BaseModel):
    """The document's per-user limits (spec 003, "Rate Limits")."""

    chat_messages_per_minute: int = Field(default=60, ge=1)
    llm_tokens_per_day: int = Field(default=100_000, ge=1)
    flight_searches_per_day: int = Field(default=10, ge=1)
    storage_writes_per_day: int = Field(default=1_000, ge=1)


class McosFlightsSettings(BaseModel):
    """The flights MCP server that `search_flights` calls."""

    # A streamable-HTTP MCP endpoint, e.g. "http://127.0.0.1:9000/mcp". Empty:
    # run `command` over stdio.
    url: str = ""
    # The stdio server to start; empty: Chorus's bundled sample-data server.
    command: list[str] = Field(default_factory=list)
    # The MCP tool that searches flights.
    tool: str = "search_flights"
    # Seconds allowed for one search, connecting included.
    timeout: float = Field(default=15.0, gt=0)


class McosChatSettings(BaseModel):
    model: str = ""  # empty: models.default
    # How many earlier messages of a conversation are sent to the model.
    context_messages: int = Field(default=20, ge=0)
    # Tool rounds the model may take in one turn before it must answer.
    max_tool_rounds: int = Field(default=4, ge=1)


class McosRetentionSettings(BaseModel):
    """Spec 003, "Data Retention": the newest `active_messages` of a
    conversation are active; older ones are archived, and purged
    `archive_days` after they were archived. Completed tasks are kept
    `completed_task_days`, the event log `event_log_days`, and a deleted
    task's tombstone (what `since`/`cursor` reads report) `tombstone_days`."""

    active_messages: int = Field(default=100, ge=1)
    archive_days: float = Field(default=90.0, gt=0)
    completed_task_days: float = Field(default=365.0, gt=0)
    event_log_days: float = Field(default=30.0, gt=0)
    tombstone_days: float = Field(default=30.0, gt=0)
    # Seconds (of the clock) between retention runs, each rule a background job; 0 schedules none.
    interval: float = Field(default=3600.0, ge=0)


class McosSettings(SurfaceSettings):
    # MCoS is one deployment: its rows belong to this tenant (created at start
    # if missing) and, within it, to each user (`sub`).
    tenant: str = "mcos"
    access: McosAccessSettings = Field(default_factory=McosAccessSettings)
    rate_limits: McosRateLimits = Field(default_factory=McosRateLimits)
    flights: McosFlightsSettings = Field(default_factory=McosFlightsSettings)
    chat: McosChatSettings = Field(default_factory=McosChatSettings)
    retention: McosRetentionSettings = Field(default_factory=McosRetentionSettings)
    # Hours an Idempotency-Key is remembered.
    idempotency_ttl_hours: float = Field(default=24.0, gt=0)

    def tenant_seed(self) -> TenantSeed:
        return TenantSeed(id=self.tenant, name="Micro Chief of Staff")

    def tenant_seeds(self) -> list[TenantSeed]:
        return [self.tenant_seed()]


SETTINGS = SettingsSection("mcos", McosSettings)
