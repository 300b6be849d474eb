"""one conversation store: Crispy's chat_sessions/chat_messages and mcos_messages become conversation_messages

Revision ID: 0011
Revises: 0010

Every row keeps its tenant, principal, conversation, role, content and times;
`surface` says whose it is. MCoS rows keep their ids and `seq`. Crispy rows
get `msg_` ids and a `seq` after MCoS's, in their old order, so a session's
history reads back as before. A Crispy session row carried nothing its
messages do not (a session exists while it has messages), so it is not kept;
downgrading rebuilds it from them.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_BATCH = 1000
_ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_COMMON = ("tenant_id", "owner_id", "conversation_id", "role", "content", "created_at_ms")
_MCOS = ("seq", "id", *_COMMON, "tool_calls", "incomplete", "error", "archived_at_ms")


def _message_columns(table: str) -> list[sa.schema.SchemaItem]:
    return [
        sa.Column("seq", _ROW_ID, autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        *([sa.Column("surface", sa.String(length=32), nullable=False)] if table == "conversation_messages" else []),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.String(length=200), nullable=False),
        sa.Column("conversation_id", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("tool_calls", sa.JSON(), nullable=False),
        sa.Column("incomplete", sa.Boolean(), nullable=False),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("archived_at_ms", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("id"),
    ]


def _crispy_batches(bind: sa.Connection) -> Iterator[list[Any]]:
    """chat_messages in id order, a batch at a time (keyset paging: no cursor held across inserts)."""
    query = sa.text(
        "SELECT id, tenant_id, owner_id, session_id, role, content, created_at_ms, incomplete"
        " FROM chat_messages WHERE id > :after ORDER BY id LIMIT :batch"
    )
    after = 0
    while rows := list(bind.execute(query, {"after": after, "batch": _BATCH})):
        yield rows
        after = rows[-1][0]


def _continue_sequence(bind: sa.Connection, table: str) -> None:
    """Rows were inserted with explicit keys: PostgreSQL's sequence must go on past them."""
    if bind.dialect.name == "postgresql":
        bind.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'seq'), (SELECT COALESCE(MAX(seq), 0) + 1 FROM {table}), false)"
            )
        )


def upgrade() -> None:
    bind = op.get_bind()
    messages = op.create_table("conversation_messages", *_message_columns("conversation_messages"))
    op.create_index(
        "ix_conversation_messages_conversation",
        "conversation_messages",
        ["surface", "tenant_id", "owner_id", "conversation_id", "seq"],
    )
    op.create_index(
        "ix_conversation_messages_owner", "conversation_messages", ["surface", "tenant_id", "owner_id", "seq"]
    )
    op.create_index("ix_conversation_messages_archived", "conversation_messages", ["archived_at_ms"])

    columns = ", ".join(_MCOS)
    op.execute(f"INSERT INTO conversation_messages (surface, {columns}) SELECT 'mcos', {columns} FROM mcos_messages")
    next_seq = bind.execute(sa.text("SELECT COALESCE(MAX(seq), 0) FROM conversation_messages")).scalar_one() + 1
    for rows in _crispy_batches(bind):
        bind.execute(
            messages.insert(),
            [
                {
                    "seq": next_seq + i,
                    "id": f"msg_{secrets.token_hex(12)}",
                    "surface": "crispy",
                    **dict(zip(_COMMON, row[1:7], strict=True)),
                    "tool_calls": [],
                    "incomplete": bool(row[7]),
                    "error": None,
                    "archived_at_ms": None,
                }
                for i, row in enumerate(rows)
            ],
        )
        next_seq += len(rows)
    _continue_sequence(bind, "conversation_messages")

    op.drop_table("chat_messages")
    op.drop_table("chat_sessions")
    op.drop_table("mcos_messages")


def downgrade() -> None:
    bind = op.get_bind()
    op.create_table(
        "chat_sessions",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.String(length=200), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "owner_id", "id"),
    )
    op.create_table(
        "chat_messages",
        sa.Column("id", _ROW_ID, autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.String(length=200), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("incomplete", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "owner_id", "session_id"],
            ["chat_sessions.tenant_id", "chat_sessions.owner_id", "chat_sessions.id"],
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_chat_messages_session", "chat_messages", ["tenant_id", "owner_id", "session_id", "id"])
    op.create_table("mcos_messages", *_message_columns("mcos_messages"))
    op.create_index(
        "ix_mcos_messages_conversation", "mcos_messages", ["tenant_id", "owner_id", "conversation_id", "seq"]
    )
    op.create_index("ix_mcos_messages_owner", "mcos_messages", ["tenant_id", "owner_id", "seq"])
    op.create_index("ix_mcos_messages_archived", "mcos_messages", ["archived_at_ms"])

    op.execute(
        "INSERT INTO chat_sessions (tenant_id, owner_id, id, created_at_ms, updated_at_ms)"
        " SELECT tenant_id, owner_id, conversation_id, MIN(created_at_ms), MAX(created_at_ms)"
        " FROM conversation_messages WHERE surface = 'crispy' GROUP BY tenant_id, owner_id, conversation_id"
    )
    op.execute(
        "INSERT INTO chat_messages (id, tenant_id, owner_id, session_id, role, content, created_at_ms, incomplete)"
        " SELECT seq, tenant_id, owner_id, conversation_id, role, content, created_at_ms, incomplete"
        " FROM conversation_messages WHERE surface = 'crispy'"
    )
    columns = ", ".join(_MCOS)
    op.execute(
        f"INSERT INTO mcos_messages ({columns}) SELECT {columns} FROM conversation_messages WHERE surface = 'mcos'"
    )
    _continue_sequence(bind, "mcos_messages")
    if bind.dialect.name == "postgresql":
        bind.execute(
            sa.text(
                "SELECT setval(pg_get_serial_sequence('chat_messages', 'id'),"
                " (SELECT COALESCE(MAX(id), 0) + 1 FROM chat_messages), false)"
            )
        )
    op.drop_table("conversation_messages")
