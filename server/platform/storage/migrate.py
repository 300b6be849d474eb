"""Applies Alembic migrations (`chorus migrate`, and at server start)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData

from server.platform.storage.database import check_writable

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str, metadata: MetaData | None = None) -> Config:
    """`metadata`: the whole schema (`server.schema.metadata()`), for comparing the
    database with the tables (`command.check`, autogenerate); upgrading needs none."""
    config = Config()
    if metadata is not None:
        config.attributes["target_metadata"] = metadata
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Blocking; env.py runs its own event loop, so call it off the server's loop."""
    command.upgrade(alembic_config(url), revision)


async def upgrade_async(url: str) -> None:
    check_writable(url)
    await asyncio.to_thread(upgrade, url)
