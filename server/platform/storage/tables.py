"""ORM tables. Every tenant-owned row carries its tenant id."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


# Autoincrement keys of tables that grow without bound (messages, todos): BIGINT on
# PostgreSQL, where INTEGER stops at 2^31; SQLite's INTEGER PRIMARY KEY is already
# its 64-bit rowid, and only that exact type autoincrements there.
RowId = BigInteger().with_variant(Integer(), "sqlite")


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


class ChatSessionRow(Base):
    """A conversation. `owner_id` narrows it to a principal ('' = tenant-wide)."""

    __tablename__ = "chat_sessions"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    updated_at_ms: Mapped[int] = mapped_column(BigInteger)


class ChatMessageRow(Base):
    __tablename__ = "chat_messages"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "owner_id", "session_id"],
            ["chat_sessions.tenant_id", "chat_sessions.owner_id", "chat_sessions.id"],
            ondelete="CASCADE",
        ),
        Index("ix_chat_messages_session", "tenant_id", "owner_id", "session_id", "id"),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    owner_id: Mapped[str] = mapped_column(String(200))
    session_id: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    # True when the client cut the stream: content is what was produced before.
    incomplete: Mapped[bool] = mapped_column(Boolean, default=False)


# --- ChittyOS ID: ChittyID sequences and records ---


class ChittyIdSequenceRow(Base):
    """The last sequence number issued for an entity type; minting increments it atomically."""

    __tablename__ = "chitty_id_sequences"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(4), primary_key=True)
    last_issued: Mapped[int] = mapped_column(BigInteger)


class ChittyIdRow(Base):
    """A ChittyID and what was stored with it, whether minted here or by the upstream authority."""

    __tablename__ = "chitty_ids"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    chitty_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(4))
    entity_metadata: Mapped[dict] = mapped_column(JSON)
    session_context: Mapped[dict] = mapped_column(JSON)
    # Host of the authority that minted the id.
    source: Mapped[str] = mapped_column(String(255))
    created_at_ms: Mapped[int] = mapped_column(BigInteger)


# --- ChittyOS auth: token sessions ---


class AuthSessionRow(Base):
    """A group of access tokens revoked together. Tokens themselves are never stored."""

    __tablename__ = "auth_sessions"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject: Mapped[str] = mapped_column(String(64))
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    revoked_at_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


# --- ChittyOS sync hub: projects, work sessions, todos, topics ---


class ProjectRow(Base):
    """A project that AI sessions work on and share todos for."""

    __tablename__ = "projects"
    __table_args__ = (Index("ix_projects_created", "tenant_id", "created_at_ms", "id"),)

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    metadata_json: Mapped[dict] = mapped_column(JSON)
    files_worked: Mapped[list] = mapped_column(JSON)
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    # Last write to the project, its files or its todos.
    last_sync_ms: Mapped[int] = mapped_column(BigInteger)
    # First write of its todos; NULL while none was ever written.
    todos_synced_at_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class WorkSessionRow(Base):
    """An AI work session; whether it is active is computed from these at read time."""

    __tablename__ = "work_sessions"
    __table_args__ = (
        Index("ix_work_sessions_created", "tenant_id", "created_at_ms", "id"),
        Index("ix_work_sessions_activity", "tenant_id", "last_activity_ms"),
    )

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(128))
    ai_platform: Mapped[str] = mapped_column(String(64))
    machine_id: Mapped[str] = mapped_column(String(128))
    metadata_json: Mapped[dict] = mapped_column(JSON)
    # Set by an `active: false` heartbeat, cleared by `active: true`.
    paused: Mapped[bool] = mapped_column(Boolean)
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    last_activity_ms: Mapped[int] = mapped_column(BigInteger)
    ended_at_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class ProjectTodoRow(Base):
    """One todo of a project's unified list; its content is its identity within the project."""

    __tablename__ = "project_todos"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "project_id"], ["projects.tenant_id", "projects.id"], ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "project_id", "content", name="uq_project_todos_content"),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    project_id: Mapped[str] = mapped_column(String(128))
    content: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16))
    active_form: Mapped[str] = mapped_column(String(500))
    added_by: Mapped[str] = mapped_column(String(128))
    added_at_ms: Mapped[int] = mapped_column(BigInteger)
    updated_at_ms: Mapped[int] = mapped_column(BigInteger)
    # Order in the list: a replace numbers from 0, a sync appends after the last.
    position: Mapped[int] = mapped_column(Integer)


class ProjectTodoSessionRow(Base):
    """A session that wrote a project's todos (the `sessions` of the todo routes)."""

    __tablename__ = "project_todo_sessions"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "project_id"], ["projects.tenant_id", "projects.id"], ondelete="CASCADE"),
    )

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    session_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    first_synced_at_ms: Mapped[int] = mapped_column(BigInteger)
    last_synced_at_ms: Mapped[int] = mapped_column(BigInteger)


class TopicConversationRow(Base):
    """A conversation filed under a topic category."""

    __tablename__ = "topic_conversations"
    __table_args__ = (Index("ix_topic_conversations_category", "tenant_id", "category", "categorized_at_ms"),)

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    category: Mapped[str] = mapped_column(String(64))
    subcategories: Mapped[list] = mapped_column(JSON)
    confidence: Mapped[float] = mapped_column(Float)
    file: Mapped[str] = mapped_column(String(1024))
    content: Mapped[str] = mapped_column(Text)
    # Computed once at insert, so listing never reads whole contents.
    content_preview: Mapped[str] = mapped_column(String(256))
    categorized_at_ms: Mapped[int] = mapped_column(BigInteger)


# --- MCoS records: tasks, pinned memories, preferences (migration 0005) ---


class McosTaskRow(Base):
    """One task of a (tenant, principal).

    A deleted task stays as a tombstone (`deleted_at_ms` set, title and tags
    blanked) so incremental state can report its id; every read but that one
    skips tombstones.
    """

    __tablename__ = "mcos_tasks"
    __table_args__ = (
        # The list order: due first (NULL last), then created, then id.
        Index("ix_mcos_tasks_due", "tenant_id", "owner_id", "due_at_ms", "created_at_ms", "id"),
        # State snapshots: most recently changed first, and changes after `since`.
        Index("ix_mcos_tasks_updated", "tenant_id", "owner_id", "updated_at_ms"),
        # Incremental state by change number (see `user_changes`).
        Index("ix_mcos_tasks_change", "tenant_id", "owner_id", "change_seq"),
    )

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(16))
    due_at_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # In the order given; `mcos_task_tags` indexes them for filtering.
    tags: Mapped[list] = mapped_column(JSON)
    completed_at_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    # Last change, deletion included.
    updated_at_ms: Mapped[int] = mapped_column(BigInteger)
    deleted_at_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # The owner's change number of that last change (migration 0010).
    change_seq: Mapped[int] = mapped_column(BigInteger, server_default="0")


class McosTaskTagRow(Base):
    """One tag of a live task, so "has every tag" filters are indexed lookups."""

    __tablename__ = "mcos_task_tags"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    tag: Mapped[str] = mapped_column(String(50), primary_key=True)
    task_id: Mapped[str] = mapped_column(String(32), primary_key=True)


class McosMemoryRow(Base):
    """One pinned memory; its key is unique per principal (pinning again updates it)."""

    __tablename__ = "mcos_memories"
    __table_args__ = (
        UniqueConstraint("tenant_id", "owner_id", "key", name="uq_mcos_memories_key"),
        Index("ix_mcos_memories_updated", "tenant_id", "owner_id", "updated_at_ms", "id"),
        Index("ix_mcos_memories_change", "tenant_id", "owner_id", "change_seq"),
    )

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    type: Mapped[str] = mapped_column(String(50))
    key: Mapped[str] = mapped_column(String(200))
    value: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(50))
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    updated_at_ms: Mapped[int] = mapped_column(BigInteger)
    # The owner's change number of the last change (migration 0010).
    change_seq: Mapped[int] = mapped_column(BigInteger, server_default="0")


class McosPreferencesRow(Base):
    """A principal's preferences; no row means the defaults."""

    __tablename__ = "mcos_preferences"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64))
    work_hours: Mapped[str] = mapped_column(String(11))
    preferred_airlines: Mapped[list] = mapped_column(JSON)
    updated_at_ms: Mapped[int] = mapped_column(BigInteger)
    # The owner's change number of the last change (migration 0010).
    change_seq: Mapped[int] = mapped_column(BigInteger, server_default="0")


class McosUserChangeRow(Base):
    """A principal's change counter: the number of its latest write to tasks,
    memories or preferences (see `user_changes`); no row means none yet."""

    __tablename__ = "mcos_user_changes"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)


# --- MCoS conversations (migration 0006) ---


class McosMessageRow(Base):
    """One MCoS chat message of a (principal, conversation).

    `seq` is the monotonic paging key (ids are random, timestamps can tie);
    `archived_at_ms` is set once the message falls out of the newest
    `retention.active_messages` of its conversation.
    """

    __tablename__ = "mcos_messages"
    __table_args__ = (
        Index("ix_mcos_messages_conversation", "tenant_id", "owner_id", "conversation_id", "seq"),
        Index("ix_mcos_messages_owner", "tenant_id", "owner_id", "seq"),
        Index("ix_mcos_messages_archived", "archived_at_ms"),
    )

    seq: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(32), unique=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    owner_id: Mapped[str] = mapped_column(String(200))
    conversation_id: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    # [{"id", "name", "args", "result"}, ...] in call order.
    tool_calls: Mapped[list] = mapped_column(JSON)
    # True when the client cut the stream: content is what was produced before.
    incomplete: Mapped[bool] = mapped_column(Boolean, default=False)
    # {"code", "message", "details"} when the turn failed (migration 0009): content
    # and tool_calls are what it produced before the error.
    error: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    archived_at_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


# --- Idempotency keys (migration 0007) ---


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
