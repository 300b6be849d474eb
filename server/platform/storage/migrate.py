"""Applies Alembic migrations (`chorus migrate`, and at server start)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

from server.platform.storage.database import check_writable

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Blocking; env.py runs its own event loop, so call it off the server's loop."""
    command.upgrade(alembic_config(url), revision)


async def upgrade_async(url: str) -> None:
    check_writable(url)
    await asyncio.to_thread(upgrade, url)
