"""The whole database schema: the platform's tables and those of every surface served.

Each surface declares its tables in its own package (`tables.py` modules under
`server/surfaces/<surface>/`) on the platform's one declarative base. The
surfaces come from the composition root's list, so adding a surface adds its
tables here with no further line.

To write a migration: `python -m server.schema "message"` (autogenerates the
next revision against the database in CHORUS_DATABASE_URL, or a fresh SQLite file).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from types import ModuleType

from sqlalchemy import MetaData

from server.platform.storage import tables as platform_tables
from server.platform.storage.base import Base

TABLE_MODULE = "tables"


def _surface_packages() -> list[ModuleType]:
    from server.app import SURFACES  # the one list of surfaces

    packages = []
    for surface in SURFACES:
        packages.append(importlib.import_module(surface.package))
    return packages


def table_modules() -> list[ModuleType]:
    """The platform's table module, then each served surface's, in package order."""
    found = [platform_tables]
    for package in _surface_packages():
        for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if info.name.rsplit(".", 1)[-1] == TABLE_MODULE:
                found.append(importlib.import_module(info.name))
    return found


def metadata() -> MetaData:
    table_modules()
    return Base.metadata


if __name__ == "__main__":
    import os

    from alembic import command

    from server.platform.storage.migrate import alembic_config, upgrade

    if len(sys.argv) < 2 or sys.argv[1].startswith("-"):
        sys.exit('usage: python -m server.schema "what the migration does"')
    url = os.environ.get("CHORUS_DATABASE_URL", "sqlite+aiosqlite:///./schema-draft.db")
    upgrade(url)
    command.revision(alembic_config(url, metadata()), message=" ".join(sys.argv[1:]), autogenerate=True)
