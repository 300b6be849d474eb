"""Configuration: one TOML file plus `CHORUS_*` environment overrides.

The file is `chorus.toml` in the working directory, or the path in
`CHORUS_CONFIG` (or `--config`). Environment variables win over the file;
nested settings use `__`, e.g. `CHORUS_GRPC__PORT=6000`. Invalid settings
stop the process at start with a message naming the setting.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, Field, ValidationError, create_model, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from rest_bridge.transport import DEFAULT_MAX_MESSAGE_BYTES
from server.platform.admission.client_address import DEFAULT_TRUSTED_PROXIES, ProxyHeader, parse_networks

if TYPE_CHECKING:
    from server.platform.surface import Surface


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
    """A page the bridge serves itself on a mount, at `path` below the mount's prefix, or
    from the root with `below_prefix = false` (Agent Chassis's `/docs` beside its `/api/v1`)."""

    enabled: bool = True
    path: str
    below_prefix: bool = True

    def url(self, prefix: str) -> str:
        """Where the page is served on a mount with this `prefix`."""
        return prefix + self.path if self.below_prefix else self.path

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
    stripped, lower-case; a pattern with a port, such as `*:8000`, is matched
    with the port); empty means any host. Mounts with host patterns are tried
    before catch-all ones, so `id.*` wins over Crispy's `/health`.
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
    # How the bridge reaches this process's own server: by calling the handlers
    # directly (same interceptor pipeline, no HTTP/2 or protobuf serialization;
    # the fastest, so the default), or over a loopback gRPC channel.
    transport: Literal["grpc", "inprocess"] = "inprocess"
    # Where each surface is served: Host patterns and a path prefix. Empty: each
    # surface's default mounts (`Surface.mounts`).
    mounts: list[MountSettings] = Field(default_factory=list)


class ProviderSettings(BaseModel):
    # "sentence": the packaged semantic embedding model (embeddings only, see
    # server/platform/embeddings/sentence.py).
    kind: Literal["builtin", "openai-compatible", "sentence"]
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
    return {"builtin": ProviderSettings(kind="builtin"), SENTENCE_PROVIDER: ProviderSettings(kind="sentence")}


# The ChittyOS document's model ids. By default they are served by the builtin
# development model and the builtin lexical embedding; route them elsewhere to
# serve real models under the same ids.
CHITTYOS_CHAT_MODEL = "@cf/meta/llama-3.1-8b-instruct"
CHITTYOS_EMBEDDING_MODEL = "@cf/baai/bge-base-en-v1.5"
# The packaged semantic embedding model (a "sentence" provider): what semantic
# search (memories, documents) embeds with unless `models.semantic_embedding` says otherwise.
SEMANTIC_EMBEDDING_MODEL = "all-MiniLM-L6-v2"
SENTENCE_PROVIDER = "sentence"


def _default_models() -> dict[str, ModelRouteSettings]:
    return {
        "chorus-builtin": ModelRouteSettings(provider="builtin"),
        CHITTYOS_CHAT_MODEL: ModelRouteSettings(provider="builtin"),
    }


def _default_embeddings() -> dict[str, EmbeddingRouteSettings]:
    return {
        CHITTYOS_EMBEDDING_MODEL: EmbeddingRouteSettings(provider="builtin"),
        SEMANTIC_EMBEDDING_MODEL: EmbeddingRouteSettings(provider=SENTENCE_PROVIDER),
    }


class ModelSettings(BaseModel):
    default: str = "chorus-builtin"
    providers: dict[str, ProviderSettings] = Field(default_factory=_default_providers)
    routes: dict[str, ModelRouteSettings] = Field(default_factory=_default_models)
    # Embedding model ids -> provider (a `providers` entry: "builtin" kind is
    # the lexical embedding, "openai-compatible" calls {base_url}/embeddings).
    embeddings: dict[str, EmbeddingRouteSettings] = Field(default_factory=_default_embeddings)
    # The embedding model semantic search (vector indexes) embeds with: an
    # `embeddings` id, or the packaged model's id, which the platform serves
    # even when `embeddings` does not list it (gateways list only `embeddings`).
    semantic_embedding: str = SEMANTIC_EMBEDDING_MODEL

    @model_validator(mode="after")
    def _keep_the_sentence_provider(self) -> ModelSettings:
        """The packaged model's provider stays when a configuration lists its own
        providers (a table replaces the defaults whole): the default embedding
        routes name it, and semantic search uses it (see `semantic_embedding`)."""
        self.providers.setdefault(SENTENCE_PROVIDER, ProviderSettings(kind="sentence"))
        return self

    def served_by_chorus(self, provider: str) -> bool:
        """Whether a provider is one of Chorus's own (no upstream): builtin or sentence."""
        return self.providers[provider].kind in ("builtin", "sentence")


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


class SurfaceSettings(BaseModel):
    """A surface's settings section (`Surface.settings`), with what the platform asks of it."""

    def check(self, settings: Settings) -> None:
        """Raises ConfigError, naming the setting, for what field validators cannot see
        (say, a model id that `models.routes` must have)."""

    def tenant_seeds(self) -> list[TenantSeed]:
        """The tenants the surface needs, created at start if missing."""
        return []


class ApiKeyLockoutSettings(BaseModel):
    """After `failures` failed API keys from one client address within `window`
    seconds, that address's keys are refused (429) until the window frees up."""

    failures: int = Field(default=10, ge=1)
    window: int = Field(default=600, ge=1)


class JobSettings(BaseModel):
    """Background jobs (server/platform/jobs): every process runs them."""

    # Run jobs in this process (enqueueing works either way).
    enabled: bool = True
    # Jobs one process runs at once.
    concurrency: int = Field(default=8, ge=1)
    # Seconds between looks for due jobs; a job enqueued in this process starts at once.
    poll_interval: float = Field(default=1.0, gt=0)
    # Seconds a claim lasts unrenewed: how soon a replica takes over the jobs of a dead process.
    lease: float = Field(default=30.0, gt=0)
    # Days finished jobs stay readable.
    keep_finished_days: float = Field(default=7.0, gt=0)

    @model_validator(mode="after")
    def _lease_outlives_polls(self) -> JobSettings:
        if self.lease <= 2 * self.poll_interval:
            raise ValueError("jobs.lease must be more than twice jobs.poll_interval (leases are renewed each poll)")
        return self


class AdminSettings(BaseModel):
    """The operator's port: /metrics, /livez, /readyz (server/platform/observability/admin.py).
    Never behind a surface's auth: bind it where only the scraper and the load balancer reach."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(default=9464, ge=0, le=65535)  # 0 picks a free port
    # Record and serve Prometheus metrics (off: /metrics is 404 and requests cost nothing extra).
    metrics: bool = True


class LogSettings(BaseModel):
    """Process logs: text or one JSON object per line; the access log, one line per request."""

    format: Literal["text", "json"] = "text"
    access_log: bool = False


class TracingSettings(BaseModel):
    """OpenTelemetry traces, exported over OTLP/gRPC; off unless `otlp_endpoint` is set."""

    otlp_endpoint: str = ""  # e.g. "http://collector:4317"
    service_name: str = "chorus"
    # Share of new traces recorded (those continuing a caller's trace follow its choice).
    sample_ratio: float = Field(default=1.0, ge=0.0, le=1.0)


class WebhookSettings(BaseModel):
    """Webhook deliveries (server/platform/webhooks), whichever surface sends them."""

    # Deliver to loopback, private and other non-public addresses (tests, private networks).
    # Off, such URLs are refused when made and again at each delivery, whatever DNS answers.
    allow_private_addresses: bool = False
    # Seconds before retry 1, 2, ... after a failed attempt: Svix's schedule (the first
    # attempt is immediate). Each is spread by +-10% jitter.
    retry_delays: list[float] = Field(
        default_factory=lambda: [5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0], min_length=1
    )
    # An attempt succeeds on a 2xx answer within this many seconds.
    attempt_timeout: float = Field(default=15.0, gt=0)
    # An endpoint whose deliveries keep failing this long is disabled.
    disable_after_days: float = Field(default=5.0, gt=0)
    # The key signing secrets are sealed with in the database (a Fernet key, urlsafe
    # base64 of 32 bytes). Empty: one generated into <data_dir>/webhook-secret.key;
    # replicas sharing a database need the same key, so set it for them.
    secret_key: str = ""
    # A PEM bundle of further certificate authorities endpoints may use (private PKI, tests).
    ca_file: str = ""


class Settings(BaseSettings):
    """The platform's settings. A process's settings class adds each surface's section
    (`compose_settings`); `load_settings` reads it."""

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
    jobs: JobSettings = Field(default_factory=JobSettings)
    admin: AdminSettings = Field(default_factory=AdminSettings)
    logs: LogSettings = Field(default_factory=LogSettings)
    tracing: TracingSettings = Field(default_factory=TracingSettings)
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)
    # The surfaces this class was composed for (`compose_settings`).
    surfaces: ClassVar[tuple[Surface, ...]] = ()

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

    def sections(self) -> list[SurfaceSettings]:
        """Each surface's settings section, once per section (a deployment's surfaces share one)."""
        keys = dict.fromkeys(s.settings.key for s in self.surfaces if s.settings is not None)
        return [getattr(self, key) for key in keys]

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


def compose_settings(surfaces: Sequence[Surface]) -> type[Settings]:
    """The settings class of a process serving `surfaces`: the platform's settings plus
    each surface's section under its key (surfaces of one deployment share theirs)."""
    sections: dict[str, Any] = {}
    for surface in surfaces:
        section = surface.settings
        if section is None:
            continue
        if sections.get(section.key, (section.model,))[0] is not section.model:
            raise ValueError(f"settings section {section.key!r} is declared with two models")
        sections[section.key] = (section.model, Field(default_factory=section.model))
    composed = create_model("Settings", __base__=Settings, **sections)
    composed.surfaces = tuple(surfaces)
    return composed


def load_settings(
    config_file: str | None = None, *, surfaces: Sequence[Surface] | None = None, **overrides: Any
) -> Settings:
    """Settings for `surfaces` (default: the ones `server/app.py` lists), from the
    overrides, CHORUS_* variables and the TOML file, checked."""
    if surfaces is None:
        # Imported here: the composition root imports this module.
        from server.app import SURFACES

        surfaces = SURFACES
    if config_file is not None:
        if not Path(config_file).is_file():
            raise ConfigError(f"config file not found: {config_file}")
        os.environ["CHORUS_CONFIG"] = config_file
    try:
        settings = compose_settings(surfaces)(**overrides)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors())
        raise ConfigError(f"invalid configuration: {problems}") from None
    _check_model_routes(settings.models)
    _check_embedding_routes(settings.models)
    for section in settings.sections():
        section.check(settings)
    return settings


def tenant_seeds(settings: Settings) -> list[TenantSeed]:
    """The tenants every surface creates at start, if missing."""
    return [seed for section in settings.sections() for seed in section.tenant_seeds()]


def _check_model_routes(models: ModelSettings) -> None:
    for public_id, route in models.routes.items():
        if route.provider not in models.providers:
            raise ConfigError(
                f"invalid configuration: models.routes.{public_id}.provider: unknown provider {route.provider!r}"
            )
        if models.providers[route.provider].kind == "sentence":
            raise ConfigError(
                f"invalid configuration: models.routes.{public_id}.provider: {route.provider!r} only embeds"
            )
    for name, provider in models.providers.items():
        if provider.kind == "openai-compatible" and not provider.base_url:
            raise ConfigError(f"invalid configuration: models.providers.{name}.base_url: required")
    if models.default and models.default not in models.routes:
        raise ConfigError(f"invalid configuration: models.default: unknown model {models.default!r}")


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
    if models.semantic_embedding not in (*models.embeddings, SEMANTIC_EMBEDDING_MODEL):
        raise ConfigError(
            f"invalid configuration: models.semantic_embedding: unknown embedding model {models.semantic_embedding!r}"
        )
