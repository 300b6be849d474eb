"""Tables every surface builds on: tenants and their keys, user accounts and their typed
API keys, conversation messages, idempotency keys, vectors, jobs.

Every tenant-owned row carries its tenant id.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.platform.storage.base import Base, RowId


class TenantRow(Base):
    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    # Whether an id header or Host mapping alone (no API key) identifies the tenant.
    allow_unauthenticated: Mapped[bool] = mapped_column(Boolean, default=False)
    # Per-tenant rate limit overrides; NULL means the configured default.
    rate_per_minute: Mapped[int | None] = mapped_column(Integer, nullable=True)
    burst_per_second: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at_ms: Mapped[int] = mapped_column(BigInteger)


class TenantHostRow(Base):
    __tablename__ = "tenant_hosts"

    host: Mapped[str] = mapped_column(String(255), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)


class ApiKeyRow(Base):
    """An API key: only its public prefix and a SHA-256 of the whole key are kept."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), default="")
    user_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    revoked_at_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class UserRow(Base):
    """A user account of a tenant (server/platform/accounts): e-mail unique within the tenant."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("tenant_id", "email", name="uq_users_tenant_email"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    # Stored lower-cased, so uniqueness ignores case.
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200), default="")
    # The surface's plan name (e.g. ChaozCode's "free", "pro", ...).
    plan: Mapped[str] = mapped_column(String(32))
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    updated_at_ms: Mapped[int] = mapped_column(BigInteger)
    # An argon2id hash (server/platform/accounts/passwords.py); NULL: no password sign-in.
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True, default=None)
    # When the address was proved (a mailed code, or a verified Google identity).
    email_verified_at_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True, default=None)


class AccountCodeRow(Base):
    """A mailed one-time code (e-mail verification, password reset): its hash, expiry and guesses."""

    __tablename__ = "account_codes"
    __table_args__ = (Index("ix_account_codes_user", "user_id", "purpose"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(20))  # "verify_email" | "password_reset"
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    expires_at_ms: Mapped[int] = mapped_column(BigInteger)
    used_at_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True, default=None)


class RefreshTokenRow(Base):
    """A refresh token: a SHA-256 of its secret, and its family (every rotation of one sign-in)."""

    __tablename__ = "refresh_tokens"
    __table_args__ = (
        Index("ix_refresh_tokens_family", "family_id"),
        Index("ix_refresh_tokens_user", "tenant_id", "user_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    family_id: Mapped[str] = mapped_column(String(40))
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    expires_at_ms: Mapped[int] = mapped_column(BigInteger)
    # Set when it was exchanged for its successor: presenting it again is reuse.
    rotated_at_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True, default=None)
    revoked_at_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True, default=None)


class MailOutboxRow(Base):
    """Mail kept instead of sent: development mode, with no SMTP server configured."""

    __tablename__ = "mail_outbox"

    seq: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at_ms: Mapped[int] = mapped_column(BigInteger)


class UserApiKeyRow(Base):
    """A user's typed API key: its public label and lookup prefix, and a SHA-256 of the whole key."""

    __tablename__ = "user_api_keys"
    __table_args__ = (Index("ix_user_api_keys_owner", "tenant_id", "user_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # e.g. "cc_live_": what the key begins with, before its prefix.
    label: Mapped[str] = mapped_column(String(32))
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), default="")
    key_type: Mapped[str] = mapped_column(String(32))
    # JSON array of the endpoints a scoped key may call ("[]" for the others).
    scopes: Mapped[str] = mapped_column(Text, default="[]")
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    last_used_at_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    revoked_at_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class ConversationMessageRow(Base):
    """One chat message of a (surface, tenant, principal, conversation).

    Every surface's conversations share this table; `surface` keeps them
    apart, so one surface never reads another's even for the same principal.
    `seq` is the monotonic paging key (ids are random, timestamps can tie);
    `archived_at_ms` is set once a surface's retention moves the message out
    of the model's context (see `ConversationStore.append`).
    """

    __tablename__ = "conversation_messages"
    __table_args__ = (
        Index("ix_conversation_messages_conversation", "surface", "tenant_id", "owner_id", "conversation_id", "seq"),
        Index("ix_conversation_messages_owner", "surface", "tenant_id", "owner_id", "seq"),
        Index("ix_conversation_messages_archived", "archived_at_ms"),
    )

    seq: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(32), unique=True)
    surface: Mapped[str] = mapped_column(String(32))
    tenant_id: Mapped[str] = mapped_column(String(64))
    owner_id: Mapped[str] = mapped_column(String(200))
    conversation_id: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    # [{"id", "name", "args", "result"}, ...] in call order.
    tool_calls: Mapped[list] = mapped_column(JSON)
    # True when the client cut the stream: content is what was produced before.
    incomplete: Mapped[bool] = mapped_column(Boolean, default=False)
    # {"code", "message", "details"} when the turn failed: content and
    # tool_calls are what it produced before the error.
    error: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    archived_at_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class IdempotencyKeyRow(Base):
    """One `Idempotency-Key` of one principal: who holds it, for which request, and its outcome.

    A row is a claim while `completed_at_ms` is NULL and a stored outcome after.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ix_idempotency_keys_expiry", "expires_at_ms"),)

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    principal: Mapped[str] = mapped_column(String(200), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    # SHA-256 (hex) of the method and the deterministically serialized request.
    fingerprint: Mapped[str] = mapped_column(String(64))
    # The current holder's random token: only it may complete or release the claim.
    claim_id: Mapped[str] = mapped_column(String(32))
    # When the current holder took the claim: a claim far older is abandoned.
    started_at_ms: Mapped[int] = mapped_column(BigInteger)
    expires_at_ms: Mapped[int] = mapped_column(BigInteger)
    completed_at_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # The response message(s), each length-prefixed; NULL while running.
    response: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)


class VectorRow(Base):
    """One item's embedding in a vector namespace ("chaozcode-memory", "crispy-documents", ...),
    owned by a tenant and optionally one principal (`owner_id` '' = tenant-wide).

    `vector` is float32 little-endian, L2-normalised; NULL once removed (a
    tombstone, so every replica's index learns of the removal). `change` is the
    namespace's change number of the row's latest write (see VectorNamespaceRow):
    replicas follow a namespace by reading the rows whose `change` is past the
    last one they applied (server/platform/vectors/index.py).
    """

    __tablename__ = "vectors"
    __table_args__ = (Index("ix_vectors_change", "namespace", "change"),)

    namespace: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    # The embedding model's public id: vectors of another model are never searched together.
    model: Mapped[str] = mapped_column(String(100))
    dimensions: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    change: Mapped[int] = mapped_column(BigInteger)
    updated_at_ms: Mapped[int] = mapped_column(BigInteger)


class VectorNamespaceRow(Base):
    """A namespace's change counter: the number of its latest write. Taking the next
    number locks this row until commit, so a namespace's numbers commit in order."""

    __tablename__ = "vector_namespaces"

    namespace: Mapped[str] = mapped_column(String(64), primary_key=True)
    change: Mapped[int] = mapped_column(BigInteger)


class JobRow(Base):
    """One background job (server/platform/jobs): written in the transaction of the
    change that causes it, claimed by any replica under a lease (migration 0014).

    `state` is queued, running, succeeded, failed or cancelled. A running job's
    `lease_owner` renews `lease_until_ms` while it runs; once that passes, any
    replica may take the job back (see `JobType.on_lease_lost`).
    """

    __tablename__ = "jobs"
    __table_args__ = (
        # Claiming: due queued jobs and expired leases, oldest first.
        Index("ix_jobs_due", "state", "run_at_ms"),
        # Per-key concurrency: the running jobs of one kind and key.
        Index("ix_jobs_key", "kind", "concurrency_key", "state"),
        # Purging finished jobs.
        Index("ix_jobs_finished", "finished_at_ms"),
    )

    # `job_<hex>`, or the caller's own id (one job per id: a periodic job's is its period).
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    concurrency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    payload: Mapped[dict] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    timeout_ms: Mapped[int] = mapped_column(BigInteger)
    # When it may run (next): enqueued, or after a failed attempt's backoff.
    run_at_ms: Mapped[int] = mapped_column(BigInteger)
    lease_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    # Why the last attempt failed (or the job was cancelled).
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    started_at_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    finished_at_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class WebhookEndpointRow(Base):
    """A user's webhook endpoint (server/platform/webhooks, migration 0017).

    `secret` is the signing secret sealed with the deployment's webhook key
    (`webhooks.secret_key`): signing needs it back, so it cannot be hashed.
    `failing_since_ms` is when the current run of failed deliveries began
    (None after a success); past `webhooks.disable_after_days` the endpoint is
    disabled (`disabled_at_ms`) and its remaining deliveries end.
    """

    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index("ix_webhook_endpoints_owner", "tenant_id", "owner_id", "created_at_ms"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # "wh_" + hex
    tenant_id: Mapped[str] = mapped_column(String(64))
    owner_id: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(Text)
    events: Mapped[list] = mapped_column(JSON)
    secret: Mapped[str] = mapped_column(Text)
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    failing_since_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    disabled_at_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class WebhookAttemptRow(Base):
    """One delivery attempt of one event to one endpoint: its outcome, logged whatever it was."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_endpoint", "endpoint_id", "seq"),)

    seq: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    endpoint_id: Mapped[str] = mapped_column(String(40))
    event_id: Mapped[str] = mapped_column(String(40))
    event_type: Mapped[str] = mapped_column(String(64))
    attempt: Mapped[int] = mapped_column(Integer)
    at_ms: Mapped[int] = mapped_column(BigInteger)
    duration_ms: Mapped[int] = mapped_column(BigInteger)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    succeeded: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
