"""MCoS's tables: tasks, pinned memories, preferences and change numbers
(migrations 0005, 0010), conversation messages (0006) and each user's event log (0015).

Every tenant-owned row carries its tenant id.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.platform.storage.base import Base, RowId


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
    # The newest change number and deletion time of the tombstones retention has
    # purged (migration 0015): a `cursor` before the one, or a `since` before the
    # other, might need a deletion no longer kept, so it is refused.
    forgotten_seq: Mapped[int] = mapped_column(BigInteger, server_default="0")
    forgotten_before_ms: Mapped[int] = mapped_column(BigInteger, server_default="0")


class McosUserEventRow(Base):
    """One entry of a user's event log (spec 003 "Data Retention": 30 days): a change
    to their tasks, memories or preferences, written in the change's own transaction,
    or a tool call the assistant made for them."""

    __tablename__ = "mcos_user_events"
    __table_args__ = (
        Index("ix_mcos_user_events_owner", "tenant_id", "owner_id", "seq"),
        Index("ix_mcos_user_events_at", "at_ms"),
    )

    seq: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    owner_id: Mapped[str] = mapped_column(String(200))
    at_ms: Mapped[int] = mapped_column(BigInteger)
    # e.g. task.created, task.updated, task.deleted, memory.pinned, preferences.updated, tool.called
    kind: Mapped[str] = mapped_column(String(40))
    # What it is about: a task id, a memory key, a tool name.
    subject: Mapped[str] = mapped_column(String(200))
    detail: Mapped[dict] = mapped_column(JSON)
