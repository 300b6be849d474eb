"""ChaozCode's tables: usage counters, projects, memories (with versions and tags), and the events
the webhooks issue will deliver.

Accounts and their API keys are the platform's (`users`, `user_api_keys`).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.platform.storage.base import Base


class UsageRow(Base):
    """Calls and tokens of one user, one UTC day, one endpoint and one model.

    `model` is "" on the row that counts the endpoint's calls (every admitted
    call adds one there); a model's row counts the calls that reached it and
    their tokens. So per endpoint sums the "" rows, per model the others.
    """

    __tablename__ = "chaozcode_usage"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # "2026-01-30"
    endpoint: Mapped[str] = mapped_column(String(100), primary_key=True)  # "POST /query"
    model: Mapped[str] = mapped_column(String(100), primary_key=True, default="")
    calls: Mapped[int] = mapped_column(BigInteger, default=0)
    prompt_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    completion_tokens: Mapped[int] = mapped_column(BigInteger, default=0)


class ProjectRow(Base):
    """A user's project: ids are the owner's own (another user may hold the same one)."""

    __tablename__ = "chaozcode_projects"
    __table_args__ = (Index("ix_chaozcode_projects_owner", "tenant_id", "owner_id", "created_at_ms", "id"),)

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    settings: Mapped[str] = mapped_column(Text, default="{}")  # a JSON object
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    updated_at_ms: Mapped[int] = mapped_column(BigInteger)


class EventRow(Base):
    """A ChaozCode event (`project.updated`, ...), recorded with the change that caused it,
    for webhook deliveries (the webhooks issue)."""

    __tablename__ = "chaozcode_events"
    __table_args__ = (Index("ix_chaozcode_events_owner", "tenant_id", "owner_id", "created_at_ms"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # "evt_" + hex
    tenant_id: Mapped[str] = mapped_column(String(64))
    owner_id: Mapped[str] = mapped_column(String(40))
    type: Mapped[str] = mapped_column(String(64))
    # What the event is about ("project:<id>"), so deleting it deletes its events (with owner_id).
    subject: Mapped[str] = mapped_column(String(120), index=True)
    data: Mapped[str] = mapped_column(Text)  # a JSON object
    created_at_ms: Mapped[int] = mapped_column(BigInteger)


class MemoryRow(Base):
    """A user's memory at its current version (the Memory Spine). Ids are the owner's own.
    `deleted_at_ms` set: soft-deleted, out of search, purged `memory_retention_days` later."""

    __tablename__ = "chaozcode_memories"
    __table_args__ = (Index("ix_chaozcode_memories_deleted", "deleted_at_ms"),)

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    vector_id: Mapped[str] = mapped_column(String(40))
    content: Mapped[str] = mapped_column(Text)
    tags: Mapped[str] = mapped_column(Text, default="[]")  # a JSON array
    importance: Mapped[str] = mapped_column(String(16))
    metadata_json: Mapped[str] = mapped_column(Text, default="{}")  # a JSON object
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    updated_at_ms: Mapped[int] = mapped_column(BigInteger)
    deleted_at_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class MemoryVersionRow(Base):
    """Every version of a memory, the current one included (PUT makes a new one)."""

    __tablename__ = "chaozcode_memory_versions"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    memory_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    content: Mapped[str] = mapped_column(Text)
    tags: Mapped[str] = mapped_column(Text, default="[]")
    importance: Mapped[str] = mapped_column(String(16))
    metadata_json: Mapped[str] = mapped_column(Text, default="{}")
    created_at_ms: Mapped[int] = mapped_column(BigInteger)


class MemoryTagRow(Base):
    """The current tags of a memory, one row each, so a tag filter is an indexed query."""

    __tablename__ = "chaozcode_memory_tags"
    __table_args__ = (Index("ix_chaozcode_memory_tags_tag", "tenant_id", "owner_id", "tag"),)

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    memory_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    tag: Mapped[str] = mapped_column(String(64), primary_key=True)


class AgentRunRow(Base):
    """One `POST /v2/agents/spawn`: a job on the platform runner (`job_id`) and what it came to."""

    __tablename__ = "chaozcode_agent_runs"
    __table_args__ = (Index("ix_chaozcode_agent_runs_owner", "tenant_id", "owner_id", "created_at_ms"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # "agent_" + hex
    tenant_id: Mapped[str] = mapped_column(String(64))
    owner_id: Mapped[str] = mapped_column(String(40))
    type: Mapped[str] = mapped_column(String(32))
    prompt: Mapped[str] = mapped_column(Text)
    model: Mapped[str] = mapped_column(String(100))
    timeout_s: Mapped[int] = mapped_column(Integer)
    job_id: Mapped[str] = mapped_column(String(200))
    # running, completed, failed or cancelled.
    status: Mapped[str] = mapped_column(String(16))
    result: Mapped[str | None] = mapped_column(Text, nullable=True)  # a JSON object
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cost: Mapped[float] = mapped_column(Float, default=0.0)
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    finished_at_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
