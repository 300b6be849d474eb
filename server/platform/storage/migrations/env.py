"""Alembic environment: runs migrations over the async engine."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

from server.platform.storage.database import create_engine

# The tables live with the surfaces that own them, which the platform does not
# import: whoever compares the schema passes it in (`alembic_config(url, metadata)`).
target_metadata = context.config.attributes.get("target_metadata")
# Replicas (or workers) may start at once on a fresh PostgreSQL database: the first
# to take this lock migrates, the others wait for its commit and find the schema at
# head. Any constant works; this one spells "Chor".
_MIGRATION_LOCK = 0x43686F72


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        context.run_migrations()


async def _main() -> None:
    engine = create_engine(context.config.get_main_option("sqlalchemy.url") or "")
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


asyncio.run(_main())
