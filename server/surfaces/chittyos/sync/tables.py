"""ChittyOS sync hub's tables: projects, work sessions, todos, topics.

Every tenant-owned row carries its tenant id.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.platform.storage.base import Base, RowId


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
