"""Crispy's document tables: what `POST /documents` stored, and its chunks' text.

The chunks' vectors live in the platform's vector index (namespace
"crispy-documents", tenant-wide: owner_id ""), keyed "<document id>#<chunk index>".
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.platform.storage.base import Base


class DocumentRow(Base):
    """A tenant's document; ids are the tenant's own (another tenant may hold the same one)."""

    __tablename__ = "crispy_documents"
    __table_args__ = (Index("ix_crispy_documents_listing", "tenant_id", "created_at_ms", "id"),)

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    format: Mapped[str] = mapped_column(String(16))  # "markdown" | "text"
    metadata_json: Mapped[str] = mapped_column(Text, default="{}")  # a JSON object of the caller's
    characters: Mapped[int] = mapped_column(Integer)
    chunk_count: Mapped[int] = mapped_column(Integer)
    created_at_ms: Mapped[int] = mapped_column(BigInteger)


class DocumentChunkRow(Base):
    """One chunk of a document: its section's heading path and its text (what answers cite)."""

    __tablename__ = "crispy_document_chunks"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    document_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    chunk_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    heading: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text)
