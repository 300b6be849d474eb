"""`Database`'s read path (`fetch_all`, `fetch_one`, `fetch_value`) beside its writes.

Reads run on a connection of their own (SQLite: a long-lived one on a thread
of its own; PostgreSQL: an asyncpg pool), so these check what that must not
change: a read sees every committed write and nothing uncommitted, reads go
on while a write is open, a write cancelled half-way leaves nothing, and an
error in one read leaves the next one working.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, bindparam, func, insert, select

from server.config import TenantSeed
from server.platform.clock import SystemClock
from server.platform.storage.database import Database
from server.platform.storage.tables import TenantRow
from server.platform.tenancy import TenantService

_NAME_OF = select(TenantRow.name, TenantRow.allow_unauthenticated).where(TenantRow.id == bindparam("id"))
_COUNT = select(func.count()).select_from(TenantRow.__table__)
_COUNT_NAMED = select(func.count()).where(TenantRow.name == bindparam("name"))
_NAMES = select(TenantRow.id, TenantRow.name).where(TenantRow.name == bindparam("name")).order_by(TenantRow.id)
# A table no migration creates: reading it fails in the database, not in Python.
_MISSING = Table("no_such_table", MetaData(), Column("id", Integer, primary_key=True), Column("v", String(10)))


@pytest.fixture
async def db(migrated_url: str) -> AsyncIterator[Database]:
    database = Database(migrated_url)
    yield database
    await database.close()


def _tenant(tenant_id: str, name: str = "n", *, open_: bool = False) -> dict[str, object]:
    return {"id": tenant_id, "name": name, "allow_unauthenticated": open_, "created_at_ms": 1}


async def test_a_read_sees_each_write_once_committed(db: Database) -> None:
    assert await db.fetch_one(_NAME_OF, {"id": "acme"}) is None
    for n in range(20):
        async with db.write() as conn:
            await conn.execute(insert(TenantRow), _tenant(f"t{n}", f"name {n}", open_=n % 2 == 0))
        # Typed as the column says, on either backend: a bool, not SQLite's 0/1.
        assert await db.fetch_one(_NAME_OF, {"id": f"t{n}"}) == (f"name {n}", n % 2 == 0)
        assert await db.fetch_value(_COUNT) == n + 1


async def test_reads_go_on_during_a_write_and_see_only_what_it_committed(db: Database) -> None:
    async with db.write() as conn:
        await conn.execute(insert(TenantRow), _tenant("before", "x"))
    inserted, release = asyncio.Event(), asyncio.Event()

    async def long_write() -> None:
        async with db.write() as conn:
            await conn.execute(insert(TenantRow), [_tenant(f"w{n}", "x") for n in range(50)])
            inserted.set()
            await release.wait()

    writer = asyncio.create_task(long_write())
    await inserted.wait()
    # The write transaction is open (on SQLite it holds the write lock): reads answer at once,
    # many at a time, and none sees its uncommitted rows.
    seen = await asyncio.wait_for(asyncio.gather(*(db.fetch_all(_NAMES, {"name": "x"}) for _ in range(100))), 10)
    assert all(rows == [("before", "x")] for rows in seen)
    release.set()
    await writer
    rows = await db.fetch_all(_NAMES, {"name": "x"})
    assert len(rows) == 51 and rows[0] == ("before", "x")


async def test_a_write_cancelled_mid_transaction_leaves_nothing(db: Database) -> None:
    inserted = asyncio.Event()

    async def write_then_hang() -> None:
        async with db.write() as conn:
            await conn.execute(insert(TenantRow), _tenant("half-1"))
            await conn.execute(insert(TenantRow), _tenant("half-2"))
            inserted.set()
            await asyncio.Event().wait()  # cancelled here, between statements
            await conn.execute(insert(TenantRow), _tenant("half-3"))

    task = asyncio.create_task(write_then_hang())
    await inserted.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await db.fetch_value(_COUNT) == 0
    # The write lock and the connection were given back: the next write commits.
    async with db.write() as conn:
        await conn.execute(insert(TenantRow), _tenant("after"))
    assert await db.fetch_one(_NAME_OF, {"id": "after"}) == ("n", False)
    assert await db.fetch_value(_COUNT) == 1


async def test_a_read_cancelled_while_queued_does_not_disturb_the_others(db: Database) -> None:
    async with db.write() as conn:
        await conn.execute(insert(TenantRow), _tenant("a"))
    reads = [asyncio.create_task(db.fetch_one(_NAME_OF, {"id": "a"})) for _ in range(50)]
    await asyncio.sleep(0)
    for read in reads[::2]:
        read.cancel()
    done = await asyncio.gather(*reads, return_exceptions=True)
    assert all(isinstance(r, asyncio.CancelledError) for r in done[::2])
    assert all(r == ("n", False) for r in done[1::2])


async def test_the_read_connection_survives_errors(db: Database) -> None:
    async with db.write() as conn:
        await conn.execute(insert(TenantRow), _tenant("ok"))
    for _ in range(3):
        with pytest.raises(Exception, match="no_such_table"):
            await db.fetch_all(select(_MISSING.c.v).where(_MISSING.c.id == bindparam("id")), {"id": 1})
        with pytest.raises(KeyError, match="id"):
            await db.fetch_one(_NAME_OF, {})
        assert await db.fetch_one(_NAME_OF, {"id": "ok"}) == ("n", False)


async def test_an_in_list_read_goes_through_sqlalchemy_with_the_same_rows(db: Database) -> None:
    async with db.write() as conn:
        await conn.execute(insert(TenantRow), [_tenant(t) for t in ("a", "b", "c")])
    in_list = select(TenantRow.id).where(TenantRow.id.in_(bindparam("ids", expanding=True))).order_by(TenantRow.id)
    assert await db.fetch_all(in_list, {"ids": ["a", "c", "z"]}) == [("a",), ("c",)]


async def test_tenancy_lookups_read_through_the_fast_path(db: Database) -> None:
    tenants = TenantService(db, SystemClock(), cache_ttl=0.001)
    await tenants.ensure_seeded([TenantSeed(id="acme", name="Acme", hosts=["acme.example"])])
    issued = await tenants.create_api_key("acme", user_id="u1")
    caller = await tenants.resolve(tenant_id="", api_key=issued.secret, host="")
    assert (caller.tenant.id, caller.tenant.name, caller.user_id) == ("acme", "Acme", "u1")
    await tenants.revoke_api_key(issued.id)
    await asyncio.sleep(0.01)
    with pytest.raises(Exception, match="Invalid or missing API key"):
        await tenants.resolve(tenant_id="", api_key=issued.secret, host="")
    assert (await tenants._tenant_for_host("ACME.example:443")) == "acme"


# --- Database.transaction(): writes on the same terms ---------------------------------

_INSERT = insert(TenantRow.__table__)
_RENAME = TenantRow.__table__.update().where(TenantRow.id == bindparam("t_id")).values(name=bindparam("t_name"))


async def test_a_transaction_commits_all_or_nothing(db: Database) -> None:
    async with db.transaction() as tx:
        await tx.execute_many(_INSERT, [_tenant("a"), _tenant("b")])
        assert await tx.execute(_RENAME, {"t_id": "a", "t_name": "renamed"}) == 1
        # Inside the transaction its own writes are seen; outside, not yet.
        assert await tx.fetch_one(_NAME_OF, {"id": "a"}) == ("renamed", False)
        assert await db.fetch_one(_NAME_OF, {"id": "a"}) is None
    assert await db.fetch_all(_NAMES, {"name": "n"}) == [("b", "n")]
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        async with db.transaction() as tx:
            await tx.execute(_INSERT, _tenant("c"))
            await tx.execute(_INSERT, _tenant("a"))  # the same id again: refused
    assert await db.fetch_value(_COUNT) == 2  # nothing of it, "c" neither
    # The write connection survived the error: the next transaction commits.
    async with db.transaction() as tx:
        await tx.execute(_INSERT, _tenant("c"))
    assert await db.fetch_value(_COUNT) == 3


async def test_a_transaction_cancelled_mid_way_leaves_nothing(db: Database) -> None:
    for pause in (None, 0):  # cancelled between statements, and with one in flight
        inserted = asyncio.Event()

        async def write_then_hang(pause: float | None = pause, inserted: asyncio.Event = inserted) -> None:
            async with db.transaction() as tx:
                await tx.execute(_INSERT, _tenant("half-1"))
                inserted.set()
                if pause is None:
                    await asyncio.Event().wait()
                await tx.execute_many(_INSERT, [_tenant(f"many-{n}") for n in range(500)])
                await tx.execute(_INSERT, _tenant("half-2"))

        task = asyncio.create_task(write_then_hang())
        await inserted.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await db.fetch_value(_COUNT) == 0
    async with db.transaction() as tx:
        await tx.execute(_INSERT, _tenant("after"))
    assert await db.fetch_value(_COUNT) == 1


async def test_transactions_and_writes_take_turns(db: Database) -> None:
    """Many transactions and `write()`s at once: each commits whole, none is refused as locked."""

    async def by_transaction(n: int) -> None:
        async with db.transaction() as tx:
            await tx.execute(_INSERT, _tenant(f"tx{n}", "x"))
            await asyncio.sleep(0)
            await tx.execute(_RENAME, {"t_id": f"tx{n}", "t_name": "y"})

    async def by_write(n: int) -> None:
        async with db.write() as conn:
            await conn.execute(insert(TenantRow), _tenant(f"w{n}", "y"))

    await asyncio.gather(*(by_transaction(n) for n in range(30)), *(by_write(n) for n in range(30)))
    assert len(await db.fetch_all(_NAMES, {"name": "y"})) == 60
    assert await db.fetch_all(_NAMES, {"name": "x"}) == []


async def test_statements_built_on_each_call_read_with_their_own_values(db: Database) -> None:
    """Statements with literal values, built per call, share one compiled shape: each must
    still run with its own values (as SQLAlchemy runs it)."""
    async with db.transaction() as tx:
        await tx.execute_many(_INSERT, [_tenant(f"t{n:02}", f"name {n % 3}", open_=n % 2 == 0) for n in range(30)])

    def query(name: str, after: str, limit: int) -> Any:
        return (
            select(TenantRow.id, TenantRow.allow_unauthenticated)
            .where(TenantRow.name == name, TenantRow.id > after)
            .order_by(TenantRow.id)
            .limit(limit)
        )

    async with db.engine.connect() as conn:
        for name, after, limit in [("name 0", "", 3), ("name 1", "t10", 5), ("name 2", "t20", 2), ("name 0", "t19", 9)]:
            expected = [tuple(r) for r in await conn.execute(query(name, after, limit))]
            assert await db.fetch_all(query(name, after, limit)) == expected and expected
    # Updates built per call, too, each with its own values.
    for n in range(3):
        async with db.transaction() as tx:
            changed = TenantRow.__table__.update().where(TenantRow.name == f"name {n}").values(name=f"renamed {n}")
            assert await tx.execute(changed) == 10
    assert [await db.fetch_value(_COUNT_NAMED, {"name": f"renamed {n}"}) for n in range(3)] == [10, 10, 10]
