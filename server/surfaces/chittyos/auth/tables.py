"""ChittyOS auth's table: token sessions.

Every tenant-owned row carries its tenant id.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.platform.storage.base import Base


class AuthSessionRow(Base):
    """A group of access tokens revoked together. Tokens themselves are never stored."""

    __tablename__ = "auth_sessions"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject: Mapped[str] = mapped_column(String(64))
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    revoked_at_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
