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
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


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

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
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

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
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
