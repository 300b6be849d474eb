"""64-bit autoincrement keys on PostgreSQL

Revision ID: 0008
Revises: 0007

chat_messages.id, project_todos.id and mcos_messages.seq were SERIAL (INTEGER, a
sequence that stops at 2^31 - 1) on PostgreSQL. SQLite's INTEGER PRIMARY KEY is
already its 64-bit rowid, so there is nothing to do there.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_KEYS = (("chat_messages", "id"), ("project_todos", "id"), ("mcos_messages", "seq"))


def _alter(type_: type[sa.types.TypeEngine], pg_name: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table, column in _KEYS:
        op.alter_column(table, column, type_=type_(), existing_nullable=False)
        # The sequence has a type of its own, whose maximum it keeps.
        sequence = bind.execute(sa.text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table, "c": column}).scalar()
        op.execute(f"ALTER SEQUENCE {sequence} AS {pg_name}")


def upgrade() -> None:
    _alter(sa.BigInteger, "bigint")


def downgrade() -> None:
    _alter(sa.Integer, "integer")
