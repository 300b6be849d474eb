"""The one declarative base every table, the platform's and each surface's, is declared on.

Each surface keeps its tables in its own package (`surfaces/<surface>/tables.py`);
`server/schema.py` gathers the whole schema for Alembic.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


# Autoincrement keys of tables that grow without bound (messages, todos): BIGINT on
# PostgreSQL, where INTEGER stops at 2^31; SQLite's INTEGER PRIMARY KEY is already
# its 64-bit rowid, and only that exact type autoincrements there.
RowId = BigInteger().with_variant(Integer(), "sqlite")
