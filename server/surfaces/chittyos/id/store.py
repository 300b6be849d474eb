"""ChittyID sequences and records, always scoped by tenant.

Minting takes the next number of an entity type's sequence with one atomic
upsert (`INSERT ... ON CONFLICT DO UPDATE SET last_issued = last_issued + 1
RETURNING`) and stores the record in the same transaction: a number is never
handed out twice, across processes too (PostgreSQL locks the row; SQLite
serialises writers), and a failed insert gives its number back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, literal, select

from server.platform.storage.database import Database, upsert_insert
from server.surfaces.chittyos.id.tables import ChittyIdRow, ChittyIdSequenceRow

_sequences = cast(Table, ChittyIdSequenceRow.__table__)
_ids = cast(Table, ChittyIdRow.__table__)

_KEY = (_ids.c.tenant_id == bindparam("tenant_id"), _ids.c.chitty_id == bindparam("chitty_id"))
_GET = select(
    _ids.c.chitty_id,
    _ids.c.entity_metadata,
    _ids.c.session_context,
    _ids.c.source,
    _ids.c.created_at_ms,
).where(*_KEY)
_EXISTS = select(literal(1)).where(*_KEY)


@dataclass(frozen=True, slots=True)
class ChittyIdRecord:
    """A ChittyID and what was stored with it."""

    chitty_id: str
    metadata: dict[str, Any]
    session_context: dict[str, Any]
    source: str  # host of the authority that minted it
    created_ms: int


class ChittyIdStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._insert_for = upsert_insert(db.dialect)

    async def mint(
        self,
        tenant_id: str,
        entity_type: str,
        spell: Callable[[int], str],
        metadata: dict[str, Any],
        session_context: dict[str, Any],
        source: str,
        created_ms: int,
    ) -> ChittyIdRecord:
        """Takes the entity type's next sequence number, spells the id from it
        (`spell(sequence)`) and stores the record, in one transaction."""
        take_next = (
            self._insert_for(_sequences)
            .values(tenant_id=tenant_id, entity_type=entity_type, last_issued=1)
            .on_conflict_do_update(
                index_elements=["tenant_id", "entity_type"],
                set_={"last_issued": _sequences.c.last_issued + 1},
            )
            .returning(_sequences.c.last_issued)
        )
        async with self._db.write() as conn:
            sequence = (await conn.execute(take_next)).scalar_one()
            record = ChittyIdRecord(spell(sequence), metadata, session_context, source, created_ms)
            await conn.execute(_ids.insert().values(**_row(tenant_id, entity_type, record)))
        return record

    async def save(self, tenant_id: str, entity_type: str, record: ChittyIdRecord) -> None:
        """Stores a record minted elsewhere; an id seen before is overwritten
        with what its authority answered last."""
        row = _row(tenant_id, entity_type, record)
        upsert = (
            self._insert_for(_ids)
            .values(**row)
            .on_conflict_do_update(
                index_elements=["tenant_id", "chitty_id"],
                set_={k: v for k, v in row.items() if k not in ("tenant_id", "chitty_id")},
            )
        )
        async with self._db.write() as conn:
            await conn.execute(upsert)

    async def get(self, tenant_id: str, chitty_id: str) -> ChittyIdRecord | None:
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(_GET, {"tenant_id": tenant_id, "chitty_id": chitty_id})).first()
        if row is None:
            return None
        return ChittyIdRecord(row.chitty_id, row.entity_metadata, row.session_context, row.source, row.created_at_ms)

    async def exists(self, tenant_id: str, chitty_id: str) -> bool:
        async with self._db.engine.connect() as conn:
            found = (await conn.execute(_EXISTS, {"tenant_id": tenant_id, "chitty_id": chitty_id})).first()
        return found is not None


def _row(tenant_id: str, entity_type: str, record: ChittyIdRecord) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "chitty_id": record.chitty_id,
        "entity_type": entity_type,
        "entity_metadata": record.metadata,
        "session_context": record.session_context,
        "source": record.source,
        "created_at_ms": record.created_ms,
    }
