"""ChittyOS ID's tables: ChittyID sequences and records.

Every tenant-owned row carries its tenant id.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.platform.storage.base import Base


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
