"""Agent Chassis's tables: server-side sessions and who may use them.

A session's messages are the platform's conversation store's
(`conversation_messages`, surface "agentchassis", under the owner's scope).
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.platform.storage.base import Base


class AgentSessionRow(Base):
    __tablename__ = "agentchassis_sessions"
    __table_args__ = (Index("ix_agentchassis_sessions_owner", "tenant_id", "owner_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    owner_id: Mapped[str] = mapped_column(String(64))
    visibility: Mapped[str] = mapped_column(String(16), default="private")
    shared_with: Mapped[list[str]] = mapped_column(JSON, default=list)
    session_metadata: Mapped[dict[str, object]] = mapped_column("metadata", JSON, default=dict)
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    updated_at_ms: Mapped[int] = mapped_column(BigInteger)
