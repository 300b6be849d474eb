"""Configuration: one TOML file plus `CHORUS_*` environment overrides.

The file is `chorus.toml` in the working directory, or the path in
`CHORUS_CONFIG` (or `--config`). Environment variables win over the file;
nested settings use `__`, e.g. `CHORUS_GRPC__PORT=6000`. Invalid settings
stop the process at start with a message naming the setting.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from rest_bridge.transport import DEFAULT_MAX_MESSAGE_BYTES
from server.platform.admission.client_address import DEFAULT_TRUSTED_PROXIES, ProxyHeader, parse_networks


class Listen(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(default=0, ge=0, le=65535)


class GrpcSettings(Listen):
    port: int = Field(default=50051, ge=0, le=65535)
    # Seconds open streams may keep running after SIGTERM before they are cancelled.
    shutdown_grace: float = Field(default=10.0, ge=0)
    # Largest gRPC message, in bytes, either way: the server's limit and the
    # bridge channel's. The largest documented response, 2,048 embeddings of
    # 3,072 dimensions (~50 MB as packed doubles), fits the default.
    max_message_bytes: int = Field(default=DEFAULT_MAX_MESSAGE_BYTES, ge=1024)


class ServedPage(BaseModel):
    """A page the bridge serves itself on a mount, at `path` below the mount's prefix."""

    enabled: bool = True
    path: str

    @field_validator("path")
    @classmethod
    def _path_shape(cls, value: str) -> str:
        if not value.startswith("/") or value.endswith("/"):
            raise ValueError("a path starts with '/' and does not end with one, e.g. /openapi.json")
        return value


class OpenApiPage(ServedPage):
    path: str = "/openapi.json"


class DocsPage(ServedPage):
    path: str = "/docs"


class CorsSettings(BaseModel):
    """CORS for one mount, for browser clients (assistant-ui, another origin's docs page).

    Origins are exact (`https://app.example.com`) or `*` for any (not with credentials).
    The surface's own request headers (Content-Type, its credential and request-id
    headers, Idempotency-Key) are always allowed, and its request-id, Retry-After and
    X-RateLimit-* headers always exposed: `allow_headers`/`expose_headers` add to them.
    """

    allow_origins: list[str] = Field(min_length=1)
    allow_methods: list[str] = Field(default_factory=lambda: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
    allow_headers: list[str] = Field(default_factory=list)
    expose_headers: list[str] = Field(default_factory=list)
    allow_credentials: bool = False
    # Seconds a browser may reuse a preflight's answer.
    max_age: int = Field(default=600, ge=0)

    @model_validator(mode="after")
    def _credentials_need_origins(self) -> CorsSettings:
        if self.allow_credentials and "*" in self.allow_origins:
            raise ValueError("allow_credentials needs explicit allow_origins, not '*'")
        return self


class MountSettings(BaseModel):
    """One surface's place on the REST listener.

    `hosts` are fnmatch patterns matched against the request's Host (port
    stripped, lower-case); empty means any host. Mounts with host patterns
    are tried before catch-all ones, so `id.*` wins over Crispy's `/health`.
    """

    surface: str
    hosts: list[str] = Field(default_factory=list)
    prefix: str = ""
    # Path prefixes this surface owns: an unknown route under one gets this
    # surface's error envelope (e.g. MCoS's `/api/` beside Crispy on any host).
    paths: list[str] = Field(default_factory=list)
    # The surface's OpenAPI document and its Swagger UI page. Surfaces sharing a host
    # need distinct paths (MCoS serves its own under /api/, beside Crispy's).
    openapi: OpenApiPage = Field(default_factory=OpenApiPage)
    docs: DocsPage = Field(default_factory=DocsPage)
    # None: no CORS headers at all (browsers then refuse other origins' pages).
    cors: CorsSettings | None = None

    @field_validator("prefix")
    @classmethod
    def _prefix_shape(cls, value: str) -> str:
        if value and (not value.startswith("/") or value.endswith("/")):
            raise ValueError("a prefix starts with '/' and does not end with one, e.g. /v2")
        return value


def _default_mounts() -> list[MountSettings]:
    return [
        MountSettings(surface="chittyos-id", hosts=["id.*"]),
        MountSettings(surface="chittyos-auth", hosts=["auth.*"]),
        MountSettings(surface="chittyos-sync", hosts=["sync.*", "api.*"]),
        MountSettings(surface="chittyos-ai", hosts=["ai.*"]),
        MountSettings(surface="chittyos-mcp", hosts=["mcp.*", "portal.*"]),
        MountSettings(surface="crispy"),
        MountSettings(
            surface="mcos",
            paths=["/api/"],
            openapi=OpenApiPage(path="/api/openapi.json"),
            docs=DocsPage(path="/api/docs"),
        ),
    ]


class RestSettings(Listen):
    port: int = Field(default=8080, ge=0, le=65535)
    enabled: bool = True
    # Largest accepted request body, in bytes (larger → 413).
    max_body_bytes: int = Field(default=1_048_576, ge=1)
    # Seconds of stream silence after which the bridge sends an SSE comment.
    sse_heartbeat: float = Field(default=15.0, gt=0)
    # Seconds a client has to send a request's headers (from connecting, or from
    # the request's first byte); then the connection is closed.
    header_timeout: float = Field(default=10.0, gt=0)
    # Seconds a client has to send a request's body once its headers are in (then 408).
    body_timeout: float = Field(default=30.0, gt=0)
    # Idle seconds before a keep-alive connection is closed.
    keep_alive_timeout: int = Field(default=5, ge=1)
    # Open connections past which requests get 503 (Retry-After: 1) and the connection is
    # closed. 0: the process's open-file limit (raised to the hard limit, `ulimit -Hn`) less
    # 256, so the cap answers before accept() runs out of file descriptors.
    max_connections: int = Field(default=0, ge=0)
    # The gRPC server the bridge calls; empty means this process's own server.
    upstream: str = ""
    # How the bridge reaches this process's own server: over a loopback gRPC
    # channel, or by calling the handlers directly (same pipeline, no HTTP/2).
    transport: Literal["grpc", "inprocess"] = "grpc"
    # Where each surface is served: Host patterns and a path prefix.
    mounts: list[MountSettings] = Field(default_factory=_default_mounts)


class ProviderSettings(BaseModel):
    kind: Literal["builtin", "openai-compatible"]
    base_url: str = ""
    api_key: str = ""
    timeout: float = Field(default=60.0, gt=0)
    connect_timeout: float = Field(default=5.0, gt=0)
    max_retries: int = Field(default=2, ge=0)
    # builtin only: seconds between streamed tokens.
    token_delay: float = Field(default=0.0, ge=0)


class ModelRouteSettings(BaseModel):
    provider: str
    # The model name sent to the provider; defaults to the public id.
    upstream_model: str = ""
    # Unix time that model lists (the AI gateway's /v1/models) give as
    # `created`; 0: when the server started.
    created: int = Field(default=0, ge=0)


class EmbeddingRouteSettings(ModelRouteSettings):
    # Builtin provider only: the lexical embedding's vector size (default 768).
    dimensions: int | None = Field(default=None, ge=1, le=16384)


def _default_providers() -> dict[str, ProviderSettings]:
    return {"builtin": ProviderSettings(kind="builtin")}


# The ChittyOS document's model ids. By default they are served by the builtin
# development model and the builtin lexical embedding; route them elsewhere to
# serve real models under the same ids.
CHITTYOS_CHAT_MODEL = "@cf/meta/llama-3.1-8b-instruct"
CHITTYOS_EMBEDDING_MODEL = "@cf/baai/bge-base-en-v1.5"


def _default_models() -> dict[str, ModelRouteSettings]:
    return {
        "chorus-builtin": ModelRouteSettings(provider="builtin"),
        CHITTYOS_CHAT_MODEL: ModelRouteSettings(provider="builtin"),
    }


def _default_embeddings() -> dict[str, EmbeddingRouteSettings]:
    return {CHITTYOS_EMBEDDING_MODEL: EmbeddingRouteSettings(provider="builtin")}


class ModelSettings(BaseModel):
    default: str = "chorus-builtin"
    providers: dict[str, ProviderSettings] = Field(default_factory=_default_providers)
    routes: dict[str, ModelRouteSettings] = Field(default_factory=_default_models)
    # Embedding model ids -> provider (a `providers` entry: "builtin" kind is
    # the lexical embedding, "openai-compatible" calls {base_url}/embeddings).
    embeddings: dict[str, EmbeddingRouteSettings] = Field(default_factory=_default_embeddings)


class RateLimitSettings(BaseModel):
    # `limits` notation, e.g. "100/minute"; every item must hold.
    per_minute: int = Field(default=100, ge=1)
    burst_per_second: int = Field(default=20, ge=1)


class TenantSeed(BaseModel):
    id: str
    name: str = ""
    # Accept `x-tenant-id` / Host without an API key.
    allow_unauthenticated: bool = False
    hosts: list[str] = Field(default_factory=list)


def _default_tenants() -> list[TenantSeed]:
    return [TenantSeed(id="demo", name="Demo", allow_unauthenticated=True, hosts=["demo.example.com"])]


class CrispySettings(BaseModel):
    rate_limit: RateLimitSettings = Field(default_factory=RateLimitSettings)
    # Tenants created (if missing) at start; later changes via `chorus tenants`.
    tenants: list[TenantSeed] = Field(default_factory=_default_tenants)
    model: str = ""  # empty: models.default
    # How many earlier messages of a session are sent to the model.
    context_messages: int = Field(default=20, ge=0)


class ChittyIdSettings(BaseModel):
    # "authority": this server mints ChittyIDs. "pipeline": every /generate is
    # forwarded to `upstream_url` and nothing is minted here.
    mode: Literal["authority", "pipeline"] = "authority"
    # This service's public host: `source` of the ids it mints and `service`
    # of its 502 body.
    service_host: str = Field(default="id.chitty.cc", min_length=1)
    # Pipeline mode: the upstream authority's base URL (POST {upstream_url}/generate),
    # the Bearer key it takes, and seconds allowed for its whole answer.
    upstream_url: str = ""
    upstream_api_key: str = ""
    upstream_timeout: float = Field(default=10.0, gt=0)


class ChittyAuthSettings(BaseModel):
    # Bearer credential that may mint tokens (POST /api/auth/token). Empty:
    # only API keys created with `chorus api-keys create --tenant <chittyos tenant> --admin`.
    admin_key: str = ""
    algorithm: Literal["HS256", "RS256", "ES256"] = "HS256"
    # HS256 secret; empty: a random one kept in <data_dir>/jwt-secret.
    jwt_secret: str = ""
    # PEM files for RS256/ES256.
    private_key_file: str = ""
    public_key_file: str = ""
    issuer: str = "https://auth.chitty.cc"
    audience: str = "chittyos"
    default_expires_in: int = Field(default=3600, ge=1)
    max_expires_in: int = Field(default=30 * 86400, ge=1)


class ChittySyncSettings(BaseModel):
    # Seconds without a heartbeat after which a session counts as inactive.
    session_timeout: float = Field(default=1800.0, gt=0)


class ChittyAiSettings(BaseModel):
    # The AI gateway's default chat model (a key of models.routes). Empty:
    # "@cf/meta/llama-3.1-8b-instruct" when it is routed, else models.default.
    primary_model: str = ""
    # Its default embedding model (a key of models.embeddings). Empty:
    # "@cf/baai/bge-base-en-v1.5" when it is routed, else the first one.
    embedding_model: str = ""


class ChittyOSSettings(BaseModel):
    # ChittyOS is one deployment: every row it stores belongs to this tenant
    # (created at start if missing), and its API keys are this tenant's keys.
    tenant: str = "chittyos"
    id: ChittyIdSettings = Field(default_factory=ChittyIdSettings)
    auth: ChittyAuthSettings = Field(default_factory=ChittyAuthSettings)
    sync: ChittySyncSettings = Field(default_factory=ChittySyncSettings)
    ai: ChittyAiSettings = Field(default_factory=ChittyAiSettings)

    def tenant_seed(self) -> TenantSeed:
        return TenantSeed(id=self.tenant, name="ChittyOS")


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
    `archive_days` after they were archived."""

    active_messages: int = Field(default=100, ge=1)
    archive_days: float = Field(default=90.0, gt=0)
    # Seconds between retention runs; 0 disables the background job.
    interval: float = Field(default=3600.0, ge=0)


class McosSettings(BaseModel):
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


class ApiKeyLockoutSettings(BaseModel):
    """After `failures` failed API keys from one client address within `window`
    seconds, that address's keys are refused (429) until the window frees up."""

    failures: int = Field(default=10, ge=1)
    window: int = Field(default=600, ge=1)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CHORUS_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    data_dir: Path = Path("data")
    # SQLAlchemy async URL; empty means SQLite at <data_dir>/chorus.db.
    database_url: str = ""
    # Redis for state shared by every process and replica (rate-limit
    # counters); empty keeps it in this process, which allows one worker only.
    redis_url: str = ""
    # Prefix of every Redis key, so deployments can share one Redis.
    redis_prefix: str = Field(default="chorus", min_length=1)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # Proxies (addresses or CIDR networks) whose `proxy_header` is believed: the
    # bridge (loopback) and any proxy in front. See server/platform/admission/client_address.py.
    trusted_proxies: list[str] = Field(default_factory=lambda: list(DEFAULT_TRUSTED_PROXIES))
    # The header those proxies append the client's address to.
    proxy_header: ProxyHeader = "x-forwarded-for"
    api_key_lockout: ApiKeyLockoutSettings = Field(default_factory=ApiKeyLockoutSettings)
    grpc: GrpcSettings = Field(default_factory=GrpcSettings)
    rest: RestSettings = Field(default_factory=RestSettings)
    models: ModelSettings = Field(default_factory=ModelSettings)
    crispy: CrispySettings = Field(default_factory=CrispySettings)
    chittyos: ChittyOSSettings = Field(default_factory=ChittyOSSettings)
    mcos: McosSettings = Field(default_factory=McosSettings)

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if value and not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("use sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        parse_networks(value)
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://")):
            raise ValueError("use redis://host:port/db or rediss://…")
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'chorus.db').resolve()}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        path = os.environ.get("CHORUS_CONFIG", "chorus.toml")
        toml = TomlConfigSettingsSource(settings_cls, toml_file=path)
        return (init_settings, env_settings, toml)


class ConfigError(Exception):
    """A setting is invalid; the message names it."""


def load_settings(config_file: str | None = None, **overrides: Any) -> Settings:
    if config_file is not None:
        if not Path(config_file).is_file():
            raise ConfigError(f"config file not found: {config_file}")
        os.environ["CHORUS_CONFIG"] = config_file
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors())
        raise ConfigError(f"invalid configuration: {problems}") from None
    _check_model_routes(settings)
    _check_embedding_routes(settings.models)
    ai_gateway_models(settings)
    _check_chitty_id(settings.chittyos.id)
    return settings


def _check_model_routes(settings: Settings) -> None:
    models = settings.models
    for public_id, route in models.routes.items():
        if route.provider not in models.providers:
            raise ConfigError(
                f"invalid configuration: models.routes.{public_id}.provider: unknown provider {route.provider!r}"
            )
    for name, provider in models.providers.items():
        if provider.kind == "openai-compatible" and not provider.base_url:
            raise ConfigError(f"invalid configuration: models.providers.{name}.base_url: required")
    for field, model in (("models.default", models.default), ("crispy.model", settings.crispy.model)):
        if model and model not in models.routes:
            raise ConfigError(f"invalid configuration: {field}: unknown model {model!r}")


def _check_chitty_id(ids: ChittyIdSettings) -> None:
    if ids.mode != "pipeline":
        return
    if not ids.upstream_url:
        raise ConfigError(
            'invalid configuration: chittyos.id.upstream_url: required when chittyos.id.mode = "pipeline"'
        )
    if not ids.upstream_url.startswith(("http://", "https://")) or not urlsplit(ids.upstream_url).hostname:
        raise ConfigError("invalid configuration: chittyos.id.upstream_url: must be an http:// or https:// URL")


def _check_embedding_routes(models: ModelSettings) -> None:
    for public_id, route in models.embeddings.items():
        where = f"models.embeddings.{public_id}"
        if public_id in models.routes:
            raise ConfigError(f"invalid configuration: {where}: also a chat model in models.routes; use distinct ids")
        provider = models.providers.get(route.provider)
        if provider is None:
            raise ConfigError(f"invalid configuration: {where}.provider: unknown provider {route.provider!r}")
        if route.dimensions is not None and provider.kind != "builtin":
            raise ConfigError(
                f"invalid configuration: {where}.dimensions: only the builtin embedding has a configurable size"
            )


def ai_gateway_models(settings: Settings) -> tuple[str, str]:
    """The AI gateway's (primary chat, default embedding) model ids; a
    ConfigError names the setting when one is not routed."""
    ai, models = settings.chittyos.ai, settings.models
    primary = ai.primary_model or (CHITTYOS_CHAT_MODEL if CHITTYOS_CHAT_MODEL in models.routes else models.default)
    if primary not in models.routes:
        raise ConfigError(f"invalid configuration: chittyos.ai.primary_model: unknown model {primary!r}")
    embedding = ai.embedding_model
    if not embedding:
        if not models.embeddings:
            raise ConfigError("invalid configuration: models.embeddings: at least one embedding model is required")
        fallback = next(iter(models.embeddings))
        embedding = CHITTYOS_EMBEDDING_MODEL if CHITTYOS_EMBEDDING_MODEL in models.embeddings else fallback
    if embedding not in models.embeddings:
        raise ConfigError(f"invalid configuration: chittyos.ai.embedding_model: unknown model {embedding!r}")
    return primary, embedding
